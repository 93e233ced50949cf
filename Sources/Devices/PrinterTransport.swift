#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where receipts go. Everything here blocks with bounded waits; call it off the async pool.
public protocol PrinterTransport: Sendable {
    var description: String { get }
    /// Opens a connection for one job (or one status check).
    func connect() throws(SystemError) -> PrinterConnection
}

extension PrinterTransport {
    /// Delivers all of `bytes` on a fresh connection or throws; never half-reports success.
    public func send(_ bytes: [UInt8]) throws(SystemError) {
        let c = try connect()
        defer { c.close() }
        try c.write(bytes)
        try c.finish()
    }
}

/// An open link to a printer: bytes out, and — where the link carries them (TCP, serial, a
/// bidirectional USB printer) — status replies back. One job (or one status check) at a time,
/// on one thread.
public final class PrinterConnection {
    public let description: String
    private let link: any PrinterLink
    /// Bytes that came in beyond the one asked for (a USB packet can hold several).
    private var pending: [UInt8] = []
    private var pendingIndex = 0

    init(link: any PrinterLink, description: String) {
        self.link = link
        self.description = description
    }

    convenience init(fd: Int32, description: String, canRead: Bool, writeTimeoutMs: Int32, isFile: Bool = false, isSocket: Bool = false) {
        self.init(link: DescriptorLink(fd: fd, description: description, canRead: canRead, writeTimeoutMs: writeTimeoutMs, isFile: isFile, isSocket: isSocket), description: description)
    }

    deinit { link.close() }

    /// Whether replies can come back (false for a regular file or a one-way USB printer).
    public var canRead: Bool { link.canRead }

    public func write(_ bytes: [UInt8]) throws(SystemError) {
        try link.write(bytes)
    }

