import CardReading
import Foundation
import Ledger
import Testing

/// The rules of the safety review (item 5), held the same by SQLite and PostgreSQL.
@Suite struct RuleFixesStoreTests {
    let card1 = CardInfo(printedCardNumber: "6035710000000000")
    let card2 = CardInfo(printedCardNumber: "6035710000000028")
    let eur = Currency.eur
    func eur(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: .eur) }

    @Test(arguments: StoreKind.available) func aSaleIsNotReversedOnceLaterValueWasLoaded(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", status: .inactive, balance: .zero(eur))
        let sold = try await f.ledger.execute(.sell(card1, amount: 5000), context: .init())
        let reloaded = try await f.ledger.execute(.reload(card1, amount: 1000), context: .init())
        await #expect(throws: LedgerError.notReversible("value was loaded onto the card after the sale; reverse the later loads first")) {
            try await f.ledger.execute(.reverse(transactionId: sold.transaction.id), context: .init())
        }
        let still = try await f.ledger.balance(of: card1, context: .init())
        #expect(still.status == .active)
        #expect(still.balance.minorUnits == 6000)
        // Reverse the later load first, then the sale.
        _ = try await f.ledger.execute(.reverse(transactionId: reloaded.transaction.id), context: .init())
        let unsold = try await f.ledger.execute(.reverse(transactionId: sold.transaction.id), context: .init())
        #expect(unsold.card.status == .inactive)
        #expect(unsold.card.balance.minorUnits == 0)

        // A card issued inactive with value: the issue came before the sale, which stays reversible.
        try await f.addCard(number: "6035710000000028", status: .inactive, balance: eur(2000))
        let sold2 = try await f.ledger.execute(.sell(card2, amount: 3000), context: .init())
        let back = try await f.ledger.execute(.reverse(transactionId: sold2.transaction.id), context: .init())
        #expect(back.card.status == .inactive)
        #expect(back.card.balance.minorUnits == 2000)
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func aReversalInAnotherCurrencyIsRefused(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: eur(5000))
        let redeemed = try await f.ledger.execute(.redeem(card1, amount: 1000, tip: 0), context: OperationContext(externalTransactionId: "pos-1"))
        let usd = OperationContext(currency: "usd")
        let mismatch = LedgerError.currencyMismatch(card: "EUR", request: "USD")
        await #expect(throws: mismatch) { try await f.ledger.execute(.reverse(transactionId: redeemed.transaction.id), context: usd) }
        await #expect(throws: mismatch) { try await f.ledger.execute(.reverseLast(transactionId: redeemed.transaction.id), context: usd) }
        await #expect(throws: mismatch) { try await f.ledger.execute(.reverseExternal(externalTransactionId: "pos-1"), context: usd) }
        #expect(try await f.ledger.balance(of: card1, context: .init()).balance.minorUnits == 4000)
        let undone = try await f.ledger.execute(.reverse(transactionId: redeemed.transaction.id), context: OperationContext(currency: "eur"))
        #expect(undone.card.balance.minorUnits == 5000)
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func impossibleExpiryDatesAreRefused(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        for bad in ["2031-02-30", "2031-02-29", "2100-02-29", "2031-04-31", "2031-13-01", "2031-00-10", "2031-01-00"] {
            await #expect(throws: LedgerError.invalidRequest("expiresOn must be a real date, YYYY-MM-DD"), "\(bad)") {
                try await f.addCard(number: "6035710000000000", balance: eur(1000), expiresOn: bad)
            }
        }
        #expect(try await f.ledger.cardCount() == 0)
        try await f.addCard(number: "6035710000000000", balance: eur(1000), expiresOn: "2032-02-29")
        #expect(try await f.ledger.balance(of: card1, context: .init()).expiresOn == "2032-02-29")
    }

    @Test(arguments: StoreKind.available) func cardNumbersAreASCIILettersAndDigits(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        let arabicIndic = "٦٠٣٥٧١٠٠٠٠٠٠٠٠٠٠"
        let fullwidth = "６０３５７１００００００００００"
        for bad in [arabicIndic, fullwidth, "6035710000000é00", "60357100000000e\u{301}0"] {
            await #expect(throws: LedgerError.invalidRequest("number must be 1 to 64 ASCII letters or digits"), "\(bad)") {
                try await f.addCard(number: bad, balance: eur(1000))
            }
            await #expect(throws: LedgerError.invalidRequest("printedCardNumber must be 1 to 64 ASCII letters or digits"), "\(bad)") {
                try await f.ledger.execute(.redeem(CardInfo(printedCardNumber: bad), amount: 1, tip: 0), context: .init())
            }
            await #expect(throws: LedgerError.invalidRequest("barcode must be 1 to 64 ASCII letters or digits"), "\(bad)") {
                try await f.ledger.balance(of: CardInfo(barcode: bad), context: .init())
            }
        }
        #expect(try await f.ledger.cardCount() == 0)
        try await f.addCard(number: "GC6035710000000000", balance: eur(1000))
        #expect(try await f.ledger.balance(of: CardInfo(barcode: "GC-6035-7100-0000-0000"), context: .init()).balance.minorUnits == 1000)
    }

    @Test(arguments: StoreKind.available) func aDigitalCardIsLoadedOnce(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        // Created inactive with value, it could be sold: a second load. Refused.
        await #expect(throws: LedgerError.invalidRequest("an inactive digital card must be empty: a digital card is loaded once, when it is sold")) {
            try await f.addCard(number: "6035710000000000", form: .digital, status: .inactive, balance: eur(1000))
        }
        #expect(try await f.ledger.cardCount() == 0)
        // Created empty, it is sold once and not loaded again.
        try await f.addCard(number: "6035710000000000", form: .digital, status: .inactive, balance: .zero(eur))
        #expect(try await f.ledger.execute(.sell(card1, amount: 2000), context: .init()).card.loadCount == 1)
        await #expect(throws: LedgerError.cardCannotBeLoaded) { try await f.ledger.execute(.reload(card1, amount: 100), context: .init()) }
        try await f.checkInvariants()
    }
}
