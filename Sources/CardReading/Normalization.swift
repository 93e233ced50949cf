import Foundation

/// Which `CardInfo` field a barcode goes to.
public enum CardField: String, Sendable, Codable, CaseIterable {
    case printedCardNumber, barcode, accountToken, phoneNumber
}

/// A shop's rule: barcodes of these symbologies (any, when empty) whose data match the pattern go
/// to `field` — the whole match, or the pattern's first capture group when it has one.
public struct NormalizationRule: Sendable {
    public let symbologies: Set<Symbology>
    public let pattern: String
    public let field: CardField
    private let regex: RegexBox

    final class RegexBox: @unchecked Sendable {
        let regex: NSRegularExpression
        init(_ r: NSRegularExpression) { regex = r }
    }

    public struct PatternError: Error, CustomStringConvertible {
        public var pattern: String
        public var description: String { "not a valid regular expression: \(pattern)" }
    }

    public init(symbologies: Set<Symbology> = [], pattern: String, field: CardField) throws(PatternError) {
        guard let r = try? NSRegularExpression(pattern: pattern) else { throw PatternError(pattern: pattern) }
        self.symbologies = symbologies
        self.pattern = pattern
        self.field = field
        self.regex = RegexBox(r)
    }

    /// The value this rule takes from `read`, if it applies.
    func value(for read: BarcodeRead) -> String? {
        if !symbologies.isEmpty && !symbologies.contains(read.symbology) { return nil }
        let ns = read.data as NSString
        guard let m = regex.regex.firstMatch(in: read.data, range: NSRange(location: 0, length: ns.length)) else { return nil }
        let range = m.numberOfRanges > 1 && m.range(at: 1).location != NSNotFound ? m.range(at: 1) : m.range
        return ns.substring(with: range)
    }
}

/// Turns reads into `CardInfo` by the shop's rules, in order; the first rule that applies wins.
/// With no rule applying, a `tel:` barcode is a phone number and any other barcode is `barcode`.
/// Readers never fill `cardRegCode`.
public struct Normalizer: Sendable {
    public var rules: [NormalizationRule]

    public init(rules: [NormalizationRule] = []) {
        self.rules = rules
    }

    public func cardInfo(for read: BarcodeRead) -> CardInfo {
        var card = CardInfo()
        let (field, value): (CardField, String) = {
            for rule in rules {
                if let v = rule.value(for: read) { return (rule.field, v) }
            }
            if let phone = read.phoneNumber { return (.phoneNumber, phone) }
            return (.barcode, read.data)
        }()
        switch field {
        case .printedCardNumber: card.printedCardNumber = value
        case .barcode: card.barcode = value
        case .accountToken: card.accountToken = value
        case .phoneNumber: card.phoneNumber = value
        }
        return card
    }
}
