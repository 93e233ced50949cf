import CardReading
import ConnectorCore
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Synchronization

/// The zmyle POS API as its documentation describes it: `PUT service/v1.1/transaction_intents`
/// (reserve; `Idempotency-Key`: the same key and body give the same intent, the same key with
/// another body is refused 409), `GET …/:id`, `POST …/:id/confirm` (NEEDS_CONFIRMATION →
/// SUCCEEDED, with `giftcardTransactionId`) and `POST …/:id/cancel` (→ CANCELLED); HTTP basic
/// auth (401 otherwise); integer minor units; compact UTC times; funds held by open intents
/// are not available; unconfirmed intents are released after `intentLifetime` (status
/// `EXPIRED`, an assumption); refusals as `{"errorId", "errorMsg", "status", "occuredAt"}`
/// with the documented codes. Backed by the embedded ledger's holds, with the shared fault injection.
public final class ZmyleSimulator: Sendable {
    public enum Operation: String, Sendable { case create, confirm, cancel, retrieve }

    public let server: SimulatorServer
    public let apiKey = "zm-key"
    public let apiSecret = "zm-secret-5f1c"
    public let retailerId = "15h3k83g45anfnwibyie"
    /// The card number each intent was made for (zmyle's `giftcardId`).
    private let giftcards = Mutex<[String: String]>([:])
    /// When set, only these operations take injected faults (e.g. only the confirm of a redemption).
    private let faultable = Mutex<Set<Operation>?>(nil)

    public init(intentLifetime: TimeInterval = 30 * 60) async throws {
        server = try SimulatorServer(holdLifetime: intentLifetime)
        let router = Router()
        // Zmyle.intentsPath
        router.put("service/v1.1/transaction_intents") { request, _ in await self.handle(request, .create, id: nil) }
        router.get("service/v1.1/transaction_intents/:id") { request, context in await self.handle(request, .retrieve, id: context.parameters.get("id")) }
        router.post("service/v1.1/transaction_intents/:id/confirm") { request, context in await self.handle(request, .confirm, id: context.parameters.get("id")) }
        router.post("service/v1.1/transaction_intents/:id/cancel") { request, context in await self.handle(request, .cancel, id: context.parameters.get("id")) }
        try await server.start(router)
    }

    public var baseURL: String { server.baseURL }
    public var faults: FaultPlan { server.faults }
    public var credentials: String { apiKey + ":" + apiSecret }
    public var authorization: String { "Basic " + Data(credentials.utf8).base64EncodedString() }

    /// Limits fault injection to `operations` (nil: every mutation and cancel, as the plan says).
    public func faultOnly(_ operations: Set<Operation>?) { faultable.withLock { $0 = operations } }

    public func addCard(_ number: String, balance: Int64, accessToken: String, status: CardStatus? = nil) async throws {
        try await server.ledger.addCard(
            number: number, form: .physical, status: status ?? (balance > 0 ? .active : .inactive),
            balance: Money(minorUnits: balance, currency: server.currency), maximumBalance: nil, expiresOn: nil, registrationCode: accessToken)
    }

    /// Balance and available balance (balance minus open intents), minor units.
    public func funds(_ number: String) async throws -> (balance: Int64, available: Int64) {
        try await server.ledger.releaseExpiredHolds()
        let c = try await server.ledger.balance(of: CardInfo(printedCardNumber: number), context: RequestContext())
        return (c.balance.minorUnits, c.available.minorUnits)
    }

    public func available(_ number: String) async throws -> Int64 { try await funds(number).available }

