/// Vendor JSON is read and written with ExactJSON; its users see it through this module.
@_exported import ExactJSON
import CardReading
import Ledger

/// The Paytronix gift service (`gift/*.json`) as pure request/response mapping: decimal amounts
/// written and read exactly in the card's currency, `CardInfo` as Paytronix defines it, the
/// `success` and `failure` replies turned into ``GiftResult`` and ``LedgerError``.
public enum Paytronix {
    public static let provider = "paytronix"

    public struct Settings: Sendable, Equatable {
        public var merchantId: Int64
        public var storeCode: String
        /// Paytronix amounts carry no currency: the merchant's.
        public var currency: Currency

        public init(merchantId: Int64, storeCode: String, currency: Currency) {
            self.merchantId = merchantId
            self.storeCode = storeCode
            self.currency = currency
        }
    }

    /// A request to send: the path below the base URL and the body.
    public struct Request: Sendable, Equatable {
        public var path: String
        public var body: JSONValue
        /// Whether it changes a balance (and so goes through the outbox).
        public var mutating: Bool
    }

    /// Paytronix error codes, both ways. (The seed names the `errorCode` field only; these are
    /// the codes giftbridge's simulator answers and the connector understands.)
    public static let errorCodes: [(String, LedgerError)] = [
        ("gift.card_not_found", .cardNotFound),
        ("gift.card_not_active", .cardInactive),
        ("gift.card_already_active", .cardAlreadyActive),
        ("gift.card_blocked", .cardBlocked),
        ("gift.card_exchanged", .cardRetired),
        ("gift.card_expired", .cardExpired),
        ("gift.invalid_reg_code", .registrationCodeMismatch),
        ("gift.insufficient_balance", .insufficientFunds),
        ("gift.max_balance_exceeded", .maximumBalanceExceeded),
        ("gift.card_cannot_be_reloaded", .cardCannotBeLoaded),
        ("gift.transaction_not_found", .transactionNotFound),
        ("gift.already_reversed", .alreadyReversed),
        ("gift.duplicate_external_transaction_id", .duplicateExternalTransactionId),
        ("gift.unsupported_card_identifier", .unsupportedIdentifier([])),
    ]

    /// The code the provider answers for a refusal (the simulator's side).
    public static func errorCode(for error: LedgerError) -> String {
        switch error {
        case .invalidAmount, .invalidRequest, .currencyMismatch: return "server.invalid_request"
        case .notReversible: return "gift.not_reversible"
        case .unsupportedIdentifier: return "gift.unsupported_card_identifier"
        default: return errorCodes.first { $0.1 == error }?.0 ?? "server.internal_error"
        }
    }

    /// The refusal a `failure` reply means.
    public static func ledgerError(code: String, message: String) -> LedgerError {
        if let known = errorCodes.first(where: { $0.0 == code }) {
            if case .unsupportedIdentifier = known.1 { return .providerRefused(provider: provider, code: code, message: message) }
            return known.1
        }
        switch code {
        case "server.invalid_request": return .invalidRequest("Paytronix: \(message)")
        case "gift.not_reversible": return .notReversible(message)
        default: return .providerRefused(provider: provider, code: code, message: message)
        }
    }

    public static func cardInfo(_ c: CardInfo) -> JSONValue {
        .object([
            ("printedCardNumber", c.printedCardNumber.map(JSONValue.string)),
            ("trackInfo", c.trackInfo.map(JSONValue.string)),
            ("barcode", c.barcode.map(JSONValue.string)),
            ("phoneNumber", c.phoneNumber.map(JSONValue.string)),
            ("appleNfcVasPayload", c.appleNfcVasPayload.map(JSONValue.string)),
            ("googleNfcVasPayload", c.googleNfcVasPayload.map(JSONValue.string)),
            ("accountToken", c.accountToken.map(JSONValue.string)),
            ("cardRegCode", c.cardRegCode.map(JSONValue.string)),
        ])
    }

