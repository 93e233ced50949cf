import CardReading
import Foundation
import Ledger

/// Piggy's register API (seeds 000 and 001) as pure request/response mapping: giftcard
/// transactions (get, create ±, reverse the card's last one) and prepaid transactions (create,
/// list, balance, reverse), amounts in integer cents, replies `{"data": …, "meta": …}`.
///
/// What the seeds leave open, and how giftbridge reads it (the simulator answers the same way):
/// - A refusal is an HTTP 4xx with `{"code": <number>, "message": "…"}`. The seeds list the codes
///   (5001 … 55025) and name most of them; 55031, 60003, 60004 and 1008 appear without a text and
///   are read as contact not found, shop not found, prepaid balance too low and prepaid
///   transaction not found. 1000 ("internal error") on a mutation means nobody knows whether it
///   was booked: the outbox reverses it like a 5xx.
/// - A card is found by its hash (the printed number, barcode or track PAN) with
///   `GET giftcards/find-one-by-hash?hash=…` and read with `GET giftcards/{uuid}`; its recent
///   transactions with `GET giftcard-transactions?giftcard_hash=…&sort=-created_at` (Piggy's
///   documented list call), whose items carry the `custom_attributes` they were created with.
/// - Giftcard transactions have no external id or idempotency key. giftbridge sends its external
///   id as the custom attribute `giftbridge_external_id`; that is how the outbox finds (and
///   reverses) a transaction whose answer never came.
public enum Piggy {
    public static let provider = "piggy"
    public static let externalIdAttribute = "giftbridge_external_id"
    /// On a compensating transaction: the external id of the one it undoes.
    public static let compensatesAttribute = "giftbridge_compensates"

    public struct Settings: Sendable, Equatable {
        /// The shop transactions are booked at (`ledger.piggy.shop-uuid`).
        public var shopUuid: String
        public var currency: Currency
        /// How long after a request giftbridge still expects its booking may appear: a request
        /// whose transaction is not found is taken as never booked only after this.
        public var settleSeconds: TimeInterval

        public init(shopUuid: String, currency: Currency, settleSeconds: TimeInterval = 60) {
            self.shopUuid = shopUuid
            self.currency = currency
            self.settleSeconds = settleSeconds
        }
    }

    public enum Method: String, Sendable { case GET, POST }

    public struct Request: Sendable, Equatable {
        public var method: Method
        /// Below the base URL, with the query.
        public var path: String
        public var body: JSONValue?
    }

    /// Piggy's codes, both ways.
    public static let errorCodes: [(Int, LedgerError)] = [
        (5001, .cardNotFound),
        (5002, .cardExpired),
        (5003, .insufficientFunds),
        (5006, .cardCannotBeLoaded),
        (5008, .maximumBalanceExceeded),
        (5010, .transactionNotFound),
        (55025, .notLastTransaction),
        (55031, .contactNotFound),
        (60003, .shopNotFound),
        (1008, .transactionNotFound),
    ]
    public static let internalError = 1000
    public static let invalidInput = 1003
    /// The seed's code for a prepaid balance that would go negative.
    public static let prepaidTooLow = 60004

    /// The refusal a code means; nil for 1000 (the outcome is unknown).
    public static func ledgerError(code: Int, message: String) -> LedgerError? {
        if code == internalError { return nil }
        if code == invalidInput { return .invalidRequest("Piggy: \(message)") }
        if code == prepaidTooLow { return .insufficientFunds }
        if let known = errorCodes.first(where: { $0.0 == code }) { return known.1 }
        return .providerRefused(provider: provider, code: String(code), message: message)
    }