    func handle(_ request: Request, _ operation: Operation, id: String?) async -> Response {
        let path = operation.rawValue
        guard request.headers[.authorization] == authorization else {
            server.counted(path)
            return Self.refusal(Zmyle.unauthorizedCode, "bad api key or secret", 401)
        }
        if let id, !Zmyle.isIntentId(id) {
            server.counted(path)
            return Self.refusal("api:io:malformedId", id.count > 64 ? "too long" : "malformed", 400)
        }
        var body: JSONValue?
        if operation == .create {
            body = await SimulatorServer.body(request)
            guard body != nil else {
                server.counted(path)
                return Self.refusal("api:io:missingRequiredParam", "the body is not JSON", 400)
            }
        }
        let key = request.headers[HTTPField.Name(Zmyle.idempotencyHeader)!]
        var kind: RequestKind = switch operation {
        case .create, .confirm: .mutation
        case .cancel: .reversal
        case .retrieve: .read
        }
        if let only = faultable.withLock({ $0 }), !only.contains(operation) { kind = .read }
        return await server.answer(kind, path: path) {
            do {
                let hold = try await self.run(operation, id: id, body: body, idempotencyKey: key)
                return (.ok, self.reply(hold))
            } catch let r as ZmyleRefusal {
                return (.badRequest, Zmyle.errorReply(code: r.code, message: r.message, status: 400))
            } catch let e as LedgerError {
                let (code, status) = Zmyle.errorCode(for: e)
                return (HTTPResponse.Status(code: status), Zmyle.errorReply(code: code, message: e.description, status: status))
            } catch {
                return (.internalServerError, Zmyle.errorReply(code: "api:internal", message: "\(error)", status: 500))
            }
        }
    }

    func run(_ operation: Operation, id: String?, body: JSONValue?, idempotencyKey: String?) async throws -> HoldRecord {
        let ledger = server.ledger
        switch operation {
        case .create:
            guard let body else { throw LedgerError.invalidRequest("body") }
            func field(_ name: String) throws -> String {
                guard let v = body[name]?.stringValue, !v.isEmpty else { throw ZmyleRefusal("api:io:missingRequiredParam", name) }
                return v
            }
            let giftcardId = try field("giftcardId")
            let token = try field("accessToken")
            guard let amountValue = body["amount"] else { throw ZmyleRefusal("api:io:missingRequiredParam", "amount") }
            guard case .number(let text) = amountValue, let amount = Int64(text) else { throw ZmyleRefusal("api:io:malformedNumber", "amount") }
            guard amount > 0 else { throw ZmyleRefusal("api:io:negativeNumber", "amount") }
            guard (1...64).contains(giftcardId.count), giftcardId.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw ZmyleRefusal("api:io:malformedId", "giftcardId")
            }
            guard token.count <= 128 else { throw ZmyleRefusal("api:io:malformedToken", "accessToken") }
            var metadata: [String: String] = [:]
            if case .object(let pairs)? = body["metadata"] { for (k, v) in pairs { metadata[k] = v.stringValue ?? v.serialized } }
            let idempotency = idempotencyKey.map { Idempotency(scope: apiKey, key: $0, requestHash: SHA256.hash(body.bytes).hexString) }
            let hold = try await ledger.reserveHold(
                CardInfo(printedCardNumber: giftcardId, cardRegCode: token), amount: amount, metadata: metadata,
                context: OperationContext(idempotency: idempotency))
            giftcards.withLock { $0[hold.id] = giftcardId }
            return hold
        case .confirm:
            _ = try await ledger.confirmHold(id: id ?? "", context: OperationContext())
            return try await ledger.hold(id: id ?? "")
        case .cancel: return try await ledger.cancelHold(id: id ?? "", context: OperationContext())
        case .retrieve: return try await ledger.hold(id: id ?? "")
        }
    }

    func reply(_ h: HoldRecord) -> JSONValue {
        Zmyle.intentReply(
            h, giftcardId: giftcards.withLock { $0[h.id] } ?? "", retailerId: retailerId,
            giftcardTransactionId: h.transactionId.map { "t" + String($0, radix: 36) })
    }

    static func refusal(_ code: String, _ message: String, _ status: Int) -> Response {
        SimulatorServer.json(HTTPResponse.Status(code: status), Zmyle.errorReply(code: code, message: message, status: status))
    }
}

/// A refusal with one of zmyle's `api:io:*` codes that has no ``LedgerError`` of its own.
struct ZmyleRefusal: Error {
    var code: String
    var message: String
    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}
