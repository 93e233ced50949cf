import CardReading
import Foundation
import Ledger

/// The zmyle POS API (`service/v1.1/transaction_intents`) as pure request/response mapping:
/// transaction intents (funds reserved on a gift card, then confirmed or cancelled) as
/// ``HoldRecord``s, integer minor-unit amounts, compact UTC times (`20171127T052256Z`), and
/// zmyle's error codes as ``LedgerError``s.
///
/// - A card is named by `giftcardId` (giftbridge sends the card number: `printedCardNumber`,
///   else the PAN of track 2, else `barcode`) and unlocked by its `accessToken` (the POS's
///   `cardRegCode`, else `accountToken`). Neither ever leaves this module except in the request
///   body: holds, results and errors carry the masked number only.
/// - Assumptions (the seed shows neither): the idempotency key travels in the `Idempotency-Key`
///   request header, and a refusal is a 4xx answer whose body names the code. zmyle's
///   introduction shows `{"errorId": "api:io:missingRequiredParam", "errorMsg": "giftcardId",
///   "status": 400, "occuredAt": "…"}`; ``parseReply(status:body:)`` reads that shape and also
///   `{"code": …, "message": …}`. The code for an idempotency key reused with another body
///   (``idempotencyConflictCode``), for bad credentials (``unauthorizedCode``) and the status
///   of an intent zmyle released by itself (`EXPIRED`) are giftbridge's guesses, used by its
///   simulator; the connector treats any other unknown code as ``LedgerError/providerRefused(provider:code:message:)``.
public enum Zmyle {
    public static let provider = "zmyle"
    public static let intentsPath = "service/v1.1/transaction_intents"
    public static let idempotencyHeader = "Idempotency-Key"
    public static let idempotencyConflictCode = "api:io:idempotencyKeyReused"
    public static let unauthorizedCode = "api:auth:unauthorized"

    /// A request to send: method, path below the base URL, body, idempotency key.
    public struct Request: Sendable, Equatable {
        public var method: String
        public var path: String
        public var body: JSONValue?
        public var idempotencyKey: String?
        /// Whether it changes funds (create, confirm, cancel).
        public var mutating: Bool { method != "GET" }
    }

    // MARK: Cards

    /// The `giftcardId` and `accessToken` a `CardInfo` names.
    public static func giftcard(_ card: CardInfo) throws(LedgerError) -> (id: String, accessToken: String) {
        let id = try CardKeyer.cardNumber(in: card)
        guard let token = card.cardRegCode ?? card.accountToken, !token.isEmpty else {
            throw .invalidRequest("zmyle needs the gift card's access token: give cardInfo.cardRegCode (or accountToken)")
        }
        guard token.count <= 128 else { throw .invalidRequest("the access token is longer than 128 characters") }
        return (id, token)
    }

