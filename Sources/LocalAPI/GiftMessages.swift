import CardReading
import Foundation

/// The gift operations of `POST /v1/gift/{operation}`.
public enum GiftOperation: String, Sendable, CaseIterable {
    case sell, reload, redeem, reverse
    case cashOut = "cash-out"
    case exchange
}

/// The body of every `POST /v1/gift/{operation}` (except balance): which fields an operation
/// needs is checked per operation. Amounts are integer minor units of the card's currency.
public struct GiftOperationRequest: Codable, Sendable, Equatable, StrictlyDecodable {
    public var cardInfo: CardInfo?
    /// A `card.read` event's read id instead of `cardInfo`.
    public var readId: String?
    public var newCardInfo: CardInfo?
    public var amount: Int64?
    public var tip: Int64?
    /// ISO 4217; when given it must be the card's.
    public var currency: String?
    /// For reverse: the ledger's transaction id (Paytronix `pxTransactionId`)…
    public var transactionId: Int64?
    /// …or, for a request whose answer never came, its `externalTransactionId`.
    public var externalTransactionId: String?
    /// For reverse: Piggy's rule, only the card's last transaction may be reversed.
    public var lastTransactionOnly: Bool?
    public var storeCode: String?
    public var terminalId: String?
    public var cashier: String?
    public var checkNumber: String?
    /// Same key, same request → the first answer; same key, other request → 409.
    public var idempotencyKey: String?

    public init(
        cardInfo: CardInfo? = nil, readId: String? = nil, newCardInfo: CardInfo? = nil, amount: Int64? = nil, tip: Int64? = nil,
        currency: String? = nil, transactionId: Int64? = nil, externalTransactionId: String? = nil, lastTransactionOnly: Bool? = nil,
        storeCode: String? = nil, terminalId: String? = nil, cashier: String? = nil, checkNumber: String? = nil, idempotencyKey: String? = nil
    ) {
        self.cardInfo = cardInfo
        self.readId = readId
        self.newCardInfo = newCardInfo
        self.amount = amount
        self.tip = tip
        self.currency = currency
        self.transactionId = transactionId
        self.externalTransactionId = externalTransactionId
        self.lastTransactionOnly = lastTransactionOnly
        self.storeCode = storeCode
        self.terminalId = terminalId
        self.cashier = cashier
        self.checkNumber = checkNumber
        self.idempotencyKey = idempotencyKey
    }

    public static let fields: Set<String> = [
        "cardInfo", "readId", "newCardInfo", "amount", "tip", "currency", "transactionId", "externalTransactionId",
        "lastTransactionOnly", "storeCode", "terminalId", "cashier", "checkNumber", "idempotencyKey",
    ]
    public static let nested: [String: Set<String>] = ["cardInfo": CardInfo.fieldNames, "newCardInfo": CardInfo.fieldNames]
    public static let moneyFields: [String: MoneyLimits.Field] = ["amount": .positive, "tip": .nonNegative]
}

/// An amount in a reply: integer minor units and the exact decimal string.
public struct AmountReply: Codable, Sendable, Equatable {
    public var minor: Int64
    public var decimal: String
    public var display: String

    public init(minor: Int64, decimal: String, display: String) {
        self.minor = minor
        self.decimal = decimal
        self.display = display
    }
}

/// One booked transaction, in the shape of Paytronix's success reply.
public struct TransactionReply: Codable, Sendable, Equatable {
    public var result = "success"
    public var transactionId: Int64
    public var authCode: String
    public var kind: String
    public var maskedCardNumber: String
    public var currency: String
    public var transactionAmount: AmountReply
    public var tip: AmountReply
    public var previousBalance: AmountReply
    public var currentBalance: AmountReply
    public var availableBalance: AmountReply?
    public var cardStatus: String?
    public var externalTransactionId: String?
    public var reversesTransactionId: Int64?
    public var holdId: String?
    public var metadata: [String: String]?
    public var storeCode: String?
    public var terminalId: String?
    public var cashier: String?
    public var checkNumber: String?
    /// Who asked: the API peer's credentials (`uid=… gid=… pid=…`) or TCP address.
    public var requestedBy: String?
    public var createdAt: String
    /// For an exchange: the old card's outgoing transaction.
    public var exchangedFrom: ExchangedFrom?

    public struct ExchangedFrom: Codable, Sendable, Equatable {
        public var transactionId: Int64
        public var maskedCardNumber: String
        public var transactionAmount: AmountReply

        public init(transactionId: Int64, maskedCardNumber: String, transactionAmount: AmountReply) {
            self.transactionId = transactionId
            self.maskedCardNumber = maskedCardNumber
            self.transactionAmount = transactionAmount
        }
    }

