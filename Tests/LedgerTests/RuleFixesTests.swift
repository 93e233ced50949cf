import CardReading
import Testing

@testable import Ledger

/// The ledger rules of the safety review (item 5): reversing sales, currencies of reversals,
/// expiry dates, card numbers, prepaid and hold vendor codes, digital cards loaded once.
@Suite struct RuleFixesTests {
    let today = "2026-11-21"
    func card(_ status: CardStatus = .active, form: CardForm = .physical, balance: Int64 = 5000, held: Int64 = 0, loads: Int = 1) -> GiftCardState {
        GiftCardState(
            id: 1, maskedNumber: "603571******0000", status: status, form: form, balance: Money(minorUnits: balance, currency: .eur),
            held: Money(minorUnits: held, currency: .eur), loadCount: loads)
    }
    func eur(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: .eur) }
    let laterLoads = LedgerError.notReversible("value was loaded onto the card after the sale; reverse the later loads first")

    @Test func aSaleIsNotReversedOnceLaterValueWasLoaded() throws {
        let sale = ReversalTarget(id: 10, kind: .sell, amount: 5000, alreadyReversed: false)
        // Sold (one load), then reloaded (a second): undoing the sale would lock the reload on an
        // inactive card.
        #expect(throws: laterLoads) { try Rules.reverse(card(balance: 6000, loads: 2), target: sale, piggy: false, today: today) }
        // Once the reload is reversed, the sale is the card's only load again.
        let unsold = try Rules.reverse(card(balance: 5000, loads: 1), target: sale, piggy: false, today: today)
        #expect(unsold.card.status == .inactive)
        #expect(unsold.card.balance.minorUnits == 0)
        #expect(unsold.card.loadCount == 0)
        // Value issued before the sale is no later load: the card goes back to unsold with it.
        let issued = ReversalTarget(id: 11, kind: .sell, amount: 3000, alreadyReversed: false, balanceBefore: 2000)
        let back = try Rules.reverse(card(balance: 5000, loads: 2), target: issued, piggy: false, today: today)
        #expect(back.card.status == .inactive)
        #expect(back.card.balance.minorUnits == 2000)
        #expect(throws: laterLoads) { try Rules.reverse(card(balance: 6000, loads: 3), target: issued, piggy: false, today: today) }
        // An unsold card keeps no open holds.
        #expect(throws: LedgerError.holdsOpen) { try Rules.reverse(card(balance: 9000, held: 100, loads: 1), target: sale, piggy: false, today: today) }
        // Other reversals are not affected by later loads.
        let redeem = ReversalTarget(id: 12, kind: .redeem, amount: -500, alreadyReversed: false)
        #expect(try Rules.reverse(card(loads: 3), target: redeem, piggy: false, today: today).amount == 500)
    }

    @Test func aRequestsCurrencyMustBeTheCards() throws {
        #expect(throws: LedgerError.currencyMismatch(card: "EUR", request: "USD")) { try OperationContext(currency: "usd").requireCurrency(of: card()) }
        try OperationContext(currency: "eur").requireCurrency(of: card())
        try OperationContext().requireCurrency(of: card())
    }

    @Test func expiryDatesAreRealCalendarDays() {
        for good in ["2031-02-28", "2032-02-29", "2000-02-29", "2031-12-31", "2031-04-30", "0001-01-01", "9999-12-31"] {
            #expect(Rules.isCalendarDate(good), "\(good)")
        }
        for bad in [
            "2031-02-30", "2031-02-29", "1900-02-29", "2100-02-29", "2031-04-31", "2031-13-01", "2031-00-10", "2031-01-00", "0000-01-01",
            "2031-1-01", "2031-01-1", "20310101", "2031/01/01", "2031-01-01T00:00", "", "٢٠٣١-٠١-٠١", "２０３１-０１-０１",
        ] {
            #expect(!Rules.isCalendarDate(bad), "\(bad)")
        }
        #expect(throws: LedgerError.invalidRequest("expiresOn must be a real date, YYYY-MM-DD")) {
            try Rules.newCard(number: "6035710000000000", form: .physical, status: .active, balance: eur(100), expiresOn: "2031-02-30")
        }
    }

    @Test func cardNumbersAreASCIILettersAndDigits() throws {
        #expect(Rules.isCardNumber("6035710000000000"))
        #expect(Rules.isCardNumber("GC6035710000000000"))
        #expect(Rules.isCardNumber("6035 7100-0000 0000"))
        let arabicIndic = "٦٠٣٥٧١٠٠٠٠٠٠٠٠٠٠"
        let fullwidth = "６０３５７１００００００００００"
        for bad in [arabicIndic, fullwidth, "6035710000000é00", "60357100000000e\u{301}0", "6035_7100", "6035.7100", "", " - ", String(repeating: "1", count: 65)] {
            #expect(!Rules.isCardNumber(bad), "\(bad)")
            #expect(throws: LedgerError.self) { try Rules.newCard(number: bad, form: .physical, status: .active, balance: eur(0), expiresOn: nil) }
        }
        #expect(throws: LedgerError.invalidRequest("printedCardNumber must be 1 to 64 ASCII letters or digits")) {
            try CardKeyer.cardNumber(in: CardInfo(printedCardNumber: arabicIndic))
        }
        #expect(throws: LedgerError.invalidRequest("barcode must be 1 to 64 ASCII letters or digits")) {
            try CardKeyer.cardNumber(in: CardInfo(barcode: fullwidth))
        }
        #expect(try CardKeyer.cardNumber(in: CardInfo(printedCardNumber: "6035 7100 0000 0000")) == "6035 7100 0000 0000")
    }

    @Test func prepaidRefusalsCarryPiggysPrepaidCodes() {
        #expect(LedgerError.contactNotFound.piggyCode(prepaid: true) == 55031)
        #expect(LedgerError.shopNotFound.piggyCode(prepaid: true) == 60003)
        #expect(LedgerError.insufficientFunds.piggyCode(prepaid: true) == 60004)
        #expect(LedgerError.transactionNotFound.piggyCode(prepaid: true) == 1008)
        // No giftcard code on a prepaid refusal.
        #expect(LedgerError.maximumBalanceExceeded.piggyCode(prepaid: true) == nil)
        // The giftcard API keeps its codes.
        #expect(LedgerError.insufficientFunds.piggyCode == 5003)
        #expect(LedgerError.transactionNotFound.piggyCode == 5010)
    }

    @Test func holdRefusalsCarryZmylesCodes() {
        #expect(throws: LedgerError.invalidAmount("amount must be more than zero")) { try Rules.requirePositive(0) }
        #expect(throws: LedgerError.invalidAmount("amount must be more than zero")) { try Rules.requirePositive(-5) }
        #expect(LedgerError.invalidAmount("amount must be more than zero").zmyleCode == "api:io:malformedNumber")
        #expect(throws: LedgerError.insufficientFunds) { try Rules.reserve(card(), amount: eur(5001), today: today) }
        #expect(LedgerError.insufficientFunds.zmyleCode == "api:biz:insufficientFunds")
        for refusal in [LedgerError.cardInactive, .cardBlocked, .cardRetired, .cardExpired, .cardNotFound, .registrationCodeMismatch] {
            #expect(refusal.zmyleCode != nil, "\(refusal)")
        }
    }

    @Test func aDigitalCardIsLoadedOnce() throws {
        // An inactive digital card that holds value (issued) cannot be sold: that would load it twice.
        #expect(throws: LedgerError.cardCannotBeLoaded) { try Rules.sell(card(.inactive, form: .digital, balance: 1000, loads: 1), amount: eur(500), today: today) }
        #expect(throws: LedgerError.cardCannotBeLoaded) { try Rules.sell(card(.inactive, form: .digital, balance: 0, loads: 1), amount: eur(500), today: today) }
        var new = card(.inactive, form: .digital, balance: 1000, loads: 1)
        new.id = 2
        #expect(throws: LedgerError.cardCannotBeLoaded) { try Rules.exchange(from: card(), to: new, today: today) }
        // An empty one is sold once.
        #expect(try Rules.sell(card(.inactive, form: .digital, balance: 0, loads: 0), amount: eur(500), today: today).card.loadCount == 1)
        // Such a card is not created in the first place.
        #expect(throws: LedgerError.invalidRequest("an inactive digital card must be empty: a digital card is loaded once, when it is sold")) {
            try Rules.newCard(number: "6035710000000000", form: .digital, status: .inactive, balance: eur(1000), expiresOn: nil)
        }
        try Rules.newCard(number: "6035710000000000", form: .digital, status: .active, balance: eur(1000), expiresOn: nil)
        try Rules.newCard(number: "6035710000000000", form: .physical, status: .inactive, balance: eur(1000), expiresOn: "2032-02-29")
    }
}