    /// Reads a Paytronix `CardInfo` object (the simulator's side).
    public static func cardInfo(from v: JSONValue?) -> CardInfo? {
        guard let v, case .object = v else { return nil }
        return CardInfo(
            printedCardNumber: v["printedCardNumber"]?.stringValue, trackInfo: v["trackInfo"]?.stringValue,
            barcode: v["barcode"]?.stringValue, phoneNumber: v["phoneNumber"]?.stringValue,
            appleNfcVasPayload: v["appleNfcVasPayload"]?.stringValue, googleNfcVasPayload: v["googleNfcVasPayload"]?.stringValue,
            accountToken: v["accountToken"]?.stringValue, cardRegCode: v["cardRegCode"]?.stringValue)
    }

    static func amount(_ minor: Int64, _ s: Settings) -> JSONValue {
        .number(Money(minorUnits: minor, currency: s.currency).decimalString)
    }

    private static func base(_ s: Settings, _ ctx: OperationContext) -> [(String, JSONValue?)] {
        [
            ("merchantId", .number(String(s.merchantId))),
            ("storeCode", .string(ctx.storeCode ?? s.storeCode)),
        ]
    }

    private static func till(_ ctx: OperationContext) -> [(String, JSONValue?)] {
        [
            ("checkNumber", ctx.checkNumber.map(JSONValue.string)),
            ("cashier", ctx.cashier.map(JSONValue.string)),
            ("terminalId", ctx.terminalId.map(JSONValue.string)),
        ]
    }

    /// The request for `command`. `externalId` is the id the outbox reverses by; the exchange is
    /// sent with one too (the seed lists it for the other mutations only) so that it can be
    /// reversed the same way.
    public static func request(_ command: GiftCommand, context ctx: OperationContext, externalId: String?, settings s: Settings) -> Request {
        let ext: [(String, JSONValue?)] = [("externalTransactionId", externalId.map(JSONValue.string))]
        switch command {
        case .sell(let card, let amount), .reload(let card, let amount):
            let path = if case .sell = command { "gift/sell.json" } else { "gift/reload.json" }
            return Request(path: path, body: .object(base(s, ctx) + [("cardInfo", cardInfo(card)), ("amount", Self.amount(amount, s))] + till(ctx) + ext), mutating: true)
        case .redeem(let card, let amount, let tip):
            return Request(
                path: "gift/redeem.json",
                body: .object(base(s, ctx) + [("cardInfo", cardInfo(card)), ("amount", Self.amount(amount, s)), ("tip", tip > 0 ? Self.amount(tip, s) : nil)] + till(ctx) + ext),
                mutating: true)
        case .cashOut(let card):
            return Request(path: "gift/cashOut.json", body: .object(base(s, ctx) + [("cardInfo", cardInfo(card))] + till(ctx) + ext), mutating: true)
        case .exchange(let card, let new):
            return Request(path: "gift/exchange.json", body: .object(base(s, ctx) + [("cardInfo", cardInfo(card)), ("newCardInfo", cardInfo(new))] + till(ctx) + ext), mutating: true)
        case .reverse(let id), .reverseLast(let id):
            return Request(path: "gift/reverse.json", body: .object(base(s, ctx) + [("pxTransactionId", .number(String(id)))]), mutating: true)
        case .reverseExternal(let external):
            return reversal(externalId: external, settings: s)
        }
    }

    /// Reverses the request sent with `externalId` (the outbox's reversal).
    public static func reversal(externalId: String, settings s: Settings) -> Request {
        Request(path: "gift/reverse.json", body: .object(base(s, OperationContext()) + [("externalTransactionId", .string(externalId))]), mutating: true)
    }

    public static func balanceRequest(_ card: CardInfo, context: RequestContext, settings s: Settings) -> Request {
        let ctx = OperationContext(storeCode: context.storeCode, terminalId: context.terminalId, cashier: context.cashier, checkNumber: context.checkNumber)
        return Request(path: "gift/balance.json", body: .object(base(s, ctx) + [("cardInfo", cardInfo(card))] + till(ctx)), mutating: false)
    }

