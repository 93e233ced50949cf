#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// What a device loop reports about its device.
public enum DeviceLinkEvent: Sendable, Equatable {
    case attached
    /// The device could not be opened or went away; the loop tries again by itself.
    case detached(reason: String)
}

/// One thread per device that sleeps in `poll(2)` on the device and a wake-up pipe: no CPU
/// while nothing happens, an idle timer only while a read is half done, and re-opening with
/// back-off (0.5 s doubling to 5 s) after the device vanishes (ENODEV, EIO, hang-up).
///
/// The session decides what bytes mean; the loop only moves them.
public final class DeviceLoop: @unchecked Sendable {
    /// How a loop turns bytes into results, for one open file descriptor.
    public protocol Session: AnyObject {
        var fd: Int32 { get }
        /// Milliseconds until ``idle()`` must run, or nil to wait for bytes without a timeout.
        var idleTimeoutMilliseconds: Int32? { get }
        func consume(_ bytes: UnsafeRawBufferPointer)
        func idle()
        func close()
    }

    public let name: String
    private let open: () throws -> any Session
    private let onLink: @Sendable (DeviceLinkEvent) -> Void
    /// A self-pipe: `stop()` writes to its write end, the loop polls its read end.
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private var thread: Thread?
    private let stopped = NSLock()
    private var isStopping = false
    private let finished = DispatchSemaphore(value: 0)

    public init(name: String, open: @escaping () throws -> any Session, onLink: @escaping @Sendable (DeviceLinkEvent) -> Void) {
        self.name = name
        self.open = open
        self.onLink = onLink
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "pipe failed: \(SystemError("pipe", name))")
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        self.wakeFD = fds[0]
        self.wakeWriteFD = fds[1]
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(wakeWriteFD)
    }

    public func start() {
        let t = Thread { [self] in
            run()
            finished.signal()
        }
        t.name = "device-\(name)"
        thread = t
        t.start()
    }

    /// How long a loop waits before trying a missing device again at most. With a udev monitor
    /// waking loops on every hot-plug event (``retryNow()``), the loop may wait much longer.
    public var maximumBackoffMs: Int32 = 5000
    /// The first wait after a failed open (doubling up to ``maximumBackoffMs``).
    public var initialBackoffMs: Int32 = 500

    /// Ends a back-off wait now: a device may have appeared (udev said so).
    public func retryNow() {
        var two: UInt8 = 2
        _ = write(wakeWriteFD, &two, 1)
    }

    /// Stops the loop and waits until its thread has closed the device.
    public func stop() {
        stopped.withLock { isStopping = true }
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
        if thread != nil {
            finished.wait()
            thread = nil
        }
    }

    private var stopping: Bool { stopped.withLock { isStopping } }

    private func run() {
        var backoffMs = initialBackoffMs
        var lastReason: String?
        while !stopping {
            let session: any Session
            do {
                session = try open()
            } catch {
                let reason = "\(error)"
                if reason != lastReason { onLink(.detached(reason: reason)) }
                lastReason = reason
                if waitForWake(timeoutMs: backoffMs) { return }
                backoffMs = min(backoffMs * 2, maximumBackoffMs)
                continue
            }
            onLink(.attached)
            lastReason = nil
            backoffMs = initialBackoffMs
            let reason = pump(session)
            session.close()
            guard let reason else { return }
            onLink(.detached(reason: reason))
            lastReason = reason
            if waitForWake(timeoutMs: backoffMs) { return }
        }
    }

    /// Moves bytes until the device goes away (returns why) or the loop is stopped (nil).
    private func pump(_ session: any Session) -> String? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.deallocate()
        }
        var fds = [pollfd(fd: session.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let timeout = session.idleTimeoutMilliseconds ?? -1
            let n = poll(&fds, 2, timeout)
            if n < 0 {
                if errno == EINTR { continue }
                return "\(SystemError("poll", name))"
            }
            if fds[1].revents != 0 {
                drainWake()
                if stopping { return nil }
                continue  // a retry wake-up while attached: nothing to do
            }
            if n == 0 {
                session.idle()
                continue
            }
            let ev = Int32(fds[0].revents)
            if ev & Int32(POLLIN) != 0 {
                let r = read(session.fd, buffer.baseAddress, buffer.count)
                if r > 0 {
                    session.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<r]))
                    continue
                }
                if r == 0 { return "end of file" }
                if errno == EAGAIN || errno == EINTR { continue }
                return "\(SystemError("read", name))"
            }
            if ev & Int32(POLLHUP | POLLERR | POLLNVAL) != 0 { return "hang-up" }
        }
    }

    /// Sleeps until the timeout, a retry wake-up or a stop; true when stopped.
    private func waitForWake(timeoutMs: Int32) -> Bool {
        var fd = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, timeoutMs)
        drainWake()
        return stopping
    }

    private func drainWake() {
        if stopping { return }  // leave the stop byte for every later poll
        var buf = [UInt8](repeating: 0, count: 16)
        while read(wakeFD, &buf, buf.count) > 0 {}
    }
}
