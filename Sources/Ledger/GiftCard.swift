import CardReading

/// The state of a gift card in its life: sold cards are active; blocked cards refuse everything.
public enum CardStatus: String, Sendable, Codable, CaseIterable {
    case inactive, active, blocked, retired
}

/// Plastic cards may be reloaded; digital cards are loaded once (Piggy rule 5006).
public enum CardForm: String, Sendable, Codable, CaseIterable {
    case physical, digital
}

/// What the ledger tells about one card. Holds no full card number.
public struct GiftCardState: Sendable, Equatable, Codable {
    public var id: Int64
    public var maskedNumber: String
    public var status: CardStatus
    public var form: CardForm
    public var balance: Money
    /// Open holds (reserved, not yet redeemed).
    public var held: Money
    public var maximumBalance: Money?
    /// Last day the card may be used, as `YYYY-MM-DD`.
    public var expiresOn: String?
    public var templateCode: Int
    public var templateName: String
    public var tierCode: Int
    public var tierName: String
    /// How many times value was put on the card (sell, reload, exchange in).
    public var loadCount: Int
    /// The card's most recent transaction (Piggy reverses only that one).
    public var lastTransactionId: Int64?

    public init(
        id: Int64, maskedNumber: String, status: CardStatus, form: CardForm, balance: Money, held: Money,
        maximumBalance: Money? = nil, expiresOn: String? = nil, templateCode: Int = 1,
        templateName: String = "Gift card", tierCode: Int = 1, tierName: String = "Standard",
        loadCount: Int = 0, lastTransactionId: Int64? = nil
    ) {
        self.id = id
        self.maskedNumber = maskedNumber
        self.status = status
        self.form = form
        self.balance = balance
        self.held = held
        self.maximumBalance = maximumBalance
        self.expiresOn = expiresOn
        self.templateCode = templateCode
        self.templateName = templateName
        self.tierCode = tierCode
        self.tierName = tierName
        self.loadCount = loadCount
        self.lastTransactionId = lastTransactionId
    }

    /// Balance minus open holds: what can be spent now.
    public var available: Money { Money(minorUnits: balance.minorUnits - held.minorUnits, currency: balance.currency) }
}

/// Where a gift request comes from: the shop and till, for the records and the receipt.
public struct RequestContext: Sendable, Equatable {
    public var storeCode: String?
    public var terminalId: String?
    public var cashier: String?
    public var checkNumber: String?

    public init(storeCode: String? = nil, terminalId: String? = nil, cashier: String? = nil, checkNumber: String? = nil) {
        self.storeCode = storeCode
        self.terminalId = terminalId
        self.cashier = cashier
        self.checkNumber = checkNumber
    }
}

/// A gift ledger: the embedded one, or a connector to a provider's cloud.
public protocol GiftLedger: Sendable {
    /// The balance of the card `card` identifies. Throws ``LedgerError``.
    func balance(of card: CardInfo, context: RequestContext) async throws -> GiftCardState
}

/// Turns card identifiers into lookup keys: HMAC-SHA-256 under the installation's secret key, so
/// that the ledger finds a card by its number without ever storing the number.
public struct CardKeyer: Sendable {
    private let key: [UInt8]

    public init(key: [UInt8]) {
        precondition(key.count >= 16, "card key must be at least 16 bytes")
        self.key = key
    }

    /// The lookup key for a card number (separators and spaces removed).
    public func key(forCardNumber number: String) -> String {
        SHA256.hmac(key: key, message: Array(("card:" + PAN.withoutSeparators(number)).utf8)).hexString
    }

    /// The stored form of a registration code, bound to its card.
    public func key(forRegistrationCode code: String, cardKey: String) -> String {
        SHA256.hmac(key: key, message: Array(("reg:" + cardKey + ":" + code).utf8)).hexString
    }

    /// The fingerprint of an idempotent request: HMAC-SHA-256 under the installation's key of
    /// the operation and the request (canonical JSON with every card replaced by its keys, see
    /// ``cardFields(_:)``). Without the key nothing about the card can be tested against it.
    public func requestFingerprint(operation: String, request: [UInt8]) -> String {
        Self.fingerprintPrefix + SHA256.hmac(key: key, message: Array(("idem:" + operation + "\u{0}").utf8) + request).hexString
    }

    /// What the migration turns an old, unkeyed request hash into (and what a request's old
    /// hash is compared as): the hash keyed, so the stored value no longer tests card numbers.
    public func legacyFingerprint(unkeyedHash: String) -> String {
        Self.legacyFingerprintPrefix + SHA256.hmac(key: key, message: Array(("idem-v1:" + unkeyedHash).utf8)).hexString
    }

    public static let fingerprintPrefix = "v2:"
    public static let legacyFingerprintPrefix = "v1:"

    /// A card's fields as the fingerprint sees them: each value keyed under its field's name.
    public func cardFields(_ fields: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: fields.map { name, value in
            (name, SHA256.hmac(key: key, message: Array(("field:" + name + ":" + value).utf8)).hexString)
        })
    }

    /// The card number a `CardInfo` names: ASCII letters and digits only (``Rules/isCardNumber(_:)``).
    public static func cardNumber(in card: CardInfo) throws(LedgerError) -> String {
        func checked(_ number: String, _ field: String) throws(LedgerError) -> String {
            guard Rules.isCardNumber(number) else { throw .invalidRequest("\(field) must be 1 to 64 ASCII letters or digits") }
            return number
        }
        if let n = card.printedCardNumber { return try checked(n, "printedCardNumber") }
        if let t = card.trackInfo {
            switch Track2.parse(data: t) {
            case .success(let track): return try checked(track.pan, "trackInfo's card number")
            case .failure(let e): throw .invalidRequest("trackInfo is not valid track 2 data: \(e)")
            }
        }
        if let b = card.barcode { return try checked(b, "barcode") }
        if card.isEmpty { throw .invalidRequest("cardInfo names no card: set printedCardNumber, trackInfo or barcode") }
        throw .unsupportedIdentifier(card.presentFields.filter { $0 != "cardRegCode" })
    }
}
