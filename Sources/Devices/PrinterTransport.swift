#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where receipts go. Sending is blocking with bounded waits; call it off the async pool.
public protocol PrinterTransport: Sendable {
    var description: String { get }
    /// Delivers all of `bytes` or throws; never half-reports success.
    func send(_ bytes: [UInt8]) throws(SystemError)
}

/// A printer target as configured: `tcp://host:port`, `file:/path`, or a path (`/dev/usb/lp0`).
public enum PrinterTarget: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: UInt16)
    case path(String)

    /// Parses a target; the error names what is wrong.
    public static func parse(_ text: String) -> Result<PrinterTarget, TargetError> {
        if text.hasPrefix("tcp://") {
            let rest = text.dropFirst(6)
            guard let colon = rest.lastIndex(of: ":") else {
                return .success(.tcp(host: String(rest), port: 9100))
            }
            let host = String(rest[..<colon]).trimmingCharacters(in: ["[", "]"])
            guard !host.isEmpty, let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
                return .failure(TargetError(text: text, why: "expected tcp://HOST:PORT with a port from 1 to 65535"))
            }
            return .success(.tcp(host: host, port: port))
        }
        if text.hasPrefix("file:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else { return .failure(TargetError(text: text, why: "expected file:/ABSOLUTE/PATH")) }
            return .success(.path(path))
        }
        if text.hasPrefix("/") { return .success(.path(text)) }
        return .failure(TargetError(text: text, why: "expected tcp://HOST:PORT, file:/PATH or a device path such as /dev/usb/lp0"))
    }

    public struct TargetError: Error, Equatable, Sendable, CustomStringConvertible {
        public var text: String
        public var why: String
        public var description: String { "printer target '\(text)': \(why)" }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): "tcp://\(host):\(port)"
        case .path(let path): path
        }
    }

    public func transport(connectTimeoutMs: Int32 = 3000, writeTimeoutMs: Int32 = 10000) -> any PrinterTransport {
        switch self {
        case .tcp(let host, let port): TCPPrinter(host: host, port: port, connectTimeoutMs: connectTimeoutMs, writeTimeoutMs: writeTimeoutMs)
        case .path(let path): PathPrinter(path: path, writeTimeoutMs: writeTimeoutMs)
        }
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop(while: set.contains).reversed().drop(while: set.contains).reversed())
    }
}

/// A raw TCP printer port (JetDirect, 9100): connect with a deadline, write everything, close.
public struct TCPPrinter: PrinterTransport {
    public let host: String
    public let port: UInt16
    public let connectTimeoutMs: Int32
    public let writeTimeoutMs: Int32

    public var description: String { "tcp://\(host):\(port)" }

    public func send(_ bytes: [UInt8]) throws(SystemError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SystemError("getaddrinfo", "\(host): \(String(cString: gai_strerror(rc)))", errno: EHOSTUNREACH)
        }
        defer { freeaddrinfo(list) }
        var lastError = SystemError("connect", description, errno: EHOSTUNREACH)
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            guard fd >= 0 else { lastError = SystemError("socket", description); continue }
            defer { close(fd) }
            do {
                try connect(fd: fd, address: a.pointee.ai_addr, length: a.pointee.ai_addrlen)
                var on: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
                try writeAll(fd: fd, bytes: bytes, timeoutMs: writeTimeoutMs, what: description)
                shutdown(fd, Int32(SHUT_WR))
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private func connect(fd: Int32, address: UnsafeMutablePointer<sockaddr>, length: socklen_t) throws(SystemError) {
        if Glibc.connect(fd, address, length) == 0 { return }
        guard errno == EINPROGRESS else { throw SystemError("connect", description) }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let n = retryingEINTR { poll(&p, 1, connectTimeoutMs) }
        guard n > 0 else { throw SystemError("connect", description, errno: n == 0 ? ETIMEDOUT : errno) }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        guard err == 0 else { throw SystemError("connect", description, errno: err) }
    }
}

/// A printer reached through a path: a USB printer class device (`/dev/usb/lp0`), a serial
/// device already set up, or a regular file (appended to; used by demo mode).
public struct PathPrinter: PrinterTransport {
    public let path: String
    public let writeTimeoutMs: Int32

    public var description: String { path }

    public func send(_ bytes: [UInt8]) throws(SystemError) {
        let fd = retryingEINTR { open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0o640) }
        guard fd >= 0 else { throw SystemError("open", path) }
        defer { close(fd) }
        try writeAll(fd: fd, bytes: bytes, timeoutMs: writeTimeoutMs, what: path)
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            guard fsync(fd) == 0 else { throw SystemError("fsync", path) }
        }
    }
}

/// Writes every byte to a non-blocking descriptor, waiting at most `timeoutMs` for each stall.
func writeAll(fd: Int32, bytes: [UInt8], timeoutMs: Int32, what: String) throws(SystemError) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
        if n > 0 {
            offset += n
            continue
        }
        if n < 0 && errno == EINTR { continue }
        guard n < 0 && errno == EAGAIN else { throw SystemError("write", what) }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let r = retryingEINTR { poll(&p, 1, timeoutMs) }
        if r == 0 { throw SystemError("write", what, errno: ETIMEDOUT) }
        if r < 0 { throw SystemError("poll", what) }
    }
}
