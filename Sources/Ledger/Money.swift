/// An ISO 4217 currency and the number of digits after its decimal point.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String
    public let minorUnitDigits: Int

    /// Minor-unit digits of the currencies a shop is likely to meet; others default to 2.
    static let digits: [String: Int] = [
        "BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "OMR": 3, "TND": 3,
        "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
    ]
    static let symbols: [String: String] = ["EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "]

    /// A currency from its three-letter code (case-insensitive); nil if the code is not 3 letters.
    public init?(code: String) {
        let upper = code.uppercased()
        guard upper.count == 3, upper.allSatisfy({ ("A"..."Z").contains($0) }) else { return nil }
        self.code = upper
        self.minorUnitDigits = Self.digits[upper] ?? 2
    }

    public static let eur = Currency(code: "EUR")!
    public static let usd = Currency(code: "USD")!

    public var symbol: String? { Self.symbols[code] }
    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        guard let c = Currency(code: code) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 4217 currency code: \(code)"))
        }
        self = c
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(code)
    }
}

/// An amount of money: integer minor units of one currency. Never binary floating point.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed
        case tooManyDecimals(allowed: Int)
        case outOfRange
        case currencyMismatch(found: String)

        public var description: String {
            switch self {
            case .malformed: "not a decimal amount"
            case .tooManyDecimals(let n): "more than \(n) digits after the decimal point"
            case .outOfRange: "amount out of range"
            case .currencyMismatch(let found): "amount is in \(found), not the expected currency"
            }
        }
    }

    /// Parses a vendor decimal string exactly: "25", "25.5", "25.00", "-3.10", "€40.00",
    /// "40.00 EUR", "EUR 40.00". Extra decimals are accepted only when they are zeros.
    public static func parse(_ text: String, currency: Currency) throws(ParseError) -> Money {
        var s = trimmed(Substring(text))
        var negative = false
        if s.first == "-" {
            negative = true
            s = trimmed(s.dropFirst())
        }
        // A currency code or symbol may stand before or after the number.
        for marker in [currency.code, currency.symbol.map { String(trimmed(Substring($0))) }].compactMap({ $0 }) {
            if s.hasPrefix(marker) { s = trimmed(s.dropFirst(marker.count)) }
            if s.hasSuffix(marker) { s = trimmed(s.dropLast(marker.count)) }
        }
        if !negative, s.first == "-" {
            negative = true
            s = s.dropFirst()
        }
        let letters = String(s.filter(\.isLetter))
        if letters.count == 3, letters == letters.uppercased() { throw .currencyMismatch(found: letters) }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty, !(parts.count > 1 && fraction.isEmpty),
            whole.allSatisfy(\.isASCIIDigitChar), fraction.allSatisfy(\.isASCIIDigitChar)
        else { throw .malformed }
        let digits = currency.minorUnitDigits
        var frac = Array(fraction)
        while frac.count > digits {
            guard frac.last == "0" else { throw .tooManyDecimals(allowed: digits) }
            frac.removeLast()
        }
        while frac.count < digits { frac.append("0") }
        var value: Int64 = 0
        for c in whole + frac {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c.asciiValue! - 48))
            guard !o1, !o2 else { throw .outOfRange }
            value = a
        }
        return Money(minorUnits: negative ? -value : value, currency: currency)
    }

    private static func trimmed(_ s: Substring) -> Substring {
        guard let first = s.firstIndex(where: { $0 != " " }), let last = s.lastIndex(where: { $0 != " " }) else { return "" }
        return s[first...last]
    }

    /// The plain decimal string vendors expect: "25.00", "-3.10", "1500" for JPY.
    public var decimalString: String {
        let digits = currency.minorUnitDigits
        let magnitude = minorUnits.magnitude
        let sign = minorUnits < 0 ? "-" : ""
        guard digits > 0 else { return sign + String(magnitude) }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let frac = String(magnitude % scale)
        return sign + String(magnitude / scale) + "." + String(repeating: "0", count: digits - frac.count) + frac
    }

    /// For people: "€25.00", "-€3.10", "25.00 SEK".
    public var displayString: String {
        let plain = Money(minorUnits: Int64(minorUnits.magnitude), currency: currency).decimalString
        let sign = minorUnits < 0 ? "-" : ""
        if let symbol = currency.symbol { return sign + symbol + plain }
        return sign + plain + " " + currency.code
    }

    public var description: String { decimalString + " " + currency.code }
}

extension Character {
    var isASCIIDigitChar: Bool { ("0"..."9").contains(self) }
}