    /// An intent id as zmyle writes them (lower-case letters and digits), safe in a path.
    public static func isIntentId(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || ("A"..."Z").contains($0) }
    }

    // MARK: Requests

    /// `PUT transaction_intents`: reserves `amount` on the card.
    public static func createIntent(giftcardId: String, accessToken: String, amount: Int64, metadata: [String: String], idempotencyKey: String) -> Request {
        let meta = JSONValue.object(metadata.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        return Request(
            method: "PUT", path: intentsPath,
            body: .object([
                ("giftcardId", .string(giftcardId)), ("accessToken", .string(accessToken)), ("amount", .number(String(amount))), ("metadata", meta),
            ]),
            idempotencyKey: idempotencyKey)
    }

    public static func confirm(_ intentId: String) -> Request { Request(method: "POST", path: "\(intentsPath)/\(intentId)/confirm") }
    public static func cancel(_ intentId: String) -> Request { Request(method: "POST", path: "\(intentsPath)/\(intentId)/cancel") }
    public static func retrieve(_ intentId: String) -> Request { Request(method: "GET", path: "\(intentsPath)/\(intentId)") }

    // MARK: Replies

    /// A transaction intent as zmyle answers it. `giftcardId` is the full card number and is
    /// kept only to be masked.
    public struct Intent: Sendable, Equatable {
        public var id: String
        public var giftcardId: String
        public var amount: Int64
        public var currency: String
        public var status: HoldStatus
        public var createdAt: Date?
        public var expiresAt: Date?
        public var metadata: [String: String]
        /// Set once the intent is confirmed (`SUCCEEDED`).
        public var giftcardTransactionId: String?
    }

    /// A reply the connector cannot read: the outcome is unknown.
    public struct MalformedReply: Error, Equatable, CustomStringConvertible {
        public var why: String
        public var description: String { "malformed zmyle reply: \(why)" }
    }

    /// zmyle's intent states; an intent zmyle released by itself is taken as `EXPIRED`.
    public static func holdStatus(_ text: String) -> HoldStatus? {
        switch text {
        case "NEEDS_CONFIRMATION": .needsConfirmation
        case "SUCCEEDED": .confirmed
        case "CANCELLED", "CANCELED": .cancelled
        case "EXPIRED", "RELEASED": .expired
        default: nil
        }
    }

    public static func statusText(_ s: HoldStatus) -> String {
        switch s {
        case .needsConfirmation: "NEEDS_CONFIRMATION"
        case .confirmed: "SUCCEEDED"
        case .cancelled: "CANCELLED"
        case .expired: "EXPIRED"
        }
    }

    /// Reads an answer: a 2xx intent, or the refusal of a 4xx. Throws when a 2xx body is not
    /// an intent (then nobody knows what happened). A 4xx body without a code is a refusal
    /// too (`http_<status>`): zmyle books nothing on a client error.
    public static func parseReply(status: Int, body: [UInt8]) throws(MalformedReply) -> Result<Intent, LedgerError> {
        if (400..<500).contains(status) {
            let v = try? JSONValue.parse(body)
            let code = v?["errorId"]?.stringValue ?? v?["code"]?.stringValue ?? "http_\(status)"
            let message = v?["errorMsg"]?.stringValue ?? v?["message"]?.stringValue ?? code
            return .failure(ledgerError(code: code, message: message))
        }
        let v: JSONValue
        do { v = try JSONValue.parse(body) } catch { throw MalformedReply(why: "\(error)") }
        return .success(try intent(v))
    }

    static func intent(_ v: JSONValue) throws(MalformedReply) -> Intent {
        func required<T>(_ value: T?, _ key: String) throws(MalformedReply) -> T {
            guard let value else { throw MalformedReply(why: "\(key) is missing or malformed") }
            return value
        }
        let statusText = try required(v["status"]?.stringValue, "status")
        var metadata: [String: String] = [:]
        if case .object(let pairs)? = v["metadata"] {
            for (k, value) in pairs { metadata[k] = value.stringValue ?? value.serialized }
        }
        return Intent(
            id: try required(v["id"]?.stringValue.flatMap { isIntentId($0) ? $0 : nil }, "id"),
            giftcardId: v["giftcardId"]?.stringValue ?? "",
            amount: try required(v["amount"]?.int64Value, "amount"),
            currency: v["currency"]?.stringValue ?? "",
            status: try required(holdStatus(statusText), "status '\(statusText)'"),
            createdAt: v["createdAt"]?.stringValue.flatMap(date(compact:)), expiresAt: v["expiresAt"]?.stringValue.flatMap(date(compact:)),
            metadata: metadata, giftcardTransactionId: v["giftcardTransactionId"]?.stringValue)
    }

    /// zmyle error codes, both ways (the connector reads them; the simulator answers them).
    public static let errorCodes: [(String, LedgerError)] = [
        ("api:biz:insufficientFunds", .insufficientFunds),
        ("api:biz:noSuchGiftcard", .cardNotFound),
        ("api:biz:unpaidGiftcard", .cardInactive),
        ("api:biz:noSuchTransactionIntent", .holdNotFound),
        (idempotencyConflictCode, .idempotencyConflict),
    ]

    /// The refusal a code means. `api:io:*` is a request giftbridge should not have sent;
    /// `notAuthorizedToRedeemGiftcard`, `retailerStatus` and unknown codes stay zmyle's
    /// (`provider_refused`, the code in the message and in the API error's `vendorCodes.zmyle`).
    public static func ledgerError(code: String, message: String) -> LedgerError {
        if let known = errorCodes.first(where: { $0.0 == code }) { return known.1 }
        if code == "api:biz:transactionIntentStatus" { return .holdNotOpen(status: "not NEEDS_CONFIRMATION") }
        if code.hasPrefix("api:io:") { return .invalidRequest("zmyle refused the request (\(code)): \(message)") }
        return .providerRefused(provider: provider, code: code, message: message)
    }

    // MARK: Into giftbridge's records

    /// The hold an intent is. `cardId` is 0: zmyle's card is not in giftbridge's ledger.
    public static func hold(_ i: Intent, currency fallback: Currency) -> HoldRecord {
        HoldRecord(
            id: i.id, cardId: 0, maskedCardNumber: PAN.mask(i.giftcardId), currency: Currency(code: i.currency) ?? fallback, amount: i.amount,
            status: i.status, metadata: i.metadata, createdAt: i.createdAt.map(LedgerTime.timestamp) ?? "",
            expiresAt: i.expiresAt.map(LedgerTime.timestamp) ?? "", resolvedAt: nil,
            transactionId: i.giftcardTransactionId.map(transactionId))
    }

    /// giftbridge's 64-bit id for zmyle's `giftcardTransactionId` (a string): the first 52
    /// bits of its SHA-256, stable and below 2^53. zmyle's own id is in the transaction's
    /// metadata (`giftcardTransactionId`); transactions cannot be looked up by either.
    public static func transactionId(_ giftcardTransactionId: String) -> Int64 {
        let h = SHA256.hash(Array(giftcardTransactionId.utf8))
        let v = h.prefix(7).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } >> 4
        return Int64(max(v, 1))
    }

    /// The transaction of a confirmed intent (`redeem`, or `hold_capture` for a hold the POS
    /// confirmed). zmyle's replies carry no balance: `balanceBefore`, `balanceAfter` and the
    /// card's balance are 0 (unknown), the amount is the intent's (tip included).
    public static func result(_ i: Intent, kind: TransactionKind, tip: Int64, context ctx: OperationContext, currency fallback: Currency) -> GiftResult {
        let currency = Currency(code: i.currency) ?? fallback
        let zmyleId = i.giftcardTransactionId ?? i.id
        let id = transactionId(zmyleId)
        let masked = PAN.mask(i.giftcardId)
        var metadata = i.metadata
        metadata["giftcardTransactionId"] = zmyleId
        let s = String(id % 1_000_000)
        let txn = TransactionRecord(
            id: id, cardId: 0, maskedCardNumber: masked, kind: kind, currency: currency, amount: -i.amount, tip: tip, balanceBefore: 0,
            balanceAfter: 0, authCode: String(repeating: "0", count: 6 - s.count) + s, externalTransactionId: ctx.externalTransactionId,
            holdId: i.id, metadata: metadata, storeCode: ctx.storeCode, terminalId: ctx.terminalId, cashier: ctx.cashier,
            checkNumber: ctx.checkNumber, requestedBy: ctx.requestedBy, createdAt: LedgerTime.timestamp(Date()))
        let card = GiftCardState(id: 0, maskedNumber: masked, status: .active, form: .physical, balance: .zero(currency), held: .zero(currency))
        return GiftResult(transaction: txn, card: card)
    }

    // MARK: Times

    /// `20171127T052256Z` (UTC) as a date.
    public static func date(compact text: String) -> Date? {
        let c = Array(text.utf8)
        guard c.count == 16, c[8] == UInt8(ascii: "T"), c[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int32? {
            guard c[r].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
            return Int32(String(decoding: c[r], as: UTF8.self))
        }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8), let h = num(9..<11), let mi = num(11..<13), let s = num(13..<15),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = y - 1900
        parts.tm_mon = mo - 1
        parts.tm_mday = d
        parts.tm_hour = h
        parts.tm_min = mi
        parts.tm_sec = s
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// A date as zmyle writes it: `20171127T052256Z`.
    public static func compact(_ date: Date) -> String {
        let iso = LedgerTime.timestamp(date)  // 2017-11-27T05:22:56.000Z
        return iso.prefix(19).filter { $0 != "-" && $0 != ":" } + "Z"
    }

    // MARK: The provider's side (simulator)

    /// An intent as zmyle answers it.
    public static func intentReply(_ h: HoldRecord, giftcardId: String, retailerId: String, giftcardTransactionId: String?) -> JSONValue {
        func compactText(_ iso: String) -> JSONValue? { LedgerTime.date(from: iso).map { .string(compact($0)) } }
        return .object([
            ("expiresAt", compactText(h.expiresAt)),
            ("statementDescriptor", .string("giftbridge simulator")),
            ("retailerId", .string(retailerId)),
            ("amount", .number(String(h.amount))),
            ("giftcardTransactionId", giftcardTransactionId.map(JSONValue.string)),
            ("giftcardId", .string(giftcardId)),
            ("id", .string(h.id)),
            ("status", .string(statusText(h.status))),
            ("createdAt", compactText(h.createdAt)),
            ("currency", .string(h.currency.code)),
            ("metadata", .object(h.metadata.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
        ])
    }

    /// The code and HTTP status zmyle answers for a refusal.
    public static func errorCode(for error: LedgerError) -> (code: String, status: Int) {
        switch error {
        case .holdNotOpen: return ("api:biz:transactionIntentStatus", 409)
        case .holdNotFound: return ("api:biz:noSuchTransactionIntent", 404)
        case .cardNotFound: return ("api:biz:noSuchGiftcard", 404)
        case .idempotencyConflict: return (idempotencyConflictCode, 409)
        case .invalidAmount: return ("api:io:malformedNumber", 400)
        case .invalidRequest, .unsupportedIdentifier, .currencyMismatch: return ("api:io:missingRequiredParam", 400)
        case .cardBlocked, .cardRetired, .cardExpired, .registrationCodeMismatch: return ("api:biz:notAuthorizedToRedeemGiftcard", 403)
        default:
            if let code = error.zmyleCode { return (code, 422) }
            return ("api:internal", 500)
        }
    }

    /// zmyle's error body (the documented shape).
    public static func errorReply(code: String, message: String, status: Int, at date: Date = Date()) -> JSONValue {
        .object([("errorId", .string(code)), ("errorMsg", .string(message)), ("status", .number(String(status))), ("occuredAt", .string(compact(date)))])
    }
}