    /// Reads one byte, waiting at most `timeoutMs`; nil when nothing came in time.
    public func readByte(timeoutMs: Int32) throws(SystemError) -> UInt8? {
        guard canRead else { return nil }
        if pendingIndex == pending.count {
            pending = try link.read(timeoutMs: timeoutMs)
            pendingIndex = 0
            if pending.isEmpty { return nil }
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    /// Drops replies that nobody asked for (automatic status, late answers).
    public func drain() {
        pending = []
        pendingIndex = 0
        guard canRead else { return }
        for _ in 0..<64 {
            guard let bytes = try? link.read(timeoutMs: 0), !bytes.isEmpty else { return }
        }
    }

    /// The printer's real-time status by `DLE EOT 1…4`; nil when the printer does not answer
    /// (one-way link, or a model without status).
    public func status(timeoutMs: Int32 = 1000) throws(SystemError) -> [UInt8]? {
        guard canRead else { return nil }
        drain()
        var replies: [UInt8] = []
        for n: UInt8 in 1...4 {
            try write([0x10, 0x04, n])
            // No answer in time: no status this time (a late reply is drained before the next ask).
            guard let b = try readByte(timeoutMs: timeoutMs) else { return nil }
            replies.append(b)
        }
        return replies
    }

    /// The USB printer class port status (IEEE 1284: paper empty, select, not-error) where the
    /// link has one (`/dev/usb/lp*`, libusb); nil elsewhere or when the device does not answer.
    public func portStatus() -> UInt8? { link.portStatus() }

    /// The IEEE 1284 device id (`MFG:EPSON;CMD:ESC/POS;MDL:TM-T88V;…`) of a USB printer; nil
    /// where the link has none.
    public func deviceID() -> String? { link.deviceID() }

    /// Makes the written bytes durable (fsync for files).
    public func finish() throws(SystemError) {
        try link.finish()
    }

    /// Ends the connection: a socket is half-closed first so the printer sees the end of the
    /// job; a USB interface is released and its kernel driver attached again.
    public func close() {
        link.close()
    }
}

/// What carries a connection's bytes: a file descriptor, or a claimed USB interface.
protocol PrinterLink: AnyObject {
    var canRead: Bool { get }
    func write(_ bytes: [UInt8]) throws(SystemError)
    /// What arrived within `timeoutMs` (0: only what is there now); empty when nothing did.
    func read(timeoutMs: Int32) throws(SystemError) -> [UInt8]
    func portStatus() -> UInt8?
    func deviceID() -> String?
    func finish() throws(SystemError)
    /// Idempotent.
    func close()
}

/// A printer link on a descriptor: a TCP socket, a tty, a USB printer class node, a file.
final class DescriptorLink: PrinterLink {
    let fd: Int32
    let description: String
    let canRead: Bool
    let writeTimeoutMs: Int32
    let isFile: Bool
    let isSocket: Bool
    private var closed = false

    init(fd: Int32, description: String, canRead: Bool, writeTimeoutMs: Int32, isFile: Bool, isSocket: Bool) {
        self.fd = fd
        self.description = description
        self.canRead = canRead
        self.writeTimeoutMs = writeTimeoutMs
        self.isFile = isFile
        self.isSocket = isSocket
    }

    func write(_ bytes: [UInt8]) throws(SystemError) {
        try writeAll(fd: fd, bytes: bytes, timeoutMs: writeTimeoutMs, what: description)
    }

    func read(timeoutMs: Int32) throws(SystemError) -> [UInt8] {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = retryingEINTR { poll(&p, 1, timeoutMs) }
        if r < 0 { throw SystemError("poll", description) }
        if r == 0 { return [] }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = retryingEINTR { buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
        if n > 0 { return Array(buf[..<n]) }
        if n == 0 { throw SystemError("read", "\(description): the printer closed the connection", errno: ECONNRESET) }
        if errno == EAGAIN { return [] }
        throw SystemError("read", description)
    }

    /// `LPGETSTATUS` on a usblp node; other descriptors have no port status.
    func portStatus() -> UInt8? {
        guard !isFile, !isSocket else { return nil }
        var status: Int32 = 0
        guard ioctl(fd, lpGetStatus, &status) == 0 else { return nil }
        return UInt8(truncatingIfNeeded: status)
    }

    /// `LPIOC_GET_DEVICE_ID` on a usblp node.
    func deviceID() -> String? {
        guard !isFile, !isSocket else { return nil }
        var buf = [UInt8](repeating: 0, count: 1024)
        guard buf.withUnsafeMutableBytes({ ioctl(fd, lpiocGetDeviceID1024, $0.baseAddress!) }) >= 0 else { return nil }
        return IEEE1284DeviceID.text(fromReply: buf)
    }

    func finish() throws(SystemError) {
        if isFile { guard fsync(fd) == 0 else { throw SystemError("fsync", description) } }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if isSocket { shutdown(fd, Int32(SHUT_WR)) }
        Glibc.close(fd)
    }
}

/// `LPGETSTATUS` (linux/lp.h) and usblp's `LPIOC_GET_DEVICE_ID(1024)` = `_IOC(_IOC_READ, 'P', 1, 1024)`.
private let lpGetStatus: UInt = 0x060b
private let lpiocGetDeviceID1024: UInt = 0x8400_5001

/// A printer target as configured: `tcp://host:port`, `file:/path`, or a path (`/dev/usb/lp0`).
public enum PrinterTarget: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: UInt16)
    case path(String)
    /// A serial printer: `serial:/dev/ttyUSB0?baud=19200&flow=rtscts` (flow none|rtscts|xonxoff).
    case serial(String, SerialSettings)
    /// A USB printer by its ids, through libusb: `usb:04b8:0202` or `usb:04b8:0202?serial=X123`.
    case usb(vendorId: UInt16, productId: UInt16, serial: String?)

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
        if text.hasPrefix("serial:") {
            let rest = text.dropFirst(7)
            let parts = rest.split(separator: "?", maxSplits: 1)
            let path = parts.first.map(String.init) ?? ""
            guard path.hasPrefix("/") else { return .failure(TargetError(text: text, why: "expected serial:/dev/ttyUSB0?baud=19200&flow=rtscts")) }
            var settings = SerialSettings()
            for pair in parts.count > 1 ? parts[1].split(separator: "&") : [] {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { return .failure(TargetError(text: text, why: "'\(pair)' is not KEY=VALUE")) }
                switch kv[0] {
                case "baud":
                    guard let b = Int(kv[1]), SerialSettings.supportedBauds[b] != nil else {
                        return .failure(TargetError(text: text, why: "baud must be one of \(SerialSettings.supportedBauds.keys.sorted().map(String.init).joined(separator: ", "))"))
                    }
                    settings.baud = b
                case "flow":
                    guard let f = SerialSettings.FlowControl(rawValue: kv[1]) else { return .failure(TargetError(text: text, why: "flow must be none, rtscts or xonxoff")) }
                    settings.flowControl = f
                default:
                    return .failure(TargetError(text: text, why: "unknown setting '\(kv[0])'; settings are baud, flow"))
                }
            }
            return .success(.serial(path, settings))
        }
        if text.hasPrefix("usb:") {
            let parts = text.dropFirst(4).split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let ids = parts[0].split(separator: ":", omittingEmptySubsequences: false)
            let expected = "expected usb:VENDOR:PRODUCT (4 hex digits each), optionally ?serial=SERIAL"
            guard ids.count == 2, ids.allSatisfy({ $0.count == 4 }),
                  let vendor = UInt16(ids[0], radix: 16), let product = UInt16(ids[1], radix: 16) else {
                return .failure(TargetError(text: text, why: expected))
            }
            var serial: String?
            if parts.count > 1 {
                let kv = parts[1].split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, kv[0] == "serial", !kv[1].isEmpty else { return .failure(TargetError(text: text, why: expected)) }
                serial = kv[1]
            }
            return .success(.usb(vendorId: vendor, productId: product, serial: serial))
        }
        if text.hasPrefix("/") { return .success(.path(text)) }
        return .failure(TargetError(text: text, why: "expected tcp://HOST:PORT, serial:/dev/ttyUSB0?baud=19200, usb:VENDOR:PRODUCT, file:/PATH or a device path such as /dev/usb/lp0"))
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
        case .serial(let path, let s): "serial:\(path)?baud=\(s.baud)&flow=\(s.flowControl.rawValue)"
        case .usb(let vendor, let product, let serial):
            "usb:\(USBBus.hex4(vendor)):\(USBBus.hex4(product))" + (serial.map { "?serial=\($0)" } ?? "")
        }
    }

    public func transport(connectTimeoutMs: Int32 = 3000, writeTimeoutMs: Int32 = 10000) -> any PrinterTransport {
        switch self {
        case .tcp(let host, let port): TCPPrinter(host: host, port: port, connectTimeoutMs: connectTimeoutMs, writeTimeoutMs: writeTimeoutMs)
        case .path(let path): PathPrinter(path: path, writeTimeoutMs: writeTimeoutMs)
        case .serial(let path, let settings): SerialPrinter(path: path, settings: settings, writeTimeoutMs: writeTimeoutMs)
        case .usb(let vendor, let product, let serial): USBPrinter(vendorId: vendor, productId: product, serial: serial, writeTimeoutMs: writeTimeoutMs)
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

    public init(host: String, port: UInt16, connectTimeoutMs: Int32 = 3000, writeTimeoutMs: Int32 = 10000) {
        self.host = host
        self.port = port
        self.connectTimeoutMs = connectTimeoutMs
        self.writeTimeoutMs = writeTimeoutMs
    }

    public func connect() throws(SystemError) -> PrinterConnection {
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
            do {
                try connect(fd: fd, address: a.pointee.ai_addr, length: a.pointee.ai_addrlen)
                // Keepalive finds a printer that vanished (power cut) while a job waits on it.
                var on: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
                var idle: Int32 = 10, interval: Int32 = 5, count: Int32 = 3
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, socklen_t(MemoryLayout<Int32>.size))
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, socklen_t(MemoryLayout<Int32>.size))
                return PrinterConnection(fd: fd, description: description, canRead: true, writeTimeoutMs: writeTimeoutMs, isSocket: true)
            } catch {
                Glibc.close(fd)
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

    public init(path: String, writeTimeoutMs: Int32 = 10000) {
        self.path = path
        self.writeTimeoutMs = writeTimeoutMs
    }

    /// A character device (`/dev/usb/lp0`) is opened read-write so a bidirectional printer can
    /// answer status queries; a regular file is appended to and synced.
    public func connect() throws(SystemError) -> PrinterConnection {
        var st = stat()
        let exists = stat(path, &st) == 0
        let isDevice = exists && (st.st_mode & S_IFMT) == S_IFCHR
        let flags = isDevice ? O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC : O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_NONBLOCK | O_CLOEXEC
        var fd = retryingEINTR { open(path, flags, 0o640) }
        var canRead = isDevice
        if fd < 0 && isDevice && (errno == EACCES || errno == EINVAL) {
            // A write-only node still prints, without status.
            fd = retryingEINTR { open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
            canRead = false
        }
        guard fd >= 0 else { throw SystemError("open", path) }
        return PrinterConnection(fd: fd, description: path, canRead: canRead, writeTimeoutMs: writeTimeoutMs, isFile: !isDevice)
    }
}

/// A printer on a serial line (RS-232, USB serial): raw mode at the configured speed, with
/// hardware (RTS/CTS) or software (XON/XOFF) flow control so its buffer never overflows.
public struct SerialPrinter: PrinterTransport {
    public let path: String
    public let settings: SerialSettings
    public let writeTimeoutMs: Int32

    public var description: String { PrinterTarget.serial(path, settings).description }

    public func connect() throws(SystemError) -> PrinterConnection {
        let port = try SerialPort(path: path, settings: settings)
        let fd = dup(port.fd)
        guard fd >= 0 else { throw SystemError("dup", path) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return PrinterConnection(fd: fd, description: description, canRead: true, writeTimeoutMs: writeTimeoutMs)
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

extension PrinterTarget {
    /// The udev subsystems whose events can concern this printer; empty for network and file
    /// targets (nothing to plug).
    public var hotPlugSubsystems: [String] {
        switch self {
        case .tcp: []
        case .path(let path): path.hasPrefix("/dev/") ? ["usbmisc", "tty"] : []
        case .serial: ["tty"]
        case .usb: ["usb"]
        }
    }

    /// Whether a udev event is this printer appearing or going away. `resolvedNode` is the
    /// device node the configured path pointed to when it was last there (a `/dev/giftbridge/…`
    /// or `/dev/serial/by-id/…` link is gone by the time its remove event comes).
    public func isConcerned(by event: UdevMonitor.Event, resolvedNode: String?) -> Bool {
        switch self {
        case .tcp: return false
        case .path(let path), .serial(let path, _):
            guard let node = event.devnode else { return false }
            return node == path || node == resolvedNode
        case .usb(let vendor, let product, _):
            guard event.subsystem == "usb", event.devtype == "usb_device", let ids = event.usbIds else { return false }
            return ids.vendor == vendor && ids.product == product
        }
    }

    /// The node a device path points to now (following links), nil for other targets or when
    /// it is not there.
    public var currentNode: String? {
        switch self {
        case .path(let path), .serial(let path, _):
            guard path.hasPrefix("/dev/"), let real = realpath(path, nil) else { return nil }
            defer { free(real) }
            return String(cString: real)
        default: return nil
        }
    }
}
