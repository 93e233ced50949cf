import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of an API connection: the kernel's word for a Unix socket peer
/// (`SO_PEERCRED`: uid, gid, pid), the address for a TCP peer. Recorded with every booking as
/// `requestedBy`.
public struct APIPeer: Sendable, Equatable, CustomStringConvertible {
    public var uid: UInt32?
    public var gid: UInt32?
    public var pid: Int32?
    /// For TCP peers: `127.0.0.1:54321`.
    public var address: String?

    public init(uid: UInt32? = nil, gid: UInt32? = nil, pid: Int32? = nil, address: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.address = address
    }

    /// `uid=1000 gid=1000 pid=4242`, or `tcp 127.0.0.1:54321`.
    public var description: String {
        if let address { return "tcp \(address)" }
        var parts: [String] = []
        if let uid { parts.append("uid=\(uid)") }
        if let gid { parts.append("gid=\(gid)") }
        if let pid { parts.append("pid=\(pid)") }
        return parts.isEmpty ? "unknown" : parts.joined(separator: " ")
    }

    /// The peer of the request being handled (set by ``PeerMiddleware`` for the whole request).
    @TaskLocal public static var current: APIPeer?

    /// Asks the channel's socket: peer credentials on a Unix socket, the remote address on TCP.
    static func of(_ channel: any Channel) async -> APIPeer? {
        if let remote = channel.remoteAddress, remote.protocol != .unix {
            let ip = remote.ipAddress ?? "?"
            return APIPeer(address: remote.protocol == .inet6 ? "[\(ip)]:\(remote.port ?? 0)" : "\(ip):\(remote.port ?? 0)")
        }
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let credentials: PeerCredentials? = try? await provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: soPeerCred)
        ).get()
        guard let credentials else { return nil }
        return APIPeer(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid)
    }
}

/// `struct ucred` (glibc shows it only under `_GNU_SOURCE`): pid, uid, gid, 32 bits each.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// `SO_PEERCRED` (asm-generic/socket.h).
private let soPeerCred: Int32 = 17

/// The request context of every route: Hummingbird's core storage plus the connection's channel,
/// from which ``PeerMiddleware`` learns who asked.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Runs each request with ``APIPeer/current`` set to the connection's peer.
struct PeerMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let peer = await APIPeer.of(context.channel)
        return try await APIPeer.$current.withValue(peer) { try await next(request, context) }
    }
}
