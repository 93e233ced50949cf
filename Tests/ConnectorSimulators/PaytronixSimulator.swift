import CardReading
import ConnectorCore
import Foundation
import Hummingbird
import Ledger

/// The Paytronix gift service as the seed describes it: `POST gift/{sell,reload,balance,redeem,
/// reverse,cashOut,exchange}.json` with `merchantId`, `storeCode` and `CardInfo`, decimal
/// amounts, `success` / `failure` replies; a reversal by `externalTransactionId` of a request that
/// has not arrived keeps the id, so that the request is refused when it does.
public final class PaytronixSimulator: Sendable {
    public let server: SimulatorServer
    public let merchantId: Int64
    public let authorization: String

    public init(merchantId: Int64 = 4242, authorization: String = "Basic cG9zOnNlY3JldA==") async throws {
        server = try SimulatorServer()
        self.merchantId = merchantId
        self.authorization = authorization
        let router = Router()
        router.post("gift/:operation") { request, context in
            await self.handle(request, operation: context.parameters.get("operation") ?? "")
        }
        try await server.start(router)
    }

    public var baseURL: String { server.baseURL }
    public var faults: FaultPlan { server.faults }
    public var ledger: some LedgerStore { server.ledger }

    /// The balance as the provider holds it (minor units), straight from its ledger.
    public func balance(_ number: String) async throws -> Int64 {
        try await server.ledger.balance(of: CardInfo(printedCardNumber: number), context: RequestContext()).balance.minorUnits
    }

    public func addCard(_ number: String, balance: Int64, status: CardStatus? = nil, form: CardForm = .physical) async throws {
        try await server.ledger.addCard(
            number: number, form: form, status: status ?? (balance > 0 ? .active : .inactive),
            balance: Money(minorUnits: balance, currency: server.currency), maximumBalance: nil, expiresOn: nil, registrationCode: nil)
    }

    func handle(_ request: Request, operation: String) async -> Response {
        let path = "gift/" + operation
        guard request.headers[.authorization] == authorization else {
            server.counted(path)
            return SimulatorServer.json(.unauthorized, .object([("result", .string("failure")), ("errorCode", .string("auth.invalid_credentials")), ("errorMessage", .string("bad credentials"))]))
        }
        guard let body = await SimulatorServer.body(request) else {
            server.counted(path)
            return SimulatorServer.json(.badRequest, Paytronix.failureReply(.invalidRequest("the body is not JSON")))
        }
        let kind: RequestKind = switch operation {
        case "balance.json": .read
        case "reverse.json": .reversal
        default: .mutation
        }
        return await server.answer(kind, path: path) {
            do {
                return (.ok, try await self.run(operation, body))
            } catch let e as LedgerError {
                return (.ok, Paytronix.failureReply(e))
            } catch {
                return (.ok, Paytronix.failureReply(.storageFailure("\(error)")))
            }
        }
    }

    func run(_ operation: String, _ body: JSONValue) async throws -> JSONValue {
        guard body["merchantId"]?.int64Value == merchantId else { throw LedgerError.invalidRequest("merchantId is missing or not this merchant's") }
        guard let store = body["storeCode"]?.stringValue, !store.isEmpty else { throw LedgerError.invalidRequest("storeCode is required") }
        let currency = server.currency
        func amount(_ key: String, required: Bool = true) throws -> Int64? {
            guard let text = body[key]?.decimalText else {
                if required { throw LedgerError.invalidRequest("\(key) is required") }
                return nil
            }
            do { return try Money.parse(text, currency: currency).minorUnits } catch { throw LedgerError.invalidAmount("\(key): \(error)") }
        }
        func card(_ key: String = "cardInfo") throws -> CardInfo {
            guard let c = Paytronix.cardInfo(from: body[key]) else { throw LedgerError.invalidRequest("\(key) is required") }
            return c
        }
        let ctx = OperationContext(
            storeCode: store, terminalId: body["terminalId"]?.stringValue, cashier: body["cashier"]?.stringValue,
            checkNumber: body["checkNumber"]?.stringValue, externalTransactionId: body["externalTransactionId"]?.stringValue)
        try ctx.validate()
        let command: GiftCommand
        switch operation {
        case "balance.json":
            let c = try card()
            let state = try await server.ledger.balance(of: c, context: RequestContext(storeCode: store))
            return Paytronix.balanceReply(state, printedCardNumber: c.printedCardNumber)
        case "sell.json": command = .sell(try card(), amount: try amount("amount")!)
        case "reload.json": command = .reload(try card(), amount: try amount("amount")!)
        case "redeem.json": command = .redeem(try card(), amount: try amount("amount")!, tip: try amount("tip", required: false) ?? 0)
        case "cashOut.json": command = .cashOut(try card())
        case "exchange.json": command = .exchange(try card(), to: try card("newCardInfo"))
        case "reverse.json":
            if let id = body["pxTransactionId"]?.int64Value {
                command = .reverse(transactionId: id)
            } else if let ext = body["externalTransactionId"]?.stringValue {
                command = .reverseExternal(externalTransactionId: ext)
            } else {
                throw LedgerError.invalidRequest("one of pxTransactionId or externalTransactionId must be provided")
            }
        default: throw LedgerError.invalidRequest("no operation \(operation)")
        }
        var runCtx = ctx
        if case .reverseExternal = command { runCtx.externalTransactionId = nil }
        let result = try await server.ledger.execute(command, context: runCtx)
        let printed: String? = switch command {
        case .sell(let c, _), .reload(let c, _), .redeem(let c, _, _), .cashOut(let c): c.printedCardNumber
        case .exchange(_, let new): new.printedCardNumber
        default: nil
        }
        return Paytronix.successReply(result, printedCardNumber: printed)
    }
}
