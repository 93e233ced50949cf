/// What a receipt's language and region decide: its labels (one table per language, in
/// `Locales/`) and how money and dates are written (CLDR's forms for the region). Pure: amounts
/// are formatted from integer minor units with integer arithmetic only.
public struct ReceiptLocale: Sendable, Equatable {
    /// The BCP 47 tag, as `shop.locale` and `--locale` take it: `de-DE`.
    public let identifier: String
    let labels: [ReceiptLabel: String]
    public let decimalSeparator: String
    public let groupingSeparator: String
    /// CLDR minimumGroupingDigits: 2 leaves 4-digit integers ungrouped (es: 1234 but 12.345).
    public let minimumGroupingDigits: Int
    public let symbolPosition: SymbolPosition
    /// Between symbol and number ("" or a no-break space).
    public let symbolSpacing: String
    /// Where the minus sign goes when the symbol comes first: before it (`-€5.00`) or after it
    /// (`€ -5,00`, nl).
    public let minusAfterPrefixSymbol: Bool
    /// The order of day, month and year, and the separator: `dd.MM.yyyy` is (.dayMonthYear, ".").
    public let dateOrder: DateOrder
    public let dateSeparator: String

    public enum SymbolPosition: Sendable, Equatable { case prefix, suffix }
    public enum DateOrder: Sendable, Equatable { case yearMonthDay, dayMonthYear }

    static let noBreakSpace = "\u{00A0}"

    /// A locale; the defaults are the continental European forms most of them share
    /// (`1.234,50 €`, `21/11/2026`).
    init(
        identifier: String, labels: [ReceiptLabel: String], decimalSeparator: String = ",", groupingSeparator: String = ".",
        minimumGroupingDigits: Int = 1, symbolPosition: SymbolPosition = .suffix, symbolSpacing: String = noBreakSpace,
        minusAfterPrefixSymbol: Bool = false, dateOrder: DateOrder = .dayMonthYear, dateSeparator: String = "/"
    ) {
        self.identifier = identifier
        self.labels = labels
        self.decimalSeparator = decimalSeparator
        self.groupingSeparator = groupingSeparator
        self.minimumGroupingDigits = minimumGroupingDigits
        self.symbolPosition = symbolPosition
        self.symbolSpacing = symbolSpacing
        self.minusAfterPrefixSymbol = minusAfterPrefixSymbol
        self.dateOrder = dateOrder
        self.dateSeparator = dateSeparator
    }

    // CLDR 46: the locales' decimal formats, currency patterns and minimumGroupingDigits.
    public static let enUS = ReceiptLocale(
        identifier: "en-US", labels: englishLabels, decimalSeparator: ".", groupingSeparator: ",", symbolPosition: .prefix,
        symbolSpacing: "", dateOrder: .yearMonthDay, dateSeparator: "-")
    public static let enGB = ReceiptLocale(
        identifier: "en-GB", labels: englishLabels, decimalSeparator: ".", groupingSeparator: ",", symbolPosition: .prefix, symbolSpacing: "")
    public static let deDE = ReceiptLocale(identifier: "de-DE", labels: germanLabels, dateSeparator: ".")
    /// `€ 1.234,50`, `€ -1.234,50`.
    public static let nlNL = ReceiptLocale(
        identifier: "nl-NL", labels: dutchLabels, symbolPosition: .prefix, minusAfterPrefixSymbol: true, dateSeparator: "-")
    /// Narrow no-break space (U+202F) between groups.
    public static let frFR = ReceiptLocale(identifier: "fr-FR", labels: frenchLabels, groupingSeparator: "\u{202F}")
    /// Four-digit integers stay ungrouped: `1234,50 €`, `12.345,50 €`.
    public static let esES = ReceiptLocale(identifier: "es-ES", labels: spanishLabels, minimumGroupingDigits: 2)
    public static let itIT = ReceiptLocale(identifier: "it-IT", labels: italianLabels)

    public static let `default` = enUS
    public static let all: [ReceiptLocale] = [enUS, enGB, deDE, nlNL, frFR, esES, itIT]

    /// A locale from its BCP 47 tag (case-insensitive, `_` accepted for `-`); nil if not one of `all`.
    public static func named(_ tag: String) -> ReceiptLocale? {
        let wanted = String(tag.map { $0 == "_" ? "-" : $0 }).lowercased()
        return all.first { $0.identifier.lowercased() == wanted }
    }

    /// A label in this locale's language.
    public func label(_ key: ReceiptLabel) -> String { labels[key] ?? Self.englishLabels[key] ?? key.rawValue }

    /// An amount for people, e.g. `1.234,50 €` (de-DE) or `-€1,234.50` (en-US), from minor units.
    /// `symbol` is the currency's sign (`€`), or its ISO code when it has none (`KWD`); a symbol
    /// ending in a letter is kept apart from the digits by a no-break space (CLDR currency spacing).
    public func money(minorUnits: Int64, minorUnitDigits digits: Int, symbol: String) -> String {
        let magnitude = minorUnits.magnitude
        var scale: UInt64 = 1
        for _ in 0..<max(digits, 0) { scale *= 10 }
        let whole = String(magnitude / scale)
        var number = ""
        let groupFrom = 3 + minimumGroupingDigits  // the fewest integer digits that are grouped
        let count = whole.count
        for (i, c) in whole.enumerated() {
            if i > 0, count >= groupFrom, (count - i) % 3 == 0 { number += groupingSeparator }
            number.append(c)
        }
        if digits > 0 {
            let frac = String(magnitude % scale)
            number += decimalSeparator + String(repeating: "0", count: digits - frac.count) + frac
        }
        let minus = minorUnits < 0 ? "-" : ""
        let letters = symbol.unicodeScalars.last.map { $0.properties.isAlphabetic } ?? false
        switch symbolPosition {
        case .prefix:
            let space = symbolSpacing.isEmpty && letters ? Self.noBreakSpace : symbolSpacing
            return minusAfterPrefixSymbol ? symbol + space + minus + number : minus + symbol + space + number
        case .suffix:
            let first = symbol.unicodeScalars.first.map { $0.properties.isAlphabetic } ?? false
            let space = symbolSpacing.isEmpty && first ? Self.noBreakSpace : symbolSpacing
            return minus + number + space + symbol
        }
    }

    /// A date and time, 24 h: `2026-11-21 14:05` (en-US), `21.11.2026 14:05` (de-DE).
    public func dateTime(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0" + String(n) : String(n) }
        let y = String(year), m = two(month), d = two(day)
        let date = switch dateOrder {
        case .yearMonthDay: y + dateSeparator + m + dateSeparator + d
        case .dayMonthYear: d + dateSeparator + m + dateSeparator + y
        }
        return date + " " + two(hour) + ":" + two(minute)
    }
}

/// The words a receipt prints. Each language's table (`Locales/Labels-*.swift`) has every key.
public enum ReceiptLabel: String, Sendable, CaseIterable {
    case balanceTitle, card, status, date, terminal, balance
    case titleSold, titleReloaded, titlePayment, titleReversed, titleCashedOut, titleExchanged, titleRefund
    /// "Gift card" before a kind that has no title of its own.
    case titleOther
    case fromCard, transaction, authCode, reference, previousBalance, amount, tip
    case holdTitle, hold, expires, held
    case statusActive, statusInactive, statusBlocked, statusRetired
    case holdNeedsConfirmation, holdConfirmed, holdCancelled, holdExpired
}
