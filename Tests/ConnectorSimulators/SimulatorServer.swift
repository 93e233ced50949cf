import ConnectorCore
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Logging
import LedgerSQLite
import NIOCore
import NIOHTTPTypes
import Synchronization

/// What a simulator does wrong, on purpose, to one request.
public enum Fault: Sendable, Equatable, CustomStringConvertible {
    /// Books the request, then answers only after `ms` (after the client's deadline).
    case lateAnswer(ms: Int)
    /// Books the request, then resets the connection instead of answering.
    case resetAfterCommit
    /// Resets the connection without booking.
    case resetBeforeCommit
    /// Answers 503 without booking.
    case serverError
    /// Books the request, then answers a body that is not JSON.
    case malformedAfterCommit
    /// Waits `ms`, then books and answers normally.
    case slow(ms: Int)

    public var description: String {
        switch self {
        case .lateAnswer(let ms): "commit, answer after \(ms) ms"
        case .resetAfterCommit: "commit, then reset"
        case .resetBeforeCommit: "reset before commit"
        case .serverError: "HTTP 503"
        case .malformedAfterCommit: "commit, malformed JSON"
        case .slow(let ms): "slow (\(ms) ms)"
        }
    }

    /// Whether the request is booked at the provider despite the fault.
    public var commits: Bool {
        switch self {
        case .resetBeforeCommit, .serverError: false
        default: true
        }
    }
}

/// Which requests a fault applies to.
public enum FaultTarget: Sendable, Equatable {
    /// Requests that change a balance (not reversals).
    case mutations
    /// Reversals and cancellations.
    case reversals
    /// Requests that change nothing (balances, lookups, lists).
    case reads
    /// Every request that changes something.
    case all
}

/// The simulator's request kinds, for fault targeting and counting.
public enum RequestKind: String, Sendable {
    case read, mutation, reversal
}

/// The faults to inject, consumed in order.
public final class FaultPlan: Sendable {
    struct Rule { var target: FaultTarget; var fault: Fault; var remaining: Int? }
    private let rules = Mutex<[Rule]>([])

    public init() {}

    /// Injects `fault` into the next `times` requests of `target` (nil: until cleared).
    public func inject(_ fault: Fault, on target: FaultTarget = .mutations, times: Int? = 1) {
        rules.withLock { $0.append(Rule(target: target, fault: fault, remaining: times)) }
    }

    public func clear() { rules.withLock { $0.removeAll() } }

    func take(_ kind: RequestKind) -> Fault? {
        rules.withLock { rules in
            guard let i = rules.firstIndex(where: { r in
                switch r.target {
                case .all: kind != .read
                case .mutations: kind == .mutation
                case .reversals: kind == .reversal
                case .reads: kind == .read
                }
            }) else { return nil }
            let fault = rules[i].fault
            if let n = rules[i].remaining {
                if n <= 1 { rules.remove(at: i) } else { rules[i].remaining = n - 1 }
            }
            return fault
        }
    }
}

/// A provider simulator: a Hummingbird app on a loopback port, backed by the embedded ledger
/// (which implements the vendors' rules), with fault injection. Tests and the benchmark run it.
public final class SimulatorServer: Sendable {
    public let ledger: SQLiteLedger
    public let faults = FaultPlan()
    public let directory: String
    private let portBox = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let counts = Mutex<[String: Int]>([:])
    public let currency: Currency

    /// `holdLifetime`: how long the provider keeps an unconfirmed hold (a zmyle intent).
    public init(currency: Currency = .eur, holdLifetime: TimeInterval = 30 * 60) throws {
        directory = NSTemporaryDirectory() + "gbsim-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        ledger = try SQLiteLedger(
            path: directory + "/provider.sqlite", keyer: CardKeyer(key: Array(repeating: 7, count: 32)), holdLifetime: holdLifetime)
        self.currency = currency
    }

    public var port: Int { portBox.withLock { $0 ?? 0 } }
    public var baseURL: String { "http://127.0.0.1:\(port)/" }

    /// How many requests reached `path` (any method).
    public func count(_ path: String) -> Int { counts.withLock { $0[path] ?? 0 } }

    /// How many requests reached the simulator at all.
    public var requestCount: Int { counts.withLock { $0.values.reduce(0, +) } }

    func counted(_ path: String) { counts.withLock { $0[path, default: 0] += 1 } }

    /// Starts serving `router` on 127.0.0.1 (a free port); returns when it accepts.
    public func start(_ router: Router<BasicRequestContext>) async throws {
        let ready = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ResetOnMarker()])),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                ready.continuation.yield(channel.localAddress?.port ?? 0)
                ready.continuation.finish()
            },
            logger: Logger(label: "simulator"))
        // The simulator's handlers run on threads of their own: tests that block the (2-thread)
        // cooperative pool in the same process must not make the "provider" answer late.
        let t = Task(executorPreference: SimulatorExecutor.shared) {
            do { try await app.runService(gracefulShutdownSignals: []) } catch {}
            ready.continuation.finish()
        }
        task.withLock { $0 = t }
        var port = 0
        for await p in ready.stream { port = p }
        guard port > 0 else { throw SimulatorError("simulator did not start") }
        portBox.withLock { $0 = port }
    }

    public func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit {
        task.withLock { $0?.cancel() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs a request through the fault plan: `commit` books it and builds the answer.
    func answer(_ kind: RequestKind, path: String, _ commit: () async -> (HTTPResponse.Status, JSONValue)) async -> Response {
        counted(path)
        let fault = faults.take(kind)
        switch fault {
        case .resetBeforeCommit: return Self.reset
        case .serverError: return Self.json(.serviceUnavailable, .object([("error", .string("service unavailable"))]))
        case .slow(let ms):
            try? await Task.sleep(for: .milliseconds(ms))
        default: break
        }
        let (status, body) = await commit()
        switch fault {
        case .lateAnswer(let ms):
            try? await Task.sleep(for: .milliseconds(ms))
            return Self.json(status, body)
        case .resetAfterCommit: return Self.reset
        case .malformedAfterCommit:
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"result\": \"succ")))
        default: return Self.json(status, body)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body.bytes)))
    }

    static let resetMarker = HTTPField.Name("x-simulator-reset")!
    static var reset: Response { Response(status: .ok, headers: [resetMarker: "1"]) }

    /// The request body as JSON, or nil when it is not.
    static func body(_ request: Request) async -> JSONValue? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: 1 << 20) else { return nil }
        return try? JSONValue.parse(Array(buffer.readableBytesView))
    }
}

public struct SimulatorError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// Turns a response marked `x-simulator-reset` into a TCP reset (SO_LINGER 0, close): the client
/// sees its connection die before any answer.
final class ResetOnMarker: ChannelOutboundHandler, RemovableChannelHandler, Sendable {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if case .head(let head) = part, head.headerFields[SimulatorServer.resetMarker] != nil {
            let channel = context.channel
            promise?.fail(ChannelError.ioOnClosedChannel)
            if let options = channel as? any SocketOptionProvider {
                options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
            return
        }
        context.write(data, promise: promise)
    }
}

/// A task executor on a concurrent dispatch queue (the overcommitting pool, not Swift's
/// cooperative one), so that simulators answer on time whatever else the test process runs.
final class SimulatorExecutor: TaskExecutor {
    static let shared = SimulatorExecutor()
    private let queue = DispatchQueue(label: "giftbridge.simulator", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
