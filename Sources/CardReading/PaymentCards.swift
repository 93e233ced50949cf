/// Payment cards are not gift cards: a bank card swiped on the gift reader, or its number typed
/// into a POS, must go nowhere (no ledger, no provider, no log). ``PaymentCardGuard`` tells
/// them apart by the issuer ranges of the card networks and the shop's own gift-card ranges.

/// A card network whose numbers giftbridge refuses.
public enum PaymentCardNetwork: String, Sendable, CaseIterable, CustomStringConvertible {
    case visa, mastercard, amex, discover, jcb, diners, unionpay, maestro, mir

    public var description: String {
        switch self {
        case .visa: "Visa"
        case .mastercard: "Mastercard"
        case .amex: "American Express"
        case .discover: "Discover"
        case .jcb: "JCB"
        case .diners: "Diners Club"
        case .unionpay: "UnionPay"
        case .maestro: "Maestro"
        case .mir: "Mir"
        }
    }
}

/// One issuer range: numbers whose first digits lie in `low...high` (digit strings of one
/// length) and whose length is one of `lengths`.
public struct IssuerRange: Sendable, Equatable {
    public var network: PaymentCardNetwork
    public var low: String
    public var high: String
    public var lengths: ClosedRange<Int>

    public init(_ network: PaymentCardNetwork, _ low: String, _ high: String? = nil, lengths: ClosedRange<Int>) {
        precondition(high == nil || high!.count == low.count, "an issuer range's bounds have one length")
        self.network = network
        self.low = low
        self.high = high ?? low
        self.lengths = lengths
    }

    /// Whether `digits` (ASCII digits only) lies in this range.
    public func contains(_ digits: [UInt8]) -> Bool {
        guard lengths.contains(digits.count), digits.count >= low.utf8.count else { return false }
        let head = digits.prefix(low.utf8.count)
        // Same-length digit strings compare as numbers.
        return !head.lexicographicallyPrecedes(low.utf8) && !high.utf8.lexicographicallyPrecedes(head)
    }
}

public enum PaymentCardRanges {
    /// The issuer identification numbers (ISO/IEC 7812-1 IINs) and lengths the card networks
    /// publish for their cards. Sources: Visa, Mastercard (2-series BINs 2221–2720 since 2017),
    /// American Express, Discover Global Network (incl. its Diners Club and co-branded UnionPay
    /// ranges), JCB, UnionPay International, Maestro, and Mir (NSPK) — as collected in the
    /// ISO/IEC 7812 register extracts the networks' acquirer guides reproduce (summarised in
    /// Wikipedia's "Payment card number" table, 2026). Ranges overlap on purpose: a number in
    /// any of them is a payment card. Lengths are kept wide: a number of a network's prefix with
    /// any length it issues is refused.
    public static let all: [IssuerRange] = [
        IssuerRange(.visa, "4", lengths: 13...19),
        IssuerRange(.mastercard, "51", "55", lengths: 16...16),
        IssuerRange(.mastercard, "2221", "2720", lengths: 16...16),
        IssuerRange(.amex, "34", lengths: 15...15),
        IssuerRange(.amex, "37", lengths: 15...15),
        IssuerRange(.discover, "6011", lengths: 16...19),
        IssuerRange(.discover, "644", "649", lengths: 16...19),
        IssuerRange(.discover, "65", lengths: 16...19),
        IssuerRange(.discover, "622126", "622925", lengths: 16...19),
        IssuerRange(.jcb, "3528", "3589", lengths: 16...19),
        IssuerRange(.diners, "300", "305", lengths: 14...19),
        IssuerRange(.diners, "3095", lengths: 14...19),
        IssuerRange(.diners, "36", lengths: 14...19),
        IssuerRange(.diners, "38", "39", lengths: 14...19),
        IssuerRange(.unionpay, "62", lengths: 16...19),
        IssuerRange(.unionpay, "81", lengths: 16...19),
        IssuerRange(.maestro, "5018", lengths: 12...19),
        IssuerRange(.maestro, "5020", lengths: 12...19),
        IssuerRange(.maestro, "5038", lengths: 12...19),
        IssuerRange(.maestro, "56", "58", lengths: 12...19),
        IssuerRange(.maestro, "6304", lengths: 12...19),
        IssuerRange(.maestro, "6759", lengths: 12...19),
        IssuerRange(.maestro, "6761", "6763", lengths: 12...19),
        IssuerRange(.mir, "2200", "2204", lengths: 16...19),
    ]

    /// The network whose range holds `digits`, if any.
    public static func network(of digits: [UInt8]) -> PaymentCardNetwork? {
        all.first { $0.contains(digits) }?.network
    }
}

