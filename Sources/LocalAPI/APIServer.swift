import Foundation
import Hummingbird
import Logging
import NIOCore

/// What the daemon does for the API. The API only translates HTTP to these calls and back.
public protocol APIBackend: Sendable {
    func health() async -> HealthReport
    func devices() async -> DevicesReport
    func balance(_ request: BalanceRequest) async throws(APIError) -> BalanceReply
    func simulateSwipe(_ request: SimulateSwipeRequest) async throws(APIError) -> SimulateSwipeReply
    func gift(_ operation: GiftOperation, _ request: GiftOperationRequest) async throws(APIError) -> TransactionReply
    func transaction(id: Int64) async throws(APIError) -> TransactionReply
    func reserveHold(_ request: HoldRequest) async throws(APIError) -> HoldReply
    func hold(id: String) async throws(APIError) -> HoldReply
    func confirmHold(id: String, _ request: HoldActionRequest) async throws(APIError) -> TransactionReply
    func cancelHold(id: String, _ request: HoldActionRequest) async throws(APIError) -> HoldReply
    func addCard(_ request: NewCardRequest) async throws(APIError) -> BalanceReply
    func prepaidTransaction(_ request: PrepaidTransactionRequest) async throws(APIError) -> PrepaidTransactionReply
    func reversePrepaid(uuid: String) async throws(APIError) -> PrepaidTransactionReply
    func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, limit: Int) async throws(APIError) -> PageReply<PrepaidTransactionReply>
    func prepaidBalance(contactUuid: String) async throws(APIError) -> ContactReply
    func addContact(_ request: NewContactRequest) async throws(APIError) -> ContactReply
    func addShop(_ request: NewShopRequest) async throws(APIError) -> ShopReply
    func printers() async -> PrintersReply
    func print(_ request: PrintRequest) async throws(APIError) -> PrintJobReply
    func printJob(id: Int) async throws(APIError) -> PrintJobReply
    func cancelPrintJob(id: Int) async throws(APIError) -> PrintJobReply
    /// Kicks the cash drawer open; its state once the kick is out.
    func openDrawer() async throws(APIError) -> DrawerInfo
    /// Prometheus text exposition of the daemon's metrics.
    func metrics() async -> String
}

/// The local HTTP/1.1 + JSON API on a Unix domain socket.
public enum APIServer {
    /// A connection with no request in progress (or a request whose head or body stops coming)
    /// is closed after this long; a response in progress (the event stream) is never cut.
    public static let defaultIdleTimeout: Duration = .seconds(30)

    /// A request's body must have arrived this long after its head, however steadily it
    /// trickles (408 `request_timeout`, then the connection is closed).
    public static let defaultRequestDeadline: Duration = .seconds(10)

    /// Largest request body accepted.
    public static let bodyLimit = 64 * 1024