    /// A reply the connector cannot read: the outcome is unknown.
    public struct MalformedReply: Error, Equatable, CustomStringConvertible {
        public var why: String
        public var description: String { "malformed Paytronix reply: \(why)" }
    }

    /// The fields of a `success` reply, amounts exact.
    public struct Success: Sendable, Equatable {
        public var pxTransactionId: Int64
        public var pxAuthCode: String
        public var currentBalance: Money
        public var previousBalance: Money?
        public var transactionAmount: Money?
        /// Masked again here: the full `printedCardNumber` of the reply is never kept.
        public var maskedCardNumber: String
        public var cardTemplateCode: Int
        public var cardTemplateName: String
        public var tierCode: Int
        public var tierName: String
        public var posMessages: [String]
    }

    /// Reads a reply body: a success, or the refusal of a `failure`. Throws when the body is not
    /// a Paytronix reply (then nobody knows whether the request was booked).
    public static func parseReply(_ body: [UInt8], settings s: Settings) throws(MalformedReply) -> Result<Success, LedgerError> {
        let v: JSONValue
        do { v = try JSONValue.parse(body) } catch { throw MalformedReply(why: "\(error)") }
        switch v["result"]?.stringValue {
        case "failure":
            guard let code = v["errorCode"]?.stringValue else { throw MalformedReply(why: "failure without errorCode") }
            return .failure(ledgerError(code: code, message: v["errorMessage"]?.stringValue ?? code))
        case "success":
            func money(_ key: String) throws(MalformedReply) -> Money? {
                guard let field = v[key], field != .null else { return nil }
                guard let text = field.decimalText else { throw MalformedReply(why: "\(key) is not a decimal") }
                do { return try Money.parse(text, currency: s.currency) } catch { throw MalformedReply(why: "\(key) '\(text)': \(error)") }
            }
            func required<T>(_ value: T?, _ key: String) throws(MalformedReply) -> T {
                guard let value else { throw MalformedReply(why: "\(key) is missing") }
                return value
            }
            let id = try required(v["pxTransactionId"]?.int64Value, "pxTransactionId")
            let balance = try required(try money("currentBalance"), "currentBalance")
            let masked = v["maskedCardNumber"]?.stringValue ?? v["printedCardNumber"]?.stringValue ?? ""
            return .success(Success(
                pxTransactionId: id, pxAuthCode: try required(v["pxAuthCode"]?.stringValue, "pxAuthCode"),
                currentBalance: balance, previousBalance: try money("previousBalance"), transactionAmount: try money("transactionAmount"),
                maskedCardNumber: masked.contains("*") ? masked : PAN.mask(masked),
                cardTemplateCode: Int(v["cardTemplateCode"]?.int64Value ?? 0), cardTemplateName: v["cardTemplateName"]?.stringValue ?? "",
                tierCode: Int(v["tierCode"]?.int64Value ?? 0), tierName: v["tierName"]?.stringValue ?? "",
                posMessages: v["posMessages"]?.arrayValue?.compactMap(\.stringValue) ?? []))
        default:
            throw MalformedReply(why: "result is neither success nor failure")
        }
    }

    /// The card as a balance reply tells it. Paytronix says nothing of holds, form or status
    /// beyond the card answering: it is active.
    public static func cardState(_ r: Success) -> GiftCardState {
        GiftCardState(
            id: 0, maskedNumber: r.maskedCardNumber, status: .active, form: .physical, balance: r.currentBalance,
            held: .zero(r.currentBalance.currency), templateCode: r.cardTemplateCode, templateName: r.cardTemplateName,
            tierCode: r.tierCode, tierName: r.tierName)
    }

