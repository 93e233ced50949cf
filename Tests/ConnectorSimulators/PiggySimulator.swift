import CardReading
import ConnectorCore
import Foundation
import Hummingbird
import Ledger
import Synchronization

/// Piggy's register API as the seeds describe it (see ``Piggy`` for what they leave open):
/// giftcard transactions create ± / get / reverse (the card's last only, 55025; digital cards
/// load once, 5006; never below zero, 5003; expired, 5002), the card lookups and the list the
/// connector uses to resolve a lost answer, prepaid transactions create / list / balance /
/// reverse. Bearer key. The rules are the embedded ledger's, run on the simulator's own SQLite
/// file; what Piggy adds (uuids, custom attributes) is kept here.
public final class PiggySimulator: Sendable {
    public let server: SimulatorServer
    public let authorization: String

    struct Card { var uuid: String; var id: Int64; var number: String }
    struct State {
        var cards: [String: Card] = [:]  // by uuid
        var transactions: [String: Piggy.Transaction] = [:]  // by uuid
        var byLedgerId: [Int64: String] = [:]
    }
    private let state = Mutex(State())

    public init(apiKey: String = "piggy-test-key") async throws {
        server = try SimulatorServer()
        authorization = "Bearer " + apiKey
        let router = Router()
        router.get("giftcards/find-one-by-hash") { r, _ in await self.handle(r, .read, "giftcards/find-one-by-hash") { _ in try await self.findCard(r.uri.queryParameters.get("hash")) } }
        router.get("giftcards/:uuid") { r, c in await self.handle(r, .read, "giftcards") { _ in try await self.card(uuid: c.parameters.get("uuid") ?? "") } }
        router.post("giftcard-transactions") { r, _ in await self.handle(r, .mutation, "giftcard-transactions") { body in try await self.createTransaction(body) } }
        router.get("giftcard-transactions") { r, _ in await self.handle(r, .read, "giftcard-transactions") { _ in try await self.listTransactions(r.uri.queryParameters.get("giftcard_hash")) } }
        router.get("giftcard-transactions/:uuid") { r, c in
            await self.handle(r, .read, "giftcard-transactions/get") { _ in try self.transactionJSON(c.parameters.get("uuid") ?? "") }
        }
        router.post("giftcard-transactions/:uuid/reverse") { r, c in
            await self.handle(r, .reversal, "giftcard-transactions/reverse") { _ in try await self.reverse(c.parameters.get("uuid") ?? "") }
        }
        router.post("prepaid-transactions") { r, _ in await self.handle(r, .mutation, "prepaid-transactions", prepaid: true) { body in try await self.createPrepaid(body) } }
        router.get("prepaid-transactions") { r, _ in
            await self.handle(r, .read, "prepaid-transactions/list", prepaid: true, envelope: false) { _ in try await self.listPrepaid(r.uri.queryParameters) }
        }
        router.get("contacts/:uuid/prepaid-balance") { r, c in
            await self.handle(r, .read, "prepaid-balance", prepaid: true) { _ in
                let contact = try await self.server.ledger.prepaidBalance(contactUuid: c.parameters.get("uuid") ?? "")
                let b = contact.prepaidBalance
                return .object([("balance_in_cents", .number(String(b.minorUnits))), ("balance", .string(b.displayString))])
            }
        }
        router.post("prepaid-transactions/:uuid/reverse") { r, c in
            await self.handle(r, .reversal, "prepaid-transactions/reverse", prepaid: true) { _ in
                let t = try await self.server.ledger.reversePrepaid(uuid: c.parameters.get("uuid") ?? "", context: OperationContext())
                return Piggy.prepaidJSON(t, currency: self.server.currency)
            }
        }
        try await server.start(router)
        try await server.ledger.addShop(shop)
    }

    public var baseURL: String { server.baseURL }
    public var faults: FaultPlan { server.faults }
    public var currency: Currency { server.currency }

    /// A card as Piggy would have issued it; returns its uuid.
    @discardableResult
    public func addCard(_ number: String, balance: Int64, form: CardForm = .physical, expiresOn: String? = nil) async throws -> String {
        let id = try await server.ledger.addCard(
            number: number, form: form, status: balance > 0 ? .active : .inactive, balance: Money(minorUnits: balance, currency: currency),
            maximumBalance: nil, expiresOn: expiresOn, registrationCode: nil)
        let uuid = UUID().uuidString.lowercased()
        state.withLock { $0.cards[uuid] = Card(uuid: uuid, id: id, number: number) }
        return uuid
    }

