import Testing

@testable import Ledger

@Suite struct RulesTests {
    let today = "2026-11-21"
    func card(_ status: CardStatus = .active, form: CardForm = .physical, balance: Int64 = 5000, held: Int64 = 0, max: Int64? = nil, expires: String? = nil, loads: Int = 1, last: Int64? = nil) -> GiftCardState {
        GiftCardState(
            id: 1, maskedNumber: "603571******0000", status: status, form: form, balance: Money(minorUnits: balance, currency: .eur),
            held: Money(minorUnits: held, currency: .eur), maximumBalance: max.map { Money(minorUnits: $0, currency: .eur) },
            expiresOn: expires, loadCount: loads, lastTransactionId: last)
    }
    func eur(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: .eur) }

    @Test func sellActivatesAnInactiveCardWithItsFirstValue() throws {
        let c = try Rules.sell(card(.inactive, balance: 0, loads: 0), amount: eur(2500), today: today)
        #expect(c.card.status == .active)
        #expect(c.card.balance.minorUnits == 2500)
        #expect(c.kind == .sell)
        #expect(c.balanceBefore == 0)
        #expect(c.balanceAfter == 2500)
        #expect(c.card.loadCount == 1)
        #expect(throws: LedgerError.cardAlreadyActive) { try Rules.sell(card(), amount: eur(1), today: today) }
        #expect(throws: LedgerError.cardBlocked) { try Rules.sell(card(.blocked), amount: eur(1), today: today) }
        #expect(throws: LedgerError.maximumBalanceExceeded) { try Rules.sell(card(.inactive, balance: 0, max: 1000), amount: eur(1001), today: today) }
        #expect(throws: LedgerError.invalidAmount("amount must be more than zero")) { try Rules.sell(card(.inactive, balance: 0), amount: eur(0), today: today) }
        #expect(throws: LedgerError.currencyMismatch(card: "EUR", request: "USD")) {
            try Rules.sell(card(.inactive, balance: 0), amount: Money(minorUnits: 5, currency: .usd), today: today)
        }
    }

    @Test func reloadOnlyOnActiveReloadableCards() throws {
        #expect(try Rules.reload(card(), amount: eur(1000), today: today).card.balance.minorUnits == 6000)
        #expect(throws: LedgerError.cardInactive) { try Rules.reload(card(.inactive), amount: eur(1), today: today) }
        #expect(throws: LedgerError.cardCannotBeLoaded) { try Rules.reload(card(form: .digital), amount: eur(1), today: today) }
        #expect(throws: LedgerError.maximumBalanceExceeded) { try Rules.reload(card(max: 5500), amount: eur(501), today: today) }
        #expect(try Rules.reload(card(max: 5500), amount: eur(500), today: today).card.balance.minorUnits == 5500)
        #expect(throws: LedgerError.cardExpired) { try Rules.reload(card(expires: "2026-11-20"), amount: eur(1), today: today) }
        #expect(try Rules.reload(card(expires: "2026-11-21"), amount: eur(1), today: today).amount == 1)
        #expect(throws: LedgerError.maximumBalanceExceeded) { try Rules.reload(card(balance: Int64.max - 1), amount: eur(2), today: today) }
        // No card holds more than 2^53 - 1, what every JSON client reads exactly, even without a maximum.
        #expect(try Rules.reload(card(balance: Rules.largestBalance - 1), amount: eur(1), today: today).card.balance.minorUnits == Rules.largestBalance)
        #expect(throws: LedgerError.maximumBalanceExceeded) { try Rules.reload(card(balance: Rules.largestBalance), amount: eur(1), today: today) }
    }

    @Test func redeemTakesAmountPlusTipFromTheAvailableBalance() throws {
        let c = try Rules.redeem(card(), amount: eur(4000), tip: eur(500), today: today)
        #expect(c.amount == -4500)
        #expect(c.tip == 500)
        #expect(c.card.balance.minorUnits == 500)
        #expect(throws: LedgerError.insufficientFunds) { try Rules.redeem(card(), amount: eur(4600), tip: eur(500), today: today) }
        // Open holds are not available.
        #expect(throws: LedgerError.insufficientFunds) { try Rules.redeem(card(held: 1000), amount: eur(4001), tip: eur(0), today: today) }
        #expect(throws: LedgerError.invalidAmount("tip must not be negative")) { try Rules.redeem(card(), amount: eur(1), tip: eur(-1), today: today) }
        #expect(throws: LedgerError.cardBlocked) { try Rules.redeem(card(.blocked), amount: eur(1), tip: eur(0), today: today) }
    }

    @Test func cashOutPaysOutWhatIsAvailable() throws {
        let c = try Rules.cashOut(card(held: 1000), today: today)
        #expect(c.amount == -4000)
        #expect(c.card.balance.minorUnits == 1000)
        #expect(throws: LedgerError.insufficientFunds) { try Rules.cashOut(card(balance: 0), today: today) }
    }

    @Test func exchangeMovesTheWholeBalanceAndRetiresTheOldCard() throws {
        var new = card(.inactive, form: .physical, balance: 0, loads: 0)
        new.id = 2
        let (out, into) = try Rules.exchange(from: card(form: .digital), to: new, today: today)
        #expect(out.amount == -5000)
        #expect(out.card.status == .retired)
        #expect(out.card.balance.minorUnits == 0)
        #expect(into.amount == 5000)
        #expect(into.card.status == .active)
        #expect(throws: LedgerError.holdsOpen) { try Rules.exchange(from: card(held: 1), to: new, today: today) }
        var active = new
        active.status = .active
        #expect(throws: LedgerError.cardAlreadyActive) { try Rules.exchange(from: card(), to: active, today: today) }
        #expect(throws: LedgerError.invalidRequest("a card cannot be exchanged for itself")) { try Rules.exchange(from: card(), to: card(.inactive), today: today) }
    }

    @Test func reversalNegatesOnceAndNeverReversesAReversal() throws {
        let redeem = ReversalTarget(id: 7, kind: .redeem, amount: -1500, alreadyReversed: false)
        let c = try Rules.reverse(card(balance: 3500), target: redeem, piggy: false, today: today)
        #expect(c.kind == .reversal)
        #expect(c.amount == 1500)
        #expect(c.card.balance.minorUnits == 5000)
        var done = redeem
        done.alreadyReversed = true
        #expect(throws: LedgerError.alreadyReversed) { try Rules.reverse(card(), target: done, piggy: false, today: today) }
        #expect(throws: LedgerError.notReversible("a reversal cannot be reversed")) {
            try Rules.reverse(card(), target: ReversalTarget(id: 8, kind: .reversal, amount: 1500, alreadyReversed: false), piggy: false, today: today)
        }
        // Undoing a load needs the money still to be there.
        #expect(throws: LedgerError.insufficientFunds) {
            try Rules.reverse(card(balance: 500), target: ReversalTarget(id: 9, kind: .reload, amount: 1000, alreadyReversed: false), piggy: false, today: today)
        }
        // Undoing a sale leaves the card unsold.
        let unsold = try Rules.reverse(card(balance: 2500), target: ReversalTarget(id: 10, kind: .sell, amount: 2500, alreadyReversed: false), piggy: false, today: today)
        #expect(unsold.card.status == .inactive)
        #expect(unsold.card.balance.minorUnits == 0)
        // Paytronix-style reversals work on expired cards, Piggy-style ones do not.
        #expect(try Rules.reverse(card(expires: "2020-01-01", last: 7), target: redeem, piggy: false, today: today).amount == 1500)
        #expect(throws: LedgerError.cardExpired) { try Rules.reverse(card(expires: "2020-01-01", last: 7), target: redeem, piggy: true, today: today) }
    }

    @Test func piggyReversesOnlyTheLastTransaction() throws {
        let t = ReversalTarget(id: 7, kind: .redeem, amount: -100, alreadyReversed: false)
        #expect(throws: LedgerError.notLastTransaction) { try Rules.reverse(card(last: 8), target: t, piggy: true, today: today) }
        #expect(try Rules.reverse(card(last: 7), target: t, piggy: true, today: today).amount == 100)
        // A digital card is incremented once: undoing a decrement would increment it again.
        #expect(throws: LedgerError.cardCannotBeLoaded) { try Rules.reverse(card(form: .digital, last: 7), target: t, piggy: true, today: today) }
        #expect(LedgerError.notLastTransaction.piggyCode == 55025)
        #expect(LedgerError.cardCannotBeLoaded.piggyCode == 5006)
    }

    @Test func holdsReserveCaptureAndRelease() throws {
        let reserved = try Rules.reserve(card(), amount: eur(2000), today: today)
        #expect(reserved.held.minorUnits == 2000)
        #expect(reserved.available.minorUnits == 3000)
        #expect(throws: LedgerError.insufficientFunds) { try Rules.reserve(reserved, amount: eur(3001), today: today) }
        let captured = try Rules.capture(reserved, held: 2000)
        #expect(captured.kind == .holdCapture)
        #expect(captured.card.balance.minorUnits == 3000)
        #expect(captured.card.held.minorUnits == 0)
        #expect(Rules.release(reserved, held: 2000).available.minorUnits == 5000)
        #expect(LedgerError.insufficientFunds.zmyleCode == "api:biz:insufficientFunds")
        #expect(LedgerError.cardNotFound.zmyleCode == "api:biz:noSuchGiftcard")
    }
}
