#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: which call, on what, and errno. Thin and typed, as swift-system's `Errno`.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public var call: String
    public var subject: String
    public var errno: Int32

    public init(_ call: String, _ subject: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var description: String { "\(call)(\(subject)): \(String(cString: strerror(errno))) (errno \(errno))" }

    /// The device went away (unplugged, hung up): reopen later rather than give up.
    public var isDisconnect: Bool { errno == ENODEV || errno == EIO || errno == ENXIO || errno == ENOENT }
}

/// Repeats a system call interrupted by a signal.
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let r = body()
        if r == -1 && errno == EINTR { continue }
        return r
    }
}

/// Opens a reader's node read-only and non-blocking: a character device, or a FIFO standing in
/// for one (recorded input in tests). Returns the descriptor and whether it is a real device.
func openReaderNode(_ path: String, what: String) throws(SystemError) -> (fd: Int32, isDevice: Bool, rdev: dev_t) {
    let fd = retryingEINTR { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
    guard fd >= 0 else { throw SystemError("open", path) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
        let e = SystemError("fstat", path)
        close(fd)
        throw e
    }
    let kind = st.st_mode & S_IFMT
    guard kind == S_IFCHR || kind == S_IFIFO else {
        close(fd)
        throw SystemError("open", "\(path): not \(what)", errno: ENODEV)
    }
    return (fd, kind == S_IFCHR, st.st_rdev)
}