    /// A contact; a starting balance is booked at the simulator's own shop.
    public func addContact(_ uuid: String, identifier: String? = nil, balance: Int64 = 0) async throws {
        try await server.ledger.addContact(
            Contact(uuid: uuid, email: "\(uuid)@example.com", identifierValue: identifier, identifierName: "Membership", prepaidBalance: Money(minorUnits: 0, currency: currency)))
        if balance != 0 {
            _ = try await server.ledger.prepaidTransaction(contactUuid: uuid, identifierValue: nil, shopUuid: shop.uuid, amount: balance, context: OperationContext())
        }
    }

    public func addShop(_ uuid: String, name: String) async throws { try await server.ledger.addShop(Shop(uuid: uuid, name: name)) }

    /// The card's balance as the provider holds it.
    public func balance(_ number: String) async throws -> Int64 {
        try await server.ledger.balance(of: CardInfo(printedCardNumber: number), context: RequestContext()).balance.minorUnits
    }

    public func prepaidBalance(_ contact: String) async throws -> Int64 { try await server.ledger.prepaidBalance(contactUuid: contact).prepaidBalance.minorUnits }

    /// Every giftcard transaction booked on the card, oldest first.
    public func transactions(_ number: String) -> [Piggy.Transaction] {
        state.withLock { s in
            let uuids = Set(s.cards.values.filter { $0.number == number }.map(\.uuid))
            return s.transactions.values.filter { uuids.contains($0.cardUuid) }.sorted { $0.id < $1.id }
        }
    }

    // MARK: Handlers

    func handle(
        _ request: Request, _ kind: RequestKind, _ path: String, prepaid: Bool = false, envelope: Bool = true,
        _ run: @escaping @Sendable (JSONValue) async throws -> JSONValue
    ) async -> Response {
        guard request.headers[.authorization] == authorization else {
            server.counted(path)
            return SimulatorServer.json(.unauthorized, .object([("code", .number("1001")), ("message", .string("Unauthenticated."))]))
        }
        var body: JSONValue = .object([])
        if request.method == .post, let b = await SimulatorServer.body(request) { body = b }
        return await server.answer(kind, path: path) {
            do {
                let data = try await run(body)
                return (.ok, envelope ? Piggy.envelope(data) : data)
            } catch let e as LedgerError {
                let (status, body) = Piggy.errorBody(e, prepaid: prepaid)
                return (HTTPResponse.Status(code: status), body)
            } catch {
                return (.internalServerError, .object([("code", .number("1000")), ("message", .string("Interne fout. | Internal error."))]))
            }
        }
    }

    func giftcard(_ c: Card) async throws -> Piggy.Giftcard {
        let s = try await server.ledger.balance(of: CardInfo(printedCardNumber: c.number), context: RequestContext())
        return Piggy.Giftcard(
            uuid: c.uuid, id: c.id, hash: c.number, form: s.form, active: s.status == .active || s.status == .inactive, expiresOn: s.expiresOn,
            balance: s.balance.minorUnits)
    }

    func findCard(_ hash: String?) async throws -> JSONValue {
        guard let hash, !hash.isEmpty else { throw LedgerError.invalidRequest("hash is required") }
        guard let c = state.withLock({ s in s.cards.values.first { $0.number == hash } }) else { throw LedgerError.cardNotFound }
        return Piggy.giftcardJSON(try await giftcard(c))
    }

    func card(uuid: String) async throws -> JSONValue {
        guard let c = state.withLock({ $0.cards[uuid] }) else { throw LedgerError.cardNotFound }
        return Piggy.giftcardJSON(try await giftcard(c))
    }

    var shop: Shop { Shop(uuid: "123123", name: "Krusty Krab") }

    func createTransaction(_ body: JSONValue) async throws -> JSONValue {
        guard let uuid = body["giftcard_uuid"]?.stringValue else { throw LedgerError.invalidRequest("giftcard_uuid is required") }
        guard let amount = body["amount_in_cents"]?.int64Value, amount != 0 else { throw LedgerError.invalidAmount("amount_in_cents must be a whole number, not zero") }
        guard let c = state.withLock({ $0.cards[uuid] }) else { throw LedgerError.cardNotFound }
        var attributes: [String: String] = [:]
        if case .object(let pairs)? = body["custom_attributes"] { for (k, v) in pairs { attributes[k] = v.stringValue ?? v.serialized } }
        let card = CardInfo(printedCardNumber: c.number)
        let status = try await server.ledger.balance(of: card, context: RequestContext()).status
        let command: GiftCommand = amount > 0 ? (status == .inactive ? .sell(card, amount: amount) : .reload(card, amount: amount)) : .redeem(card, amount: -amount, tip: 0)
        let r = try await server.ledger.execute(command, context: OperationContext())
        return record(r, cardUuid: uuid, attributes: attributes)
    }