    public init(
        transactionId: Int64, authCode: String, kind: String, maskedCardNumber: String, currency: String, transactionAmount: AmountReply,
        tip: AmountReply, previousBalance: AmountReply, currentBalance: AmountReply, availableBalance: AmountReply?, cardStatus: String?,
        externalTransactionId: String?, reversesTransactionId: Int64?, holdId: String?, metadata: [String: String]?, storeCode: String?,
        terminalId: String?, cashier: String?, checkNumber: String?, requestedBy: String? = nil, createdAt: String, exchangedFrom: ExchangedFrom? = nil
    ) {
        self.requestedBy = requestedBy
        self.transactionId = transactionId
        self.authCode = authCode
        self.kind = kind
        self.maskedCardNumber = maskedCardNumber
        self.currency = currency
        self.transactionAmount = transactionAmount
        self.tip = tip
        self.previousBalance = previousBalance
        self.currentBalance = currentBalance
        self.availableBalance = availableBalance
        self.cardStatus = cardStatus
        self.externalTransactionId = externalTransactionId
        self.reversesTransactionId = reversesTransactionId
        self.holdId = holdId
        self.metadata = metadata
        self.storeCode = storeCode
        self.terminalId = terminalId
        self.cashier = cashier
        self.checkNumber = checkNumber
        self.createdAt = createdAt
        self.exchangedFrom = exchangedFrom
    }
}

/// `POST /v1/holds`: reserve funds (a Zmyle transaction intent).
public struct HoldRequest: Codable, Sendable, Equatable, StrictlyDecodable {
    public var cardInfo: CardInfo?
    public var readId: String?
    public var amount: Int64
    public var currency: String?
    public var metadata: [String: String]?
    public var terminalId: String?
    public var idempotencyKey: String?

    public init(cardInfo: CardInfo? = nil, readId: String? = nil, amount: Int64, currency: String? = nil, metadata: [String: String]? = nil, terminalId: String? = nil, idempotencyKey: String? = nil) {
        self.cardInfo = cardInfo
        self.readId = readId
        self.amount = amount
        self.currency = currency
        self.metadata = metadata
        self.terminalId = terminalId
        self.idempotencyKey = idempotencyKey
    }

    public static let fields: Set<String> = ["cardInfo", "readId", "amount", "currency", "metadata", "terminalId", "idempotencyKey"]
    public static let nested: [String: Set<String>] = ["cardInfo": CardInfo.fieldNames]
    public static let moneyFields: [String: MoneyLimits.Field] = ["amount": .positive]
}

/// `POST /v1/holds/{id}/confirm` and `/cancel`: all fields optional.
public struct HoldActionRequest: Codable, Sendable, Equatable, StrictlyDecodable {
    public var terminalId: String?
    public var cashier: String?
    public var checkNumber: String?
    public var idempotencyKey: String?

    public init(terminalId: String? = nil, cashier: String? = nil, checkNumber: String? = nil, idempotencyKey: String? = nil) {
        self.terminalId = terminalId
        self.cashier = cashier
        self.checkNumber = checkNumber
        self.idempotencyKey = idempotencyKey
    }

    public static let fields: Set<String> = ["terminalId", "cashier", "checkNumber", "idempotencyKey"]
    public static let nested: [String: Set<String>] = [:]
}

/// A hold, in Zmyle's terms.
public struct HoldReply: Codable, Sendable, Equatable {
    public var id: String
    /// `NEEDS_CONFIRMATION`, `CONFIRMED`, `CANCELLED` or `EXPIRED`.
    public var status: String
    public var maskedCardNumber: String
    public var currency: String
    public var amount: AmountReply
    public var metadata: [String: String]
    public var createdAt: String
    public var expiresAt: String
    public var resolvedAt: String?
    public var transactionId: Int64?

    public init(id: String, status: String, maskedCardNumber: String, currency: String, amount: AmountReply, metadata: [String: String], createdAt: String, expiresAt: String, resolvedAt: String?, transactionId: Int64?) {
        self.id = id
        self.status = status
        self.maskedCardNumber = maskedCardNumber
        self.currency = currency
        self.amount = amount
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.resolvedAt = resolvedAt
        self.transactionId = transactionId
    }
}

/// `POST /v1/cards`: a new card in the embedded ledger (administration).
public struct NewCardRequest: Codable, Sendable, Equatable, StrictlyDecodable {
    public var number: String
    /// Initial balance in minor units (0 for an unsold card).
    public var balance: Int64?
    public var currency: String?
    /// `physical` (default) or `digital`.
    public var form: String?
    /// `inactive` (default when the balance is 0), `active`, `blocked`.
    public var status: String?
    public var maximumBalance: Int64?
    /// `YYYY-MM-DD`.
    public var expiresOn: String?
    public var registrationCode: String?

    public init(number: String, balance: Int64? = nil, currency: String? = nil, form: String? = nil, status: String? = nil, maximumBalance: Int64? = nil, expiresOn: String? = nil, registrationCode: String? = nil) {
        self.number = number
        self.balance = balance
        self.currency = currency
        self.form = form
        self.status = status
        self.maximumBalance = maximumBalance
        self.expiresOn = expiresOn
        self.registrationCode = registrationCode
    }

    public static let fields: Set<String> = ["number", "balance", "currency", "form", "status", "maximumBalance", "expiresOn", "registrationCode"]
    public static let nested: [String: Set<String>] = [:]
    public static let moneyFields: [String: MoneyLimits.Field] = ["balance": .nonNegative, "maximumBalance": .unbounded]
}