    /// The common result of a mutation's success reply.
    public static func result(_ r: Success, command: GiftCommand, context ctx: OperationContext, externalId: String?, createdAt: String) -> GiftResult {
        let kind: TransactionKind
        var tip: Int64 = 0
        var reverses: Int64?
        switch command {
        case .sell: kind = .sell
        case .reload: kind = .reload
        case .redeem(_, _, let t): kind = .redeem; tip = t
        case .cashOut: kind = .cashOut
        case .exchange: kind = .exchangeIn
        case .reverse(let id), .reverseLast(let id): kind = .reversal; reverses = id
        case .reverseExternal: kind = .reversal
        }
        let after = r.currentBalance.minorUnits
        let before = r.previousBalance?.minorUnits ?? (r.transactionAmount.map { after - signed($0.minorUnits, kind) } ?? after)
        var card = cardState(r)
        card.lastTransactionId = r.pxTransactionId
        let txn = TransactionRecord(
            id: r.pxTransactionId, cardId: 0, maskedCardNumber: r.maskedCardNumber, kind: kind, currency: r.currentBalance.currency,
            amount: after - before, tip: tip, balanceBefore: before, balanceAfter: after, authCode: r.pxAuthCode,
            externalTransactionId: externalId, reversesId: reverses, storeCode: ctx.storeCode, terminalId: ctx.terminalId,
            cashier: ctx.cashier, checkNumber: ctx.checkNumber, createdAt: createdAt)
        return GiftResult(transaction: txn, card: card)
    }

    /// A `transactionAmount` given as a magnitude, signed by what the operation does.
    static func signed(_ amount: Int64, _ kind: TransactionKind) -> Int64 {
        switch kind {
        case .redeem, .cashOut, .exchangeOut: -amount.magnitude.clampedToInt64
        default: amount
        }
    }

    // MARK: The provider's side (simulator)

    /// The `success` reply for a booked result.
    public static func successReply(_ r: GiftResult, printedCardNumber: String?) -> JSONValue {
        let c = r.transaction.currency
        func dec(_ minor: Int64) -> JSONValue { .string(Money(minorUnits: minor, currency: c).decimalString) }
        return .object([
            ("result", .string("success")),
            ("pxTransactionId", .number(String(r.transaction.id))),
            ("pxAuthCode", .string(r.transaction.authCode)),
            ("currentBalance", dec(r.card.balance.minorUnits)),
            ("previousBalance", dec(r.transaction.balanceBefore)),
            ("transactionAmount", dec(r.transaction.amount.magnitude.clampedToInt64)),
            ("printedCardNumber", printedCardNumber.map(JSONValue.string)),
            ("maskedCardNumber", .string(r.card.maskedNumber)),
            ("cardTemplateCode", .number(String(r.card.templateCode))),
            ("cardTemplateName", .string(r.card.templateName)),
            ("tierCode", .number(String(r.card.tierCode))),
            ("tierName", .string(r.card.tierName)),
            ("posMessages", .array([])),
        ])
    }

    public static func balanceReply(_ c: GiftCardState, printedCardNumber: String?) -> JSONValue {
        .object([
            ("result", .string("success")),
            ("pxTransactionId", .number("0")),
            ("pxAuthCode", .string("000000")),
            ("currentBalance", .string(c.available.decimalString)),
            ("printedCardNumber", printedCardNumber.map(JSONValue.string)),
            ("maskedCardNumber", .string(c.maskedNumber)),
            ("cardTemplateCode", .number(String(c.templateCode))),
            ("cardTemplateName", .string(c.templateName)),
            ("tierCode", .number(String(c.tierCode))),
            ("tierName", .string(c.tierName)),
            ("posMessages", .array([])),
        ])
    }

    public static func failureReply(_ e: LedgerError) -> JSONValue {
        .object([("result", .string("failure")), ("errorCode", .string(errorCode(for: e))), ("errorMessage", .string(e.description))])
    }
}

extension UInt64 {
    var clampedToInt64: Int64 { self > UInt64(Int64.max) ? Int64.max : Int64(self) }
}
