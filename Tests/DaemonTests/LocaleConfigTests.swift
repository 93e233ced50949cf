import ESCPOS
import Foundation
import Ledger
import Testing

@testable import Daemon

extension DaemonConfigTests {
    @Test func shopLocaleSetsTheReceiptsAndTheAPIsAmounts() async throws {
        #expect(try await load(nil).shop.locale == .enUS)
        #expect(try await load("shop:\n  locale: de-DE\n").shop.locale == .deDE)
        #expect(try await load(nil, env: ["GIFTBRIDGE_SHOP_LOCALE": "fr-FR"]).shop.locale == .frFR)
        let bad = await error("shop:\n  locale: de-AT\n")
        #expect(bad?.key == "shop.locale")
        #expect(bad?.description.contains("en-US, en-GB, de-DE, nl-NL, fr-FR, es-ES, it-IT") == true)
    }
}

@Suite struct LocalizedAmountTests {
    let nb = "\u{00A0}"

    @Test func theAPIsDisplayFollowsTheLocale() {
        #expect(DaemonBackend.amount(123_450, .eur, .deDE).display == "1.234,50\(nb)€")
        #expect(DaemonBackend.amount(123_450, .eur, .deDE).decimal == "1234.50")
        #expect(DaemonBackend.amount(-310, .eur, .enUS).display == "-€3.10")
        #expect(DaemonBackend.amount(2500, .eur, .nlNL).display == "€\(nb)25,00")
    }

    /// The digits come from the ledger's ISO 4217 table; a currency without a sign shows its code,
    /// and a sign with letters (CHF) keeps a no-break space from the digits.
    @Test func currencyDigitsAndSignsComeFromTheLedger() throws {
        let jpy = try #require(Currency(code: "JPY"))
        let kwd = try #require(Currency(code: "KWD"))
        let chf = try #require(Currency(code: "CHF"))
        #expect(ReceiptLocale.deDE.money(Money(minorUnits: 1500, currency: jpy)) == "1.500\(nb)¥")
        #expect(ReceiptLocale.enGB.money(Money(minorUnits: 1_234_500, currency: kwd)) == "KWD\(nb)1,234.500")
        #expect(ReceiptLocale.esES.money(Money(minorUnits: 1_234_500, currency: kwd)) == "1234,500\(nb)KWD")
        #expect(ReceiptLocale.enUS.money(Money(minorUnits: 990, currency: chf)) == "CHF\(nb)9.90")
        #expect(ReceiptLocale.itIT.money(Money(minorUnits: 990, currency: chf)) == "9,90\(nb)CHF")
    }

    @Test func receiptDatesAre24HourInTheLocale() {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let date = utc.date(from: DateComponents(year: 2026, month: 11, day: 21, hour: 18, minute: 7))!
        let offset = TimeZone.current.secondsFromGMT(for: date)
        let local = date.addingTimeInterval(TimeInterval(-offset))  // 18:07 local time
        #expect(CardPipeline.receiptDate(.deDE, local) == "21.11.2026 18:07")
        #expect(CardPipeline.receiptDate(.enUS, local) == "2026-11-21 18:07")
    }
}
