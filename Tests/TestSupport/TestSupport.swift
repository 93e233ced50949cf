#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Real kernel objects for tests: pseudo-terminals, TCP listeners, datagram sockets, temporary
/// directories. Nothing here fakes an answer.

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A pseudo-terminal pair: the daemon opens `slavePath` as it would `/dev/ttyUSB0`; the test
/// writes what a reader would send into the master.
public final class PseudoTerminal: @unchecked Sendable {
    public private(set) var master: Int32
    public let slavePath: String
    /// Kept open so the line does not hang up while the daemon re-opens it.
    private var slave: Int32

    public init() throws {
        // posix_openpt/unlockpt/ptsname, as the ioctls they are on Linux.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw TestFailure("open /dev/ptmx failed: errno \(errno)") }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0, ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0 else {
            throw TestFailure("pty ioctl failed: errno \(errno)")
        }
        slavePath = "/dev/pts/\(number)"
        slave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw TestFailure("cannot open \(slavePath)") }
    }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    public func write(_ bytes: [UInt8]) throws {
        let n = bytes.withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw TestFailure("short write to pty master: \(n)") }
    }

    /// Closes both ends: the reader sees a hang-up, as when a USB serial adapter is pulled.
    public func hangUp() {
        if slave >= 0 { close(slave); slave = -1 }
        if master >= 0 { close(master); master = -1 }
    }

    deinit {
        if slave >= 0 { close(slave) }
        if master >= 0 { close(master) }
    }
}

/// A TCP listener on 127.0.0.1 that records what each connection sent until it closed: a
/// stand-in for a printer's port 9100.
public final class TCPSink: @unchecked Sendable {
    public let port: UInt16
    private let fd: Int32
    private let lock = NSCondition()
    private var received: [[UInt8]] = []
    private var closed = false

    public init(port: UInt16 = 0) throws {
        (fd, self.port) = try listenOnLoopback(port: port)
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                Glibc.close(fd)  // shut down by close(): the number is free only now
                return
            }
            var data: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                data += buf[0..<n]
            }
            Glibc.close(c)
            lock.lock()
            received.append(data)
            lock.broadcast()
            lock.unlock()
        }
    }

    /// The bytes of the `index`th connection, waiting for it up to `timeout`.
    public func connection(_ index: Int = 0, timeout: TimeInterval = 10) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while received.count <= index {
            guard lock.wait(until: deadline) else { throw TestFailure("no connection #\(index) on port \(port) within \(timeout) s") }
        }
        return received[index]
    }

    public var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return received.count
    }

    /// Stops listening. Only shuts the socket down: the accept thread closes the descriptor
    /// when accept fails, so its number cannot be reused by another test's listener while that
    /// thread may still call accept on it (it would take the other test's connections).
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
    }
}

/// A listening TCP socket on 127.0.0.1 (`port` 0: a free one); returns it and its port.
func listenOnLoopback(port: UInt16 = 0) throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
    var on: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = port.bigEndian
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0, listen(fd, 8) == 0 else {
        let e = errno
        close(fd)
        throw TestFailure("bind/listen on 127.0.0.1:\(port) failed: errno \(e)")
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &addr) { _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, UInt16(bigEndian: addr.sin_port))
}

/// A Unix datagram socket that receives `sd_notify` messages, as systemd's `$NOTIFY_SOCKET`.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard rc == 0 else { throw TestFailure("bind \(path) failed: errno \(errno)") }
    }

    /// The next message, or nil after `timeout`.
    public func receive(timeout: TimeInterval) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

/// A fresh directory under /tmp, removed at the end. Short, because Unix socket paths are.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init() throws {
        var template = Array("/tmp/gbt.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        path = String(cString: p)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension Array where Element == UInt8 {
    public func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        return (0...(count - needle.count)).contains { i in self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle }
    }
}

/// SplitMix64: a fixed-seed generator so random tests repeat.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
