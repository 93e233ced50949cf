import Foundation

/// Which `CardInfo` field a barcode goes to.
public enum CardField: String, Sendable, Codable, CaseIterable {
    case printedCardNumber, barcode, accountToken, phoneNumber
}

/// What an NFC read offers a rule: the tag's UID (upper-case hex), an NDEF text or URI record,
/// or a decrypted wallet pass message.
public enum NFCSource: String, Sendable, Codable, CaseIterable {
    case uid, text, uri, vas
}

/// A shop's rule: barcodes of these symbologies (any, when empty) whose data match the pattern go
/// to `field` — the whole match, or the pattern's first capture group when it has one. A rule
/// with `nfc` sources applies to NFC reads of those sources only, never to barcodes.
public struct NormalizationRule: Sendable {
    public let symbologies: Set<Symbology>
    public let nfc: Set<NFCSource>
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

    public init(symbologies: Set<Symbology> = [], nfc: Set<NFCSource> = [], pattern: String, field: CardField) throws(PatternError) {
        guard let r = try? NSRegularExpression(pattern: pattern) else { throw PatternError(pattern: pattern) }
        self.symbologies = symbologies
        self.nfc = nfc
        self.pattern = pattern
        self.field = field
        self.regex = RegexBox(r)
    }

    /// The value this rule takes from `read`, if it applies.
    func value(for read: BarcodeRead) -> String? {
        if !nfc.isEmpty { return nil }
        if !symbologies.isEmpty && !symbologies.contains(read.symbology) { return nil }
        return match(read.data)
    }

    /// The value this rule takes from an NFC read's `text` of `source`, if it applies.
    func value(nfc text: String, source: NFCSource) -> String? {
        guard nfc.contains(source) else { return nil }
        return match(text)
    }

    private func match(_ text: String) -> String? {
        let ns = text as NSString
        guard let m = regex.regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return nil }
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
        let (field, value): (CardField, String) = {
            for rule in rules {
                if let v = rule.value(for: read) { return (rule.field, v) }
            }
            if let phone = read.phoneNumber { return (.phoneNumber, phone) }
            return (.barcode, read.data)
        }()
        var card = CardInfo()
        card.set(field, value)
        return card
    }

    /// The field and value the first NFC rule for `source` takes from `text`, if one applies.
    public func nfcValue(_ text: String, source: NFCSource) -> (field: CardField, value: String)? {
        for rule in rules {
            if let v = rule.value(nfc: text, source: source) { return (rule.field, v) }
        }
        return nil
    }
}

extension CardInfo {
    /// Sets the field a normalization rule names.
    public mutating func set(_ field: CardField, _ value: String) {
        switch field {
        case .printedCardNumber: printedCardNumber = value
        case .barcode: barcode = value
        case .accountToken: accountToken = value
        case .phoneNumber: phoneNumber = value
        }
    }
}
