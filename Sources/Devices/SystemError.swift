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
