import CardReading

/// A booked transaction, as the ledger keeps it (append-only).
public struct TransactionRecord: Sendable, Codable, Equatable {
    /// 64-bit id (kept below 2^53 so JSON clients read it exactly): Paytronix `pxTransactionId`.
    public var id: Int64
    public var cardId: Int64
    public var maskedCardNumber: String
    public var kind: TransactionKind
    public var currency: Currency
    /// Signed change of the balance in minor units.
    public var amount: Int64
    public var tip: Int64
    public var balanceBefore: Int64
    public var balanceAfter: Int64
    /// Six random digits: Paytronix `pxAuthCode`.
    public var authCode: String
    public var externalTransactionId: String?
    public var reversesId: Int64?
    public var holdId: String?
    public var metadata: [String: String]?
    public var storeCode: String?
    public var terminalId: String?
    public var cashier: String?
    public var checkNumber: String?
    /// Who asked, as the API saw it (e.g. `uid=1000 pid=4242`).
    public var requestedBy: String?
    /// ISO 8601, UTC, milliseconds.
    public var createdAt: String

    public init(
        id: Int64, cardId: Int64, maskedCardNumber: String, kind: TransactionKind, currency: Currency, amount: Int64,
        tip: Int64, balanceBefore: Int64, balanceAfter: Int64, authCode: String, externalTransactionId: String? = nil,
        reversesId: Int64? = nil, holdId: String? = nil, metadata: [String: String]? = nil, storeCode: String? = nil,
        terminalId: String? = nil, cashier: String? = nil, checkNumber: String? = nil, requestedBy: String? = nil,
        createdAt: String
    ) {
        self.id = id
        self.cardId = cardId
        self.maskedCardNumber = maskedCardNumber
        self.kind = kind
        self.currency = currency
        self.amount = amount
        self.tip = tip
        self.balanceBefore = balanceBefore
        self.balanceAfter = balanceAfter
        self.authCode = authCode
        self.externalTransactionId = externalTransactionId
        self.reversesId = reversesId
        self.holdId = holdId
        self.metadata = metadata
        self.storeCode = storeCode
        self.terminalId = terminalId
        self.cashier = cashier
        self.checkNumber = checkNumber
        self.requestedBy = requestedBy
        self.createdAt = createdAt
    }
}

public enum HoldStatus: String, Sendable, Codable, CaseIterable {
    case needsConfirmation = "NEEDS_CONFIRMATION"
    case confirmed = "CONFIRMED"
    case cancelled = "CANCELLED"
    case expired = "EXPIRED"
}

/// Funds reserved on a card (a Zmyle transaction intent).
public struct HoldRecord: Sendable, Codable, Equatable {
    public var id: String
    public var cardId: Int64
    public var maskedCardNumber: String
    public var currency: Currency
    public var amount: Int64
    public var status: HoldStatus
    public var metadata: [String: String]
    public var createdAt: String
    public var expiresAt: String
    public var resolvedAt: String?
    /// The `hold_capture` transaction of a confirmed hold.
    public var transactionId: Int64?

    public init(
        id: String, cardId: Int64, maskedCardNumber: String, currency: Currency, amount: Int64, status: HoldStatus,
        metadata: [String: String], createdAt: String, expiresAt: String, resolvedAt: String? = nil, transactionId: Int64? = nil
    ) {
        self.id = id
        self.cardId = cardId
        self.maskedCardNumber = maskedCardNumber
        self.currency = currency
        self.amount = amount
        self.status = status
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.resolvedAt = resolvedAt
        self.transactionId = transactionId
    }
}

/// A gift operation on the ledger. Amounts are minor units of the card's currency; a request
/// that names a currency must name the card's.
public enum GiftCommand: Sendable, Equatable {
    case sell(CardInfo, amount: Int64)
    case reload(CardInfo, amount: Int64)
    case redeem(CardInfo, amount: Int64, tip: Int64)
    case cashOut(CardInfo)
    case exchange(CardInfo, to: CardInfo)
    /// Paytronix-style reversal by the ledger's transaction id.
    case reverse(transactionId: Int64)
    /// Paytronix-style reversal of a request whose answer never came.
    case reverseExternal(externalTransactionId: String)
    /// Piggy-style gift card reversal: only the card's last transaction.
    case reverseLast(transactionId: Int64)
}