    /// The code and HTTP status for a refusal (the simulator's side).
    public static func errorCode(for e: LedgerError, prepaid: Bool = false) -> (code: Int, status: Int) {
        switch e {
        case .invalidAmount, .invalidRequest, .currencyMismatch, .unsupportedIdentifier: return (invalidInput, 422)
        case .insufficientFunds where prepaid: return (prepaidTooLow, 400)
        case .transactionNotFound where prepaid: return (1008, 404)
        case .cardNotFound, .transactionNotFound, .contactNotFound, .shopNotFound:
            return (errorCodes.first { $0.1 == e }!.0, 404)
        case .cardInactive, .cardBlocked, .cardRetired: return (5006, 400)
        case .storageFailure: return (internalError, 500)
        default:
            if let known = errorCodes.first(where: { $0.1 == e }) { return (known.0, 400) }
            return (invalidInput, 422)
        }
    }

    // MARK: Requests

    static func query(_ pairs: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let items = pairs.compactMap { k, v in v.map { "\(k)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" } }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    static func segment(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    public static func findCard(hash: String) -> Request {
        Request(method: .GET, path: "giftcards/find-one-by-hash" + query([("hash", hash)]), body: nil)
    }

    public static func card(uuid: String) -> Request { Request(method: .GET, path: "giftcards/" + segment(uuid), body: nil) }

    /// A giftcard transaction: positive adds, negative takes.
    public static func createTransaction(cardUuid: String, amount: Int64, attributes: [(String, String)], settings s: Settings) -> Request {
        Request(
            method: .POST, path: "giftcard-transactions",
            body: .object([
                ("giftcard_uuid", .string(cardUuid)),
                ("amount_in_cents", .number(String(amount))),
                ("shop_uuid", s.shopUuid.isEmpty ? nil : .string(s.shopUuid)),
                ("custom_attributes", .object(attributes.map { ($0.0, .string($0.1)) })),
            ]))
    }

    public static func transaction(uuid: String) -> Request { Request(method: .GET, path: "giftcard-transactions/" + segment(uuid), body: nil) }

    public static func reverseTransaction(uuid: String) -> Request {
        Request(method: .POST, path: "giftcard-transactions/\(segment(uuid))/reverse", body: nil)
    }

    /// The card's newest transactions first.
    public static func recentTransactions(hash: String) -> Request {
        Request(method: .GET, path: "giftcard-transactions" + query([("giftcard_hash", hash), ("sort", "-created_at"), ("perPage", "100")]), body: nil)
    }

    public static func createPrepaid(contactUuid: String?, identifierValue: String?, shopUuid: String, amount: Int64) -> Request {
        Request(
            method: .POST, path: "prepaid-transactions",
            body: .object([
                ("contact_uuid", contactUuid.map(JSONValue.string)),
                ("contact_identifier_value", identifierValue.map(JSONValue.string)),
                ("amount_in_cents", .number(String(amount))),
                ("shop_uuid", .string(shopUuid)),
            ]))
    }

    public static func listPrepaid(contactUuid: String?, shopUuid: String?, page: Int, limit: Int) -> Request {
        Request(
            method: .GET,
            path: "prepaid-transactions" + query([("contact_uuid", contactUuid), ("shop_uuid", shopUuid), ("limit", String(limit)), ("page", String(page))]),
            body: nil)
    }

    public static func prepaidBalance(contactUuid: String) -> Request {
        Request(method: .GET, path: "contacts/\(segment(contactUuid))/prepaid-balance", body: nil)
    }

    public static func reversePrepaid(uuid: String) -> Request {
        Request(method: .POST, path: "prepaid-transactions/\(segment(uuid))/reverse", body: nil)
    }

    // MARK: Replies

    /// A reply the connector cannot read: nobody knows whether the request was booked.
    public struct MalformedReply: Error, Equatable, CustomStringConvertible {
        public var why: String
        public var description: String { "malformed Piggy reply: \(why)" }
        public init(why: String) { self.why = why }
    }

    /// The `data` of a 2xx reply, or the refusal of a 4xx. A body that is neither, and code
    /// 1000, throw: the outcome is unknown.
    public static func parseReply(status: Int, body: [UInt8]) throws(MalformedReply) -> Result<JSONValue, LedgerError> {
        let v: JSONValue
        do { v = try JSONValue.parse(body) } catch { throw MalformedReply(why: "HTTP \(status): \(error)") }
        if (200..<300).contains(status) {
            guard let data = v["data"] else { throw MalformedReply(why: "no data") }
            return .success(data)
        }
        guard let code = v["code"]?.int64Value else { throw MalformedReply(why: "HTTP \(status) without an error code") }
        let message = v["message"]?.stringValue ?? "code \(code)"
        guard let e = ledgerError(code: Int(code), message: message) else { throw MalformedReply(why: "Piggy internal error: \(message)") }
        return .failure(e)
    }

    public struct Giftcard: Sendable, Equatable {
        public var uuid: String
        public var id: Int64
        /// The card's hash (its number): kept in memory for one request, never stored or logged.
        public var hash: String
        public var form: CardForm
        public var active: Bool
        public var expiresOn: String?
        public var balance: Int64

        public init(uuid: String, id: Int64, hash: String, form: CardForm, active: Bool, expiresOn: String?, balance: Int64) {
            self.uuid = uuid
            self.id = id
            self.hash = hash
            self.form = form
            self.active = active
            self.expiresOn = expiresOn
            self.balance = balance
        }
    }

    public static func giftcard(_ d: JSONValue) throws(MalformedReply) -> Giftcard {
        guard let uuid = d["uuid"]?.stringValue, let hash = d["hash"]?.stringValue, let cents = d["amount_in_cents"]?.int64Value else {
            throw MalformedReply(why: "giftcard without uuid, hash or amount_in_cents")
        }
        return Giftcard(
            uuid: uuid, id: d["id"]?.int64Value ?? 0, hash: hash, form: d["type"]?.stringValue == "DIGITAL" ? .digital : .physical,
            active: d["active"]?.boolValue ?? true, expiresOn: d["expiration_date"]?.stringValue.map { String($0.prefix(10)) }, balance: cents)
    }

    public struct Transaction: Sendable, Equatable {
        public var id: Int64
        public var uuid: String
        public var amount: Int64
        public var cardUuid: String
        public var createdAt: String
        public var attributes: [String: String]

        public init(id: Int64, uuid: String, amount: Int64, cardUuid: String, createdAt: String, attributes: [String: String]) {
            self.id = id
            self.uuid = uuid
            self.amount = amount
            self.cardUuid = cardUuid
            self.createdAt = createdAt
            self.attributes = attributes
        }
    }

    public static func transaction(_ d: JSONValue) throws(MalformedReply) -> Transaction {
        guard let id = d["id"]?.int64Value, let uuid = d["uuid"]?.stringValue, let cents = d["amount_in_cents"]?.int64Value,
            let card = d["card"]?["uuid"]?.stringValue
        else { throw MalformedReply(why: "giftcard transaction without id, uuid, amount_in_cents or card") }
        var attributes: [String: String] = [:]
        if case .object(let pairs)? = d["custom_attributes"] { for (k, v) in pairs { attributes[k] = v.stringValue } }
        return Transaction(id: id, uuid: uuid, amount: cents, cardUuid: card, createdAt: d["created_at"]?.stringValue ?? "", attributes: attributes)
    }

    public static func prepaidTransaction(_ d: JSONValue, contactUuid: String?, currency: Currency) throws(MalformedReply) -> PrepaidTransaction {
        guard let uuid = d["uuid"]?.stringValue, let cents = d["amount_in_cents"]?.int64Value,
            let balance = d["prepaid_balance"]?["balance_in_cents"]?.int64Value
        else { throw MalformedReply(why: "prepaid transaction without uuid, amount_in_cents or prepaid_balance") }
        let identifier = d["contact_identifier"]
        let contact = Contact(
            uuid: d["contact"]?["uuid"]?.stringValue ?? contactUuid ?? "", email: d["contact"]?["email"]?.stringValue,
            identifierValue: identifier?["value"]?.stringValue, identifierName: identifier?["name"]?.stringValue,
            identifierActive: identifier?["active"]?.boolValue ?? true, prepaidBalance: Money(minorUnits: balance, currency: currency))
        let shop = Shop(uuid: d["shop"]?["uuid"]?.stringValue ?? "", name: d["shop"]?["name"]?.stringValue ?? "", reference: d["shop"]?["reference"]?.stringValue)
        return PrepaidTransaction(
            uuid: uuid, amount: cents, balanceAfter: balance, currency: currency, contact: contact, shop: shop, reversesUuid: nil,
            createdAt: d["created_at"]?.stringValue ?? "")
    }

    /// The card as a giftcard object tells it.
    public static func cardState(_ c: Giftcard, currency: Currency, lastTransactionId: Int64? = nil) -> GiftCardState {
        GiftCardState(
            id: c.id, maskedNumber: PAN.mask(c.hash), status: c.active ? .active : .inactive, form: c.form,
            balance: Money(minorUnits: c.balance, currency: currency), held: .zero(currency), expiresOn: c.expiresOn, templateName: "Piggy giftcard",
            lastTransactionId: lastTransactionId)
    }

    // MARK: The provider's side (simulator)

    public static func envelope(_ data: JSONValue, meta: JSONValue = .array([])) -> JSONValue { .object([("data", data), ("meta", meta)]) }

    public static func errorBody(_ e: LedgerError, prepaid: Bool = false) -> (status: Int, body: JSONValue) {
        let (code, status) = errorCode(for: e, prepaid: prepaid)
        return (status, .object([("code", .number(String(code))), ("message", .string(e.description))]))
    }

    public static func giftcardJSON(_ c: Giftcard) -> JSONValue {
        .object([
            ("id", .number(String(c.id))), ("uuid", .string(c.uuid)), ("type", .string(c.form == .digital ? "DIGITAL" : "PHYSICAL")),
            ("hash", .string(c.hash)), ("expiration_date", c.expiresOn.map(JSONValue.string) ?? .null), ("active", .bool(c.active)),
            ("upgradeable", .bool(c.form == .physical)), ("amount_in_cents", .number(String(c.balance))),
        ])
    }

    public static func transactionJSON(_ t: Transaction, cardId: Int64, shop: Shop) -> JSONValue {
        .object([
            ("id", .number(String(t.id))), ("uuid", .string(t.uuid)), ("amount_in_cents", .number(String(t.amount))),
            ("type", .string("STANDARD")), ("settled", .bool(false)),
            ("card", .object([("id", .number(String(cardId))), ("uuid", .string(t.cardUuid))])),
            ("shop", .object([("id", .number("15")), ("uuid", .string(shop.uuid)), ("name", .string(shop.name))])),
            ("settlements", .array([])), ("created_at", .string(t.createdAt)),
            ("custom_attributes", .object(t.attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ])
    }

    public static func prepaidJSON(_ t: PrepaidTransaction, currency: Currency) -> JSONValue {
        let balance = Money(minorUnits: t.balanceAfter, currency: currency)
        return .object([
            ("uuid", .string(t.uuid)), ("amount_in_cents", .number(String(t.amount))),
            ("prepaid_balance", .object([("balance_in_cents", .number(String(t.balanceAfter))), ("balance", .string(balance.displayString))])),
            ("created_at", .string(t.createdAt)),
            ("shop", .object([("id", .number("15")), ("uuid", .string(t.shop.uuid)), ("reference", t.shop.reference.map(JSONValue.string) ?? .null), ("name", .string(t.shop.name))])),
            ("contact_identifier", .object([
                ("name", .string(t.contact.identifierName ?? "")), ("value", .string(t.contact.identifierValue ?? "")), ("active", .bool(t.contact.identifierActive)),
            ])),
            ("contact", .object([("uuid", .string(t.contact.uuid)), ("email", t.contact.email.map(JSONValue.string) ?? .null)])),
        ])
    }
}
