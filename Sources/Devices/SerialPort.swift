#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Line settings of a serial reader or printer.
public struct SerialSettings: Sendable, Equatable {
    public enum Parity: String, Sendable, CaseIterable { case none, even, odd }
    public enum FlowControl: String, Sendable, CaseIterable { case none, rtscts, xonxoff }

    public var baud: Int
    public var dataBits: Int
    public var parity: Parity
    public var stopBits: Int
    public var flowControl: FlowControl

    public init(baud: Int = 9600, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1, flowControl: FlowControl = .none) {
        self.baud = baud
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
    }

    public static let supportedBauds: [Int: speed_t] = [
        1200: speed_t(B1200), 2400: speed_t(B2400), 4800: speed_t(B4800), 9600: speed_t(B9600),
        19200: speed_t(B19200), 38400: speed_t(B38400), 57600: speed_t(B57600), 115200: speed_t(B115200),
        230400: speed_t(B230400),
    ]

    /// Raw mode with these line settings. Call only when ``problem`` is nil.
    public func apply(to t: inout termios) {
        cfmakeraw(&t)
        let speed = SerialSettings.supportedBauds[baud]!
        cfsetispeed(&t, speed)
        cfsetospeed(&t, speed)
        t.c_cflag &= ~(tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(PARODD) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        t.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        switch dataBits {
        case 5: t.c_cflag |= tcflag_t(CS5)
        case 6: t.c_cflag |= tcflag_t(CS6)
        case 7: t.c_cflag |= tcflag_t(CS7)
        default: t.c_cflag |= tcflag_t(CS8)
        }
        switch parity {
        case .none: break
        case .even: t.c_cflag |= tcflag_t(PARENB)
        case .odd: t.c_cflag |= tcflag_t(PARENB) | tcflag_t(PARODD)
        }
        if parity != .none { t.c_iflag |= tcflag_t(INPCK) }
        if stopBits == 2 { t.c_cflag |= tcflag_t(CSTOPB) }
        t.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        switch flowControl {
        case .none: break
        case .rtscts: t.c_cflag |= tcflag_t(CRTSCTS)
        case .xonxoff: t.c_iflag |= tcflag_t(IXON) | tcflag_t(IXOFF)
        }
    }

    /// Why these settings cannot be applied, or nil.
    public var problem: String? {
        if Self.supportedBauds[baud] == nil {
            return "baud \(baud) is not one of \(Self.supportedBauds.keys.sorted().map(String.init).joined(separator: ", "))"
        }
        if !(5...8).contains(dataBits) { return "data bits must be 5 to 8" }
        if stopBits != 1 && stopBits != 2 { return "stop bits must be 1 or 2" }
        return nil
    }
}

/// An open serial line (a tty: USB serial, CDC-ACM, or a pseudo-terminal in tests), in raw mode.
public struct SerialPort: ~Copyable {
    public let fd: Int32
    public let path: String

    /// Opens `path` non-blocking and exclusive (TIOCEXCL), and applies `settings` in raw mode.
    public init(path: String, settings: SerialSettings) throws(SystemError) {
        if let problem = settings.problem { throw SystemError("configure", "\(path): \(problem)", errno: EINVAL) }
        let fd = retryingEINTR { open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path) }
        do {
            try Self.configure(fd: fd, path: path, settings: settings)
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        self.path = path
    }

    private static func configure(fd: Int32, path: String, settings: SerialSettings) throws(SystemError) {
        guard isatty(fd) == 1 else { throw SystemError("isatty", path, errno: ENOTTY) }
        if ioctl(fd, UInt(TIOCEXCL)) != 0 { throw SystemError("ioctl(TIOCEXCL)", path) }
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else { throw SystemError("tcgetattr", path) }
        settings.apply(to: &t)
        guard tcsetattr(fd, TCSANOW, &t) == 0 else { throw SystemError("tcsetattr", path) }
        _ = tcflush(fd, TCIFLUSH)
    }

    deinit { close(fd) }
}