/// A shop's own gift-card range (`cards.ranges`): a prefix and the lengths its numbers have.
public struct GiftCardRange: Sendable, Equatable, CustomStringConvertible {
    public var prefix: String
    public var lengths: ClosedRange<Int>?

    public init(prefix: String, lengths: ClosedRange<Int>? = nil) {
        self.prefix = prefix
        self.lengths = lengths
    }

    /// `PREFIX`, `PREFIX:LENGTH` or `PREFIX:MIN-MAX` (ASCII letters and digits in the prefix,
    /// lengths 1 to 64); nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let prefix = String(parts[0])
        guard (1...64).contains(prefix.utf8.count), prefix.utf8.allSatisfy(PAN.isASCIILetterOrDigit) else { return nil }
        self.prefix = prefix
        guard parts.count == 2 else { self.lengths = nil; return }
        let bounds = parts[1].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = Int(bounds[0]), let high = bounds.count == 2 ? Int(bounds[1]) : low,
              1 <= low, low <= high, high <= 64, prefix.utf8.count <= high else { return nil }
        self.lengths = low...high
    }

    public func contains(_ number: [UInt8]) -> Bool {
        number.starts(with: prefix.utf8) && (lengths?.contains(number.count) ?? true)
    }

    public var description: String {
        guard let lengths else { return prefix }
        return lengths.count == 1 ? "\(prefix):\(lengths.lowerBound)" : "\(prefix):\(lengths.lowerBound)-\(lengths.upperBound)"
    }
}

/// Why a card was refused before it reached any ledger.
public enum CardRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// A payment card's number; `masked` is all of it that may be shown.
    case paymentCard(PaymentCardNetwork, masked: String, field: String)
    /// The shop has gift-card ranges and this number is in none of them.
    case outsideGiftCardRanges(masked: String, field: String)

    /// The machine code: `payment_card` or `not_a_gift_card`.
    public var code: String {
        switch self {
        case .paymentCard: "payment_card"
        case .outsideGiftCardRanges: "not_a_gift_card"
        }
    }

    public var description: String {
        switch self {
        case .paymentCard(let network, let masked, let field):
            "\(field) is a payment card (\(network) \(masked)), not a gift card: it is not used, stored or forwarded"
        case .outsideGiftCardRanges(let masked, let field):
            "\(field) (\(masked)) is in none of the shop's gift-card ranges (cards.ranges)"
        }
    }
}

/// Refuses payment cards (and, when the shop lists its gift-card ranges, numbers outside them)
/// at the first point a card is seen: a read, or a `cardInfo` from the POS.
public struct PaymentCardGuard: Sendable, Equatable {
    /// The shop's gift-card ranges; empty means every number that is not a payment card.
    public var giftCardRanges: [GiftCardRange]

    public init(giftCardRanges: [GiftCardRange] = []) {
        self.giftCardRanges = giftCardRanges
    }

    /// Checks one card number (spaces and dashes ignored). A number inside the shop's ranges
    /// passes even where a network's range overlaps it.
    public func check(number: String, field: String) throws(CardRefusal) {
        let digits = Array(PAN.withoutSeparators(number).utf8)
        if giftCardRanges.contains(where: { $0.contains(digits) }) { return }
        if digits.allSatisfy({ (0x30...0x39).contains($0) }), let network = PaymentCardRanges.network(of: digits) {
            throw .paymentCard(network, masked: PAN.mask(String(decoding: digits, as: UTF8.self)), field: field)
        }
        if !giftCardRanges.isEmpty { throw .outsideGiftCardRanges(masked: PAN.mask(String(decoding: digits, as: UTF8.self)), field: field) }
    }

    /// Checks every card number a `CardInfo` carries: the printed number, the account number of
    /// its track data (or the digits before a separator when the track does not parse), the
    /// barcode and the account token. `field` names the object (`cardInfo`, `newCardInfo`).
    public func check(_ card: CardInfo, field: String = "cardInfo") throws(CardRefusal) {
        if let n = card.printedCardNumber { try check(number: n, field: field + ".printedCardNumber") }
        if let t = card.trackInfo {
            let pan: String = switch Track2.parse(data: t) {
            case .success(let track): track.pan
            // Not track 2 (a POS may send track 1, or sentinels): its first run of digits.
            case .failure: String(t.drop { !$0.isASCIIDigit }.prefix { $0.isASCIIDigit })
            }
            try check(number: pan, field: field + ".trackInfo")
        }
        if let b = card.barcode { try check(number: b, field: field + ".barcode") }
        if let a = card.accountToken { try check(number: a, field: field + ".accountToken") }
    }
}