    /// The router with every route, for the application and for tests.
    /// `access` guards the loopback TCP listener (token, CORS); the Unix socket has none.
    /// `limits` are the money rules every amount in a request body passes (``MoneyLimits``).
    public static func router(backend: some APIBackend, events: EventBus, access: TCPAccess? = nil, limits: MoneyLimits = MoneyLimits()) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        let table = RouteTable()
        router.add(middleware: JSONErrorMiddleware(routes: table))
        if let access { router.add(middleware: TCPAccessMiddleware(access: access)) }
        router.add(middleware: PeerMiddleware())
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: await backend.metrics())))
        }
        let v1 = router.group("v1")
        v1.get("health") { _, _ in try json(await backend.health()) }
        v1.get("devices") { _, _ in try json(await backend.devices()) }
        v1.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        v1.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        v1.post("gift/balance") { request, context in
            let body = try await BalanceRequest.decodeStrictly(collect(request), limits: limits)
            return try json(await backend.balance(body))
        }
        for operation in GiftOperation.allCases {
            v1.post("gift/\(operation.rawValue)") { request, context in
                let body = try await GiftOperationRequest.decodeStrictly(collect(request), idempotencyHeader: request, limits: limits)
                return try json(await backend.gift(operation, body))
            }
        }
        v1.get("transactions/:id") { _, context in
            guard let id = context.parameters.get("id").flatMap(Int64.init) else {
                throw APIError(.badRequest, "invalid_id", "a transaction id is a positive integer")
            }
            return try json(await backend.transaction(id: id))
        }
        v1.post("holds") { request, context in
            let body = try await HoldRequest.decodeStrictly(collect(request), idempotencyHeader: request, limits: limits)
            return try json(await backend.reserveHold(body), status: .created)
        }
        v1.get("holds/:id") { _, context in try json(await backend.hold(id: context.parameters.get("id") ?? "")) }
        v1.post("holds/:id/confirm") { request, context in
            let body = try await HoldActionRequest.decodeStrictly(collect(request, allowEmpty: true), idempotencyHeader: request, limits: limits)
            return try json(await backend.confirmHold(id: context.parameters.get("id") ?? "", body))
        }
        v1.post("holds/:id/cancel") { request, context in
            let body = try await HoldActionRequest.decodeStrictly(collect(request, allowEmpty: true), idempotencyHeader: request, limits: limits)
            return try json(await backend.cancelHold(id: context.parameters.get("id") ?? "", body))
        }
        v1.post("cards") { request, context in
            let body = try await NewCardRequest.decodeStrictly(collect(request), limits: limits)
            return try json(await backend.addCard(body), status: .created)
        }
        v1.post("prepaid/transactions") { request, context in
            let body = try await PrepaidTransactionRequest.decodeStrictly(collect(request), idempotencyHeader: request, limits: limits)
            return try json(await backend.prepaidTransaction(body), status: .created)
        }
        v1.get("prepaid/transactions") { request, context in
            let q = request.uri.queryParameters
            for (key, _) in q where !["contactUuid", "shopUuid", "limit", "page"].contains(String(key)) {
                throw APIError(.badRequest, "unknown_field", "unknown query parameter '\(key)'; expected contactUuid, shopUuid, limit, page")
            }
            func number(_ name: String, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
                guard let text = q.get(name) else { return value }
                guard let n = Int(text), range.contains(n) else {
                    throw APIError(.badRequest, "invalid_field", "'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                return n
            }
            return try json(await backend.prepaidTransactions(
                contactUuid: q.get("contactUuid"), shopUuid: q.get("shopUuid"),
                page: number("page", default: 1, range: 1...1_000_000), limit: number("limit", default: 30, range: 1...100)))
        }
        v1.post("prepaid/transactions/:uuid/reverse") { _, context in
            try json(await backend.reversePrepaid(uuid: context.parameters.get("uuid") ?? ""), status: .created)
        }
        v1.get("contacts/:uuid/prepaid-balance") { _, context in
            try json(await backend.prepaidBalance(contactUuid: context.parameters.get("uuid") ?? ""))
        }
        v1.post("contacts") { request, context in
            try json(await backend.addContact(NewContactRequest.decodeStrictly(collect(request), limits: limits)), status: .created)
        }
        v1.post("shops") { request, context in
            try json(await backend.addShop(NewShopRequest.decodeStrictly(collect(request), limits: limits)), status: .created)
        }
        v1.get("printers") { _, _ in try json(await backend.printers()) }
        v1.post("print") { request, _ in
            let body = try await PrintRequest.decode(collect(request, limit: printBodyLimit))
            return try json(await backend.print(body), status: .created)
        }
        v1.get("print/jobs/:id") { _, context in
            guard let id = context.parameters.get("id").flatMap(Int.init) else {
                throw APIError(.badRequest, "invalid_id", "a print job id is a whole number")
            }
            return try json(await backend.printJob(id: id))
        }
        v1.delete("print/jobs/:id") { _, context in
            guard let id = context.parameters.get("id").flatMap(Int.init) else {
                throw APIError(.badRequest, "invalid_id", "a print job id is a whole number")
            }
            return try json(await backend.cancelPrintJob(id: id))
        }
        v1.post("drawer/open") { request, _ in
            _ = try await DrawerOpenRequest.decodeStrictly(collect(request, allowEmpty: true), limits: limits)
            return try json(await backend.openDrawer())
        }
        v1.post("simulate/swipe") { request, context in
            let body = try await SimulateSwipeRequest.decodeStrictly(collect(request), limits: limits)
            return try json(await backend.simulateSwipe(body), status: .accepted)
        }
        v1.get("events") { request, _ in
            let lastId = request.headers.first { $0.name.canonicalName == "last-event-id" }.flatMap { UInt64($0.value) }
            let stream = events.subscribe(after: lastId)
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    // A comment first, so the client sees the stream open at once.
                    try await writer.write(ByteBuffer(string: ": giftbridge events\n\n"))
                    for await event in stream {
                        try await writer.write(ByteBuffer(string: event.sse))
                    }
                    try await writer.finish(nil)
                })
        }
        table.fill(router.routes.map { ($0.method.rawValue, "\($0.path)") })
        return router
    }

    /// `POST /v1/print` carries raw ESC/POS (1 MiB, base64): its own, larger limit.
    public static let printBodyLimit = 2 * 1024 * 1024

    static func collect(_ request: Request, allowEmpty: Bool = false, limit: Int = bodyLimit) async throws -> Data {
        let buffer = try await request.body.collect(upTo: limit)
        if allowEmpty && buffer.readableBytes == 0 { return Data("{}".utf8) }
        return Data(buffer.readableBytesView)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
