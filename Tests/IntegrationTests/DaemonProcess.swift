#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GiftbridgeClient
import TestSupport

/// The built executables, next to the test bundle.
enum Binaries {
    static let directory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }()
    static let daemon = directory + "/giftbridged"
    static let cli = directory + "/giftbridge"
}

/// The real `giftbridged` binary, started with a `NOTIFY_SOCKET` so the test knows when it is
/// ready, its stderr kept for the failure message.
final class DaemonProcess {
    let process = Process()
    let notify: NotifySocket
    let logPath: String
    let dir: TemporaryDirectory

    /// `launcher` runs the daemon through another program (e.g. `systemd-socket-activate`),
    /// which must exec it in place.
    init(arguments: [String], dir: TemporaryDirectory, environment: [String: String] = [:], launcher: [String] = []) throws {
        self.dir = dir
        notify = try NotifySocket(path: dir.file("notify"))
        logPath = dir.file("daemon.log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: launcher.first ?? Binaries.daemon)
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [Binaries.daemon] + arguments
        var env = ["HOME": dir.path, "PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": notify.path]
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for READY=1; throws with the daemon's log if it does not come.
    func waitUntilReady(timeout: TimeInterval = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = notify.receive(timeout: 0.2), message.contains("READY=1") { return }
            if !process.isRunning { throw TestFailure("giftbridged exited with \(process.terminationStatus):\n\(log)") }
        }
        throw TestFailure("giftbridged not ready after \(timeout) s:\n\(log)")
    }

    /// Sends SIGTERM and waits; returns the exit status and whether STOPPING=1 arrived.
    func terminate(timeout: TimeInterval = 10) throws -> (status: Int32, stopping: Bool) {
        process.terminate()
        var stopping = false
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            if let m = notify.receive(timeout: 0.1), m.contains("STOPPING=1") { stopping = true }
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("giftbridged did not stop on SIGTERM:\n\(log)")
        }
        while let m = notify.receive(timeout: 0), !stopping { stopping = m.contains("STOPPING=1") }
        return (process.terminationStatus, stopping)
    }

    /// Runs the daemon to completion (for start-up failures).
    static func runToExit(arguments: [String], dir: TemporaryDirectory, timeout: TimeInterval = 15) throws -> (status: Int32, log: String) {
        let d = try DaemonProcess(arguments: arguments, dir: dir)
        let deadline = Date().addingTimeInterval(timeout)
        while d.process.isRunning && Date() < deadline { usleep(20_000) }
        if d.process.isRunning {
            d.process.terminate()
            throw TestFailure("giftbridged kept running:\n\(d.log)")
        }
        return (d.process.terminationStatus, d.log)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Follows the event stream on a background thread and collects events.
final class EventRecorder: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [ServerSentEvent] = []
    private var opened = false
    private var finished = false

    /// `after: "0"` replays what happened before the stream opened (the replay ring).
    init(socket: String, after lastEventId: String? = nil, seconds: Double = 30) {
        let thread = Thread { [self] in
            let client = UnixHTTPClient(socketPath: socket, timeoutMs: 5000)
            _ = try? client.events(lastEventId: lastEventId, deadline: .now + .seconds(seconds), onOpen: {
                self.condition.lock(); self.opened = true; self.condition.broadcast(); self.condition.unlock()
            }) { event in
                self.condition.lock()
                self.events.append(event)
                self.condition.broadcast()
                let done = self.finished
                self.condition.unlock()
                return !done
            }
            condition.lock(); finished = true; condition.broadcast(); condition.unlock()
        }
        thread.start()
    }

    func waitUntilOpen(timeout: TimeInterval = 5) throws {
        try wait(timeout: timeout, what: "event stream to open") { $0.opened }
    }

    /// Waits until an event of `type` arrives (after `after` events), returning it.
    @discardableResult
    func next(_ type: String, timeout: TimeInterval = 10) throws -> ServerSentEvent {
        var found: ServerSentEvent?
        try wait(timeout: timeout, what: "event \(type)") { r in
            found = r.events.first { $0.event == type }
            if found != nil { r.events.removeAll { $0 == found! } }
            return found != nil
        }
        return found!
    }

    var all: [ServerSentEvent] {
        condition.lock(); defer { condition.unlock() }
        return events
    }

    private func wait(timeout: TimeInterval, what: String, _ done: (EventRecorder) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !done(self) {
            if finished { throw TestFailure("event stream ended while waiting for \(what); got \(events.map(\.event))") }
            if !condition.wait(until: deadline) { throw TestFailure("timed out waiting for \(what); got \(events.map(\.event))") }
        }
    }
}

/// Runs the `giftbridge` command-line client.
func runCLI(_ arguments: [String], socket: String) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Binaries.cli)
    p.arguments = arguments
    p.environment = ["GIFTBRIDGE_SOCKET": socket, "PATH": "/usr/bin:/bin"]
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
}