/// Who and where: the till, the cashier, the receipt, the POS's own ids.
public struct OperationContext: Sendable, Equatable {
    public var storeCode: String?
    public var terminalId: String?
    public var cashier: String?
    public var checkNumber: String?
    public var externalTransactionId: String?
    /// When set, the request's currency (ISO code) must be the card's.
    public var currency: String?
    public var requestedBy: String?
    public var idempotency: Idempotency?

    public init(
        storeCode: String? = nil, terminalId: String? = nil, cashier: String? = nil, checkNumber: String? = nil,
        externalTransactionId: String? = nil, currency: String? = nil, requestedBy: String? = nil, idempotency: Idempotency? = nil
    ) {
        self.storeCode = storeCode
        self.terminalId = terminalId
        self.cashier = cashier
        self.checkNumber = checkNumber
        self.externalTransactionId = externalTransactionId
        self.currency = currency
        self.requestedBy = requestedBy
        self.idempotency = idempotency
    }

    /// A request that names a currency must name the card's (every operation, reversals too).
    public func requireCurrency(of card: GiftCardState) throws(LedgerError) {
        if let c = currency, c.uppercased() != card.balance.currency.code {
            throw .currencyMismatch(card: card.balance.currency.code, request: c.uppercased())
        }
    }

    /// Checks the lengths the vendor APIs allow.
    public func validate() throws(LedgerError) {
        if let v = checkNumber, v.count > 255 { throw .invalidRequest("checkNumber is longer than 255 characters") }
        if let v = cashier, v.count > 100 { throw .invalidRequest("cashier is longer than 100 characters") }
        if let v = terminalId, v.count > 100 { throw .invalidRequest("terminalId is longer than 100 characters") }
        if let v = storeCode, v.count > 100 { throw .invalidRequest("storeCode is longer than 100 characters") }
        if let v = externalTransactionId, v.isEmpty || v.count > 128 { throw .invalidRequest("externalTransactionId must be 1 to 128 characters") }
        if let i = idempotency, i.key.isEmpty || i.key.count > 255 { throw .invalidRequest("idempotency key must be 1 to 255 characters") }
    }
}

/// An idempotency key: within `scope` (the till), the same key with the same request (by its
/// fingerprint) gets the first answer; with another request it is a conflict.
///
/// The fingerprint is keyed (``CardKeyer/requestFingerprint(operation:request:)``): a request
/// holds card numbers, and an unkeyed hash of it next to the masked number would give the number
/// back in a million guesses.
public struct Idempotency: Sendable, Equatable {
    public var scope: String
    public var key: String
    public var requestHash: String
    /// What a record written before fingerprints were keyed holds for this request (its old
    /// hash, keyed by the migration), so that a retry across the upgrade still gets its answer.
    public var legacyRequestHash: String?

    public init(scope: String, key: String, requestHash: String, legacyRequestHash: String? = nil) {
        self.scope = scope
        self.key = key
        self.requestHash = requestHash
        self.legacyRequestHash = legacyRequestHash
    }

    /// Whether a stored fingerprint is this request's.
    public func matches(stored: String) -> Bool {
        stored == requestHash || (legacyRequestHash != nil && stored.hasPrefix(CardKeyer.legacyFingerprintPrefix) && stored == legacyRequestHash)
    }
}

/// The answer to a ``GiftCommand``: the transaction and the card after it (for an exchange, the
/// new card and its incoming transaction, with the old card's outgoing one).
public struct GiftResult: Sendable, Codable, Equatable {
    public var transaction: TransactionRecord
    public var card: GiftCardState
    public var counterpart: TransactionRecord?

    public init(transaction: TransactionRecord, card: GiftCardState, counterpart: TransactionRecord? = nil) {
        self.transaction = transaction
        self.card = card
        self.counterpart = counterpart
    }
}