    private func record(_ r: GiftResult, cardUuid: String, attributes: [String: String]) -> JSONValue {
        let t = Piggy.Transaction(
            id: r.transaction.id, uuid: UUID().uuidString.lowercased(), amount: r.transaction.amount, cardUuid: cardUuid,
            createdAt: r.transaction.createdAt, attributes: attributes)
        let cardId = state.withLock { s in
            s.transactions[t.uuid] = t
            s.byLedgerId[t.id] = t.uuid
            return s.cards[cardUuid]?.id ?? 0
        }
        return Piggy.transactionJSON(t, cardId: cardId, shop: shop)
    }

    func transactionJSON(_ uuid: String) throws -> JSONValue {
        guard let (t, cardId) = state.withLock({ s in s.transactions[uuid].map { ($0, s.cards[$0.cardUuid]?.id ?? 0) } }) else {
            throw LedgerError.transactionNotFound
        }
        return Piggy.transactionJSON(t, cardId: cardId, shop: shop)
    }

    func listTransactions(_ hash: String?) async throws -> JSONValue {
        let items = state.withLock { s -> [(Piggy.Transaction, Int64)] in
            let cards = s.cards.values.filter { hash == nil || $0.number == hash }
            let ids = Dictionary(uniqueKeysWithValues: cards.map { ($0.uuid, $0.id) })
            return s.transactions.values.filter { ids[$0.cardUuid] != nil }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(100).map { ($0, ids[$0.cardUuid]!) }
        }
        return .array(items.map { Piggy.transactionJSON($0.0, cardId: $0.1, shop: shop) })
    }

    /// A new transaction for the negative amount, with the same data (custom attributes too).
    func reverse(_ uuid: String) async throws -> JSONValue {
        guard let original = state.withLock({ $0.transactions[uuid] }) else { throw LedgerError.transactionNotFound }
        let r: GiftResult
        do { r = try await server.ledger.execute(.reverseLast(transactionId: original.id), context: OperationContext()) } catch LedgerError.alreadyReversed {
            // Piggy keeps no "reversed" mark: its reversal is now the card's last transaction.
            throw LedgerError.notLastTransaction
        }
        return record(r, cardUuid: original.cardUuid, attributes: original.attributes)
    }

    func createPrepaid(_ body: JSONValue) async throws -> JSONValue {
        guard let amount = body["amount_in_cents"]?.int64Value else { throw LedgerError.invalidAmount("amount_in_cents is required") }
        guard let shop = body["shop_uuid"]?.stringValue else { throw LedgerError.invalidRequest("shop_uuid is required") }
        let t = try await server.ledger.prepaidTransaction(
            contactUuid: body["contact_uuid"]?.stringValue, identifierValue: body["contact_identifier_value"]?.stringValue, shopUuid: shop, amount: amount,
            context: OperationContext())
        return Piggy.prepaidJSON(t, currency: currency)
    }

    func listPrepaid(_ q: Hummingbird.Parameters) async throws -> JSONValue {
        let page = Int(q.get("page") ?? "1") ?? 1
        let limit = Int(q.get("limit") ?? "30") ?? 30
        guard page >= 1, (1...100).contains(limit) else { throw LedgerError.invalidRequest("page must be at least 1 and limit 1 to 100") }
        let p = try await server.ledger.prepaidTransactions(contactUuid: q.get("contact_uuid"), shopUuid: q.get("shop_uuid"), page: page, perPage: limit)
        return .object([
            ("data", .array(p.items.map { Piggy.prepaidJSON($0, currency: currency) })),
            ("meta", .object([
                ("current_page", .number(String(p.currentPage))), ("from", p.from.map { .number(String($0)) } ?? .null),
                ("last_page", .number(String(p.lastPage))), ("per_page", .number(String(p.perPage))), ("total", .number(String(p.total))),
            ])),
        ])
    }
}
