import AsyncHTTPClient
import ConnectorCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Where a provider is and how long to wait for it.
public struct ProviderEndpoint: Sendable, Equatable {
    /// e.g. `https://api.paytronix.com/rest/` or `http://127.0.0.1:8181/`; paths are appended.
    public var baseURL: String
    public var connectTimeoutMs: Int
    /// How long the answer may take once the request is sent.
    public var readTimeoutMs: Int

    public init(baseURL: String, connectTimeoutMs: Int = 3000, readTimeoutMs: Int = 10_000) {
        self.baseURL = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        self.connectTimeoutMs = connectTimeoutMs
        self.readTimeoutMs = readTimeoutMs
    }
}

/// A provider's answer: status and body (at most 1 MiB).
public struct ProviderReply: Sendable {
    public var status: Int
    public var body: [UInt8]
}

/// HTTP to one provider over async-http-client, with explicit connect and read deadlines. It
/// tells a request that never left (`notSent`) from one whose outcome is unknown, and keeps the
/// connector's health. Credentials go into the `Authorization` header only; nothing here logs.
public final class ProviderTransport: Sendable {
    public let endpoint: ProviderEndpoint
    let authorization: String?
    let client: HTTPClient
    private let status = Mutex(ConnectorStatus())

    public struct ConnectorStatus: Sendable, Equatable {
        public var lastSuccessAt: Date?
        public var lastFailureAt: Date?
        public var lastError: String?
        public var requests = 0
        public var failures = 0
        /// The last exchange with the provider worked (or there was none yet).
        public var reachable: Bool { lastFailureAt == nil || (lastSuccessAt ?? .distantPast) > lastFailureAt! }
    }

    public init(endpoint: ProviderEndpoint, authorization: String?) {
        self.endpoint = endpoint
        self.authorization = authorization
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .milliseconds(Int64(endpoint.connectTimeoutMs)), read: .milliseconds(Int64(endpoint.readTimeoutMs)))
        config.redirectConfiguration = .disallow
        config.connectionPool = .init(idleTimeout: .seconds(30))
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }

    public var connectorStatus: ConnectorStatus { status.withLock { $0 } }

    /// Sends one request. A 5xx answer is an unknown outcome (the provider may have booked before
    /// failing); 2xx and 4xx bodies are returned for the vendor mapping to read.
    public func send(_ method: HTTPMethod, _ path: String, body: JSONValue?, headers: [(String, String)] = []) async throws(TransportFailure) -> ProviderReply {
        var request = HTTPClientRequest(url: endpoint.baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.bytes))
        }
        let deadline = NIODeadline.now() + .milliseconds(Int64(endpoint.connectTimeoutMs + endpoint.readTimeoutMs))
        do {
            let response = try await client.execute(request, deadline: deadline)
            let buffer = try await response.body.collect(upTo: 1 << 20)
            let code = Int(response.status.code)
            guard code < 500 else {
                record(failure: "HTTP \(code)")
                // The path only: a query can carry a card number (Piggy's `?hash=`), and this
                // message reaches the POS, the log, /v1/health and the outbox.
                throw TransportFailure.outcomeUnknown("\(path.prefix { $0 != "?" }): HTTP \(code)")
            }
            record(failure: nil)
            return ProviderReply(status: code, body: Array(buffer.readableBytesView))
        } catch let failure as TransportFailure {
            throw failure
        } catch {
            let failure = Self.classify(error)
            record(failure: "\(failure)")
            throw failure
        }
    }

    /// Marks the last exchange as failed for a reason the transport cannot see (an unreadable body).
    public func recordMalformed(_ why: String) { record(failure: why) }

    private func record(failure: String?) {
        status.withLock { s in
            s.requests += 1
            if let failure {
                s.failures += 1
                s.lastFailureAt = Date()
                s.lastError = failure
            } else {
                s.lastSuccessAt = Date()
            }
        }
    }

    /// Only a failure to connect proves the request never left; everything else may have
    /// reached the provider.
    static func classify(_ error: any Error) -> TransportFailure {
        if let e = error as? HTTPClientError, e == .connectTimeout { return .notSent("connect timeout") }
        if error is NIOConnectionError { return .notSent("cannot connect: \(error)") }
        if let e = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(e.errnoCode) { return .notSent("cannot connect: \(e)") }
        if let e = error as? ChannelError, case .connectTimeout = e { return .notSent("connect timeout") }
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout: return .outcomeUnknown("no answer before the deadline")
            case .remoteConnectionClosed: return .outcomeUnknown("the provider closed the connection")
            default: return .outcomeUnknown("\(e)")
            }
        }
        return .outcomeUnknown("\(error)")
    }

    public func shutdown() async {
        guard isShutDown.withLock({ let was = $0; $0 = true; return !was }) else { return }
        try? await client.shutdown()
    }

    private let isShutDown = Mutex(false)

    deinit {
        // A start-up that failed after the connector was made: the client must still be shut down.
        if !isShutDown.withLock({ $0 }) { try? client.syncShutdown() }
    }
}
