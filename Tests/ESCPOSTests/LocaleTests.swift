import Testing

@testable import ESCPOS

/// Money in CLDR's forms for each locale, from integer minor units.
@Suite struct MoneyFormatTests {
    let nb = "\u{00A0}"
    let nnb = "\u{202F}"

    func eur(_ l: ReceiptLocale, _ minor: Int64) -> String { l.money(minorUnits: minor, minorUnitDigits: 2, symbol: "€") }

    @Test func euroInEveryLocale() {
        // (locale, 1234.50, -1234.50, 0, 1234567.89, 12345.50)
        let cases: [(ReceiptLocale, String, String, String, String, String)] = [
            (.enUS, "€1,234.50", "-€1,234.50", "€0.00", "€1,234,567.89", "€12,345.50"),
            (.enGB, "€1,234.50", "-€1,234.50", "€0.00", "€1,234,567.89", "€12,345.50"),
            (.deDE, "1.234,50\(nb)€", "-1.234,50\(nb)€", "0,00\(nb)€", "1.234.567,89\(nb)€", "12.345,50\(nb)€"),
            (.nlNL, "€\(nb)1.234,50", "€\(nb)-1.234,50", "€\(nb)0,00", "€\(nb)1.234.567,89", "€\(nb)12.345,50"),
            (.frFR, "1\(nnb)234,50\(nb)€", "-1\(nnb)234,50\(nb)€", "0,00\(nb)€", "1\(nnb)234\(nnb)567,89\(nb)€", "12\(nnb)345,50\(nb)€"),
            (.esES, "1234,50\(nb)€", "-1234,50\(nb)€", "0,00\(nb)€", "1.234.567,89\(nb)€", "12.345,50\(nb)€"),
            (.itIT, "1.234,50\(nb)€", "-1.234,50\(nb)€", "0,00\(nb)€", "1.234.567,89\(nb)€", "12.345,50\(nb)€"),
        ]
        for (l, pos, neg, zero, large, five) in cases {
            #expect(eur(l, 123_450) == pos, "\(l.identifier)")
            #expect(eur(l, -123_450) == neg, "\(l.identifier)")
            #expect(eur(l, 0) == zero, "\(l.identifier)")
            #expect(eur(l, 123_456_789) == large, "\(l.identifier)")
            #expect(eur(l, 1_234_550) == five, "\(l.identifier)")
        }
        #expect(eur(.deDE, 5) == "0,05\(nb)€")
        #expect(eur(.enUS, -310) == "-€3.10")
        #expect(eur(.enUS, 2500) == "€25.00")
        #expect(eur(.esES, 99_999) == "999,99\(nb)€")
    }

    @Test func zeroAndThreeDigitCurrencies() {
        // JPY: no minor unit; KWD: three digits, no sign of its own (the code, spaced).
        let cases: [(ReceiptLocale, String, String, String)] = [
            (.enUS, "¥1,500", "KWD\(nb)1,234.500", "-KWD\(nb)0.005"),
            (.enGB, "¥1,500", "KWD\(nb)1,234.500", "-KWD\(nb)0.005"),
            (.deDE, "1.500\(nb)¥", "1.234,500\(nb)KWD", "-0,005\(nb)KWD"),
            (.nlNL, "¥\(nb)1.500", "KWD\(nb)1.234,500", "KWD\(nb)-0,005"),
            (.frFR, "1\(nnb)500\(nb)¥", "1\(nnb)234,500\(nb)KWD", "-0,005\(nb)KWD"),
            (.esES, "1500\(nb)¥", "1234,500\(nb)KWD", "-0,005\(nb)KWD"),
            (.itIT, "1.500\(nb)¥", "1.234,500\(nb)KWD", "-0,005\(nb)KWD"),
        ]
        for (l, jpy, kwd, small) in cases {
            #expect(l.money(minorUnits: 1500, minorUnitDigits: 0, symbol: "¥") == jpy, "\(l.identifier)")
            #expect(l.money(minorUnits: 1_234_500, minorUnitDigits: 3, symbol: "KWD") == kwd, "\(l.identifier)")
            #expect(l.money(minorUnits: -5, minorUnitDigits: 3, symbol: "KWD") == small, "\(l.identifier)")
        }
        #expect(ReceiptLocale.esES.money(minorUnits: 12_345, minorUnitDigits: 0, symbol: "¥") == "12.345\(nb)¥")
    }

    @Test func theExtremesAreExact() {
        #expect(eur(.deDE, .min) == "-92.233.720.368.547.758,08\(nb)€")
        #expect(eur(.enUS, .max) == "€92,233,720,368,547,758.07")
        #expect(eur(.deDE, 9_007_199_254_740_991) == "90.071.992.547.409,91\(nb)€")
    }

    @Test func datesAre24Hour() {
        let cases: [(ReceiptLocale, String)] = [
            (.enUS, "2026-11-21 14:05"), (.enGB, "21/11/2026 14:05"), (.deDE, "21.11.2026 14:05"), (.nlNL, "21-11-2026 14:05"),
            (.frFR, "21/11/2026 14:05"), (.esES, "21/11/2026 14:05"), (.itIT, "21/11/2026 14:05"),
        ]
        for (l, expected) in cases { #expect(l.dateTime(year: 2026, month: 11, day: 21, hour: 14, minute: 5) == expected) }
        #expect(ReceiptLocale.deDE.dateTime(year: 2026, month: 1, day: 2, hour: 0, minute: 0) == "02.01.2026 00:00")
    }

    @Test func localesByTag() {
        #expect(ReceiptLocale.named("de-DE") == .deDE)
        #expect(ReceiptLocale.named("fr_fr") == .frFR)
        #expect(ReceiptLocale.named("de") == nil)
        #expect(ReceiptLocale.named("pt-BR") == nil)
        #expect(ReceiptLocale.default == .enUS)
    }

    @Test func everyLanguageHasEveryLabel() {
        for table in [ReceiptLocale.englishLabels, ReceiptLocale.germanLabels, ReceiptLocale.dutchLabels, ReceiptLocale.frenchLabels, ReceiptLocale.spanishLabels, ReceiptLocale.italianLabels] {
            for key in ReceiptLabel.allCases {
                #expect(table[key]?.isEmpty == false, "\(key)")
            }
        }
    }
}
