#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An ESC/POS printer on a TCP port of 127.0.0.1 that answers `DLE EOT n` like an Epson: with
/// paper in and the cover shut, what it receives is "printed"; with the paper out or the cover
/// open it still answers status queries but what it receives is lost, as on a stopped printer.
/// One connection at a time, like a real port 9100.
public final class FakePrinter: @unchecked Sendable {
    public enum Fault: Sendable { case paperOut, coverOpen }

    public let port: UInt16
    private let fd: Int32
    private let lock = NSCondition()
    private var fault: Fault?
    /// Answer status queries (a printer model without status does not).
    private var answers = true
    private var _printed: [[UInt8]] = []
    private var _lost: [UInt8] = []
    private var _queries = 0
    private var faultDuringNextJob: Fault?
    private var _drawerOpen = false
    private var _kicks: [[UInt8]] = []

    public init() throws {
        (fd, port) = try listenOnLoopback()
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    public func set(fault: Fault?) { lock.withLock { self.fault = fault } }
    public func set(answersStatus: Bool) { lock.withLock { answers = answersStatus } }
    /// The paper runs out (or the cover opens) while the next job prints: the job is cut short.
    public func fail(duringNextJob fault: Fault) { lock.withLock { faultDuringNextJob = fault } }

    /// The jobs printed, one per connection that sent data while the printer was fine.
    public var printed: [[UInt8]] { lock.withLock { _printed } }
    /// Bytes received while a fault stopped the printer.
    public var lost: [UInt8] { lock.withLock { _lost } }
    public var statusQueries: Int { lock.withLock { _queries } }
    /// A cash drawer on the connector: `ESC p` springs it open (pin 3 high, as Epson and emupos
    /// report it); `closeDrawer()` is the cashier pushing it shut.
    public var drawerOpen: Bool { lock.withLock { _drawerOpen } }
    public func closeDrawer() { lock.withLock { _drawerOpen = false } }
    /// The drawer opened with its key, without a kick.
    public func openDrawerByHand() { lock.withLock { _drawerOpen = true } }
    /// The `ESC p m t1 t2` commands received, in order.
    public var kicks: [[UInt8]] { lock.withLock { _kicks } }

    /// Waits until `count` jobs are printed; returns them.
    public func waitForPrinted(_ count: Int, timeout: TimeInterval = 10) throws -> [[UInt8]] {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while _printed.count < count {
            guard lock.wait(until: deadline) else { throw TestFailure("\(_printed.count) of \(count) jobs printed within \(timeout) s") }
        }
        return _printed
    }

    /// The reply an Epson gives to `DLE EOT n` in the current state.
    private func reply(_ n: UInt8) -> UInt8 {
        let pin3: UInt8 = _drawerOpen ? 0x04 : 0
        switch (n, fault) {
        case (1, .some): return 0x1A | pin3  // offline
        case (1, nil): return 0x12 | pin3
        case (2, .coverOpen): return 0x16
        case (2, .paperOut): return 0x32
        case (4, .paperOut): return 0x72
        default: return 0x12
        }
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                Glibc.close(fd)  // shut down by close(): the number is free only now
                return
            }
            var job: [UInt8] = []
            var pending: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                pending += buf[0..<n]
                // Real-time commands are taken out of the stream as they arrive, in stream order
                // with the data: a query that follows data in the same read sees what that data
                // did (a fault "during the job" is in effect for the status asked after it).
                var i = 0
                while i < pending.count {
                    if pending[i] == 0x10 {
                        if i + 2 >= pending.count { break }  // wait for the rest of the command
                        if pending[i + 1] == 0x04 {
                            let (answer, reply) = lock.withLock { (answers, self.reply(pending[i + 2])) }
                            lock.withLock { _queries += 1 }
                            if answer {
                                var r = reply
                                _ = write(c, &r, 1)
                            }
                            i += 3
                            continue
                        }
                    }
                    let byte = pending[i]
                    lock.withLock {
                        if let f = faultDuringNextJob {
                            fault = f
                            faultDuringNextJob = nil
                        }
                        if fault == nil { job.append(byte) } else { _lost.append(byte) }
                        if fault == nil, job.count >= 5, job[job.count - 5] == 0x1B, job[job.count - 4] == 0x70 {
                            _kicks.append(Array(job.suffix(5)))
                            _drawerOpen = true
                        }
                    }
                    i += 1
                }
                pending.removeFirst(i)
            }
            Glibc.close(c)
            lock.withLock {
                if !job.isEmpty { _printed.append(job) }
                lock.broadcast()
            }
        }
    }

    /// Stops listening. Only shuts the socket down: the accept thread closes the descriptor
    /// when accept fails, so its number cannot be reused by another test's listener while that
    /// thread may still call accept on it (it would take the other test's connections).
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
