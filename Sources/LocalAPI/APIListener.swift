import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The API served on a listening socket: the Unix socket the daemon binds (``bindUnix(path:)``),
/// the one systemd passes (socket activation, ``SocketActivation``), or the loopback TCP
/// listener (``bindTCP(host:port:)``). One router and one HTTP/1 pipeline for all three, with no
/// timers of its own: an idle daemon sleeps in epoll.
public struct APIListener: Service {
    let descriptor: Int32
    let responder: RouterResponder<APIRequestContext>
    let logger: Logger
    let what: String
    let onReady: @Sendable () async -> Void
    let idleTimeout: Duration
    let requestDeadline: Duration

    public init(
        descriptor: Int32, what: String, access: TCPAccess? = nil, idleTimeout: Duration = APIServer.defaultIdleTimeout,
        requestDeadline: Duration = APIServer.defaultRequestDeadline,
        backend: some APIBackend, events: EventBus, limits: MoneyLimits = MoneyLimits(), logger: Logger,
        onReady: @escaping @Sendable () async -> Void = {}
    ) {
        self.descriptor = descriptor
        self.what = what
        self.idleTimeout = idleTimeout
        self.requestDeadline = requestDeadline
        self.responder = APIServer.router(backend: backend, events: events, access: access, limits: limits).buildResponder()
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let deadline = requestDeadline
        let http = HTTP1Channel(responder: { request, responseWriter, channel in
            let context = APIRequestContext(source: .init(channel: channel, logger: logger))
            let response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch {
                response = Response(status: .internalServerError)
            }
            try await responseWriter.write(response: response.head, body: response.body)
        }, configuration: .init(additionalChannelHandlers: [RequestGuard(deadline: deadline)], idleTimeout: .init(idleTimeout)))
        let connections = ConnectionTasks()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                http.setup(channel: channel, logger: logger).map { value in
                    connections.start { await http.handle(value: value, logger: logger) }
                }
            }
            .withBoundSocket(descriptor)
            .get()
        logger.info("serving the API on \(what)")
        await onReady()
        try? await gracefulShutdown()
        try? await server.close()
        await connections.waitForAll()
    }

    public enum BindError: Error, CustomStringConvertible {
        case failed(call: String, subject: String, errno: Int32)
        /// Something other than a socket is where the socket should go: a setting's mistake,
        /// and nothing is removed.
        case notASocket(path: String, kind: String)
        public var description: String {
            switch self {
            case .failed(let call, let subject, let e): "\(call)(\(subject)): \(String(cString: strerror(e)))"
            case .notASocket(let path, let kind):
                "\(path) is \(kind), not a socket: the API socket's path must be absent or a stale socket; the file is left alone (remove it, or set api.socket / --socket to another path)"
            }
        }
    }

    /// Checks that `path` is absent or a socket (a stale one is replaced at bind); never
    /// follows a symbolic link there.
    public static func checkSocketPath(_ path: String) throws(BindError) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw .failed(call: "lstat", subject: path, errno: errno)
        }
        let kind: String
        switch st.st_mode & S_IFMT {
        case S_IFSOCK: return
        case S_IFREG: kind = "a regular file"
        case S_IFDIR: kind = "a directory"
        case S_IFLNK: kind = "a symbolic link"
        case S_IFIFO: kind = "a FIFO"
        case S_IFCHR, S_IFBLK: kind = "a device"
        default: kind = "not a socket"
        }
        throw .notASocket(path: path, kind: kind)
    }

    /// A listening Unix socket at `path` (a stale socket file is replaced; anything else there
    /// is refused, ``checkSocketPath(_:)``), mode 0660.
    public static func bindUnix(path: String, backlog: Int32 = 256) throws(BindError) -> Int32 {
        try checkSocketPath(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed(call: "socket", subject: path, errno: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw .failed(call: "bind", subject: path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        unlink(path)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard rc == 0, chmod(path, 0o660) == 0, listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            throw .failed(call: "bind", subject: path, errno: e)
        }
        return fd
    }

    /// A listening TCP socket on `host:port` (an IPv4 or IPv6 literal).
    public static func bindTCP(host: String, port: Int, backlog: Int32 = 256) throws(BindError) -> Int32 {
        let address: SocketAddress
        do { address = try SocketAddress(ipAddress: host, port: port) } catch {
            throw .failed(call: "getaddrinfo", subject: host, errno: EINVAL)
        }
        let fd = socket(Int32(address.protocol.rawValue), Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed(call: "socket", subject: "\(host):\(port)", errno: errno) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard rc == 0, listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            throw .failed(call: "bind", subject: "\(host):\(port)", errno: e)
        }
        return fd
    }
}

/// The tasks serving open connections, so that shutdown waits for them.
final class ConnectionTasks: Sendable {
    private let group = DispatchGroupBox()

    func start(_ body: @escaping @Sendable () async -> Void) {
        group.enter()
        Task {
            await body()
            self.group.leave()
        }
    }

    func waitForAll() async {
        await group.wait()
    }
}

/// A counter of running tasks that can be awaited at zero.
final class DispatchGroupBox: Sendable {
    private let state = Mutex<(count: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    func enter() { state.withLock { $0.count += 1 } }

    func leave() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.count -= 1
            guard s.count == 0 else { return [] }
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { s in
                if s.count == 0 { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}

/// Sockets passed by systemd (`sd_listen_fds`): `LISTEN_PID` must be this process; the first
/// descriptor is 3. Only a listening Unix stream socket is taken; the variables are removed so
/// that child processes do not take them too.
public enum SocketActivation {
    public enum Failure: Error, CustomStringConvertible {
        case notAListeningUnixSocket(Int32)
        public var description: String {
            switch self {
            case .notAListeningUnixSocket(let fd): "LISTEN_FDS: descriptor \(fd) is not a listening Unix stream socket (check ListenStream= in giftbridged.socket)"
            }
        }
    }

    /// The inherited API socket, nil when the daemon was not socket-activated.
    public static func listeningSocket(environment: [String: String]) throws(Failure) -> Int32? {
        guard let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
              let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1 else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        let fd: Int32 = 3
        var listening: Int32 = 0
        var domain: Int32 = 0
        var type: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0, listening == 1,
              getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0, domain == AF_UNIX,
              getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            throw .notAListeningUnixSocket(fd)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }
}
