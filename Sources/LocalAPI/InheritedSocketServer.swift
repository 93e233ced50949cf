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

/// The API on a listening socket that systemd passed in (socket activation, `LISTEN_FDS`):
/// the same router and HTTP/1 pipeline as ``APIServer/application(socketPath:backend:events:logger:onReady:)``,
/// on the inherited descriptor instead of a socket of its own. systemd keeps the socket while
/// the daemon restarts, so POS software that connects in between waits instead of failing.
public struct InheritedSocketServer: Service {
    let descriptor: Int32
    let responder: RouterResponder<APIRequestContext>
    let logger: Logger
    let onReady: @Sendable () async -> Void
    let idleTimeout: Duration

    public init(descriptor: Int32, idleTimeout: Duration = APIServer.defaultIdleTimeout, backend: some APIBackend, events: EventBus, logger: Logger, onReady: @escaping @Sendable () async -> Void) {
        self.descriptor = descriptor
        self.idleTimeout = idleTimeout
        self.responder = APIServer.router(backend: backend, events: events).buildResponder()
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let http = HTTP1Channel(responder: { request, responseWriter, channel in
            let context = APIRequestContext(source: .init(channel: channel, logger: logger))
            let response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch {
                response = Response(status: .internalServerError)
            }
            try await responseWriter.write(response: response.head, body: response.body)
        }, configuration: .init(idleTimeout: .init(idleTimeout)))
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
        logger.info("serving the API on the socket systemd passed (fd \(descriptor))")
        await onReady()
        try? await gracefulShutdown()
        try? await server.close()
        await connections.waitForAll()
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
