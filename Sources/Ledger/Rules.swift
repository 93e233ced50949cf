import CardReading

/// The rules of the embedded gift ledger, as pure functions from a card's state to its next
/// state. Stores run them inside one database transaction with the card row locked, then write
/// what they return; the same rules therefore hold on SQLite and on PostgreSQL.

/// What a transaction did to a card.
public enum TransactionKind: String, Sendable, Codable, CaseIterable {
    /// Value a card was issued with by an administrator (demo, import).
    case issue
    case sell, reload, redeem
    case cashOut = "cash_out"
    case exchangeOut = "exchange_out"
    case exchangeIn = "exchange_in"
    case holdCapture = "hold_capture"
    case reversal
}

/// A change to one card's balance: the new state and the transaction that explains it.
public struct CardChange: Sendable, Equatable {
    public var card: GiftCardState
    public var kind: TransactionKind
    /// Signed change of the balance, in minor units.
    public var amount: Int64
    /// For redeems: the part of `-amount` that is tip.
    public var tip: Int64
    public var balanceBefore: Int64
    public var balanceAfter: Int64 { balanceBefore + amount }
}

/// What a reversal needs to know about the transaction it undoes.
public struct ReversalTarget: Sendable, Equatable {
    public var id: Int64
    public var kind: TransactionKind
    public var amount: Int64
    public var alreadyReversed: Bool
    /// The card's balance before the transaction (for a sale: value issued before it was sold).
    public var balanceBefore: Int64

    public init(id: Int64, kind: TransactionKind, amount: Int64, alreadyReversed: Bool, balanceBefore: Int64 = 0) {
        self.id = id
        self.kind = kind
        self.amount = amount
        self.alreadyReversed = alreadyReversed
        self.balanceBefore = balanceBefore
    }
}

public enum Rules {
    /// The card may take or give value: active, not expired (`today` is `YYYY-MM-DD`).
    static func requireUsable(_ card: GiftCardState, today: String) throws(LedgerError) {
        switch card.status {
        case .active: break
        case .inactive: throw .cardInactive
        case .blocked: throw .cardBlocked
        case .retired: throw .cardRetired
        }
        if let expiry = card.expiresOn, expiry < today { throw .cardExpired }
    }

    static func requirePositive(_ amount: Money, card: GiftCardState, name: String = "amount") throws(LedgerError) {
        guard amount.currency == card.balance.currency else {
            throw .currencyMismatch(card: card.balance.currency.code, request: amount.currency.code)
        }
        try requirePositive(amount.minorUnits, name: name)
    }

    /// An amount of a request (minor units) must be more than zero: `invalid_amount`, with
    /// zmyle's `api:io:malformedNumber` (the daemon checks holds with it before the card is read).
    public static func requirePositive(_ minorUnits: Int64, name: String = "amount") throws(LedgerError) {
        guard minorUnits > 0 else { throw .invalidAmount("\(name) must be more than zero") }
    }

    /// The most any card may hold, whatever its own maximum: 2^53 − 1 minor units, the largest
    /// integer every JSON client reads exactly.
    public static let largestBalance: Int64 = 9_007_199_254_740_991

    static func requireWithinMaximum(_ card: GiftCardState, adding amount: Int64) throws(LedgerError) {
        let (sum, overflow) = card.balance.minorUnits.addingReportingOverflow(amount)
        if overflow || sum > largestBalance { throw .maximumBalanceExceeded }
        if let max = card.maximumBalance, sum > max.minorUnits { throw .maximumBalanceExceeded }
    }

    static func change(_ card: GiftCardState, _ kind: TransactionKind, _ amount: Int64, tip: Int64 = 0) -> CardChange {
        var next = card
        next.balance.minorUnits += amount
        return CardChange(card: next, kind: kind, amount: amount, tip: tip, balanceBefore: card.balance.minorUnits)
    }

    /// An inactive card may take its first value: not expired, and a digital card only while it
    /// holds nothing (a digital card is loaded once; selling one that holds value would load it twice).
    static func requireSellable(_ card: GiftCardState, today: String) throws(LedgerError) {
        switch card.status {
        case .inactive: break
        case .active: throw .cardAlreadyActive
        case .blocked: throw .cardBlocked
        case .retired: throw .cardRetired
        }
        if let expiry = card.expiresOn, expiry < today { throw .cardExpired }
        if card.form == .digital && (card.loadCount >= 1 || card.balance.minorUnits != 0) { throw .cardCannotBeLoaded }
    }

    /// Sell: activates an inactive card with its first value.
    public static func sell(_ card: GiftCardState, amount: Money, today: String) throws(LedgerError) -> CardChange {
        try requireSellable(card, today: today)
        try requirePositive(amount, card: card)
        try requireWithinMaximum(card, adding: amount.minorUnits)
        var c = change(card, .sell, amount.minorUnits)
        c.card.status = .active
        c.card.loadCount += 1
        return c
    }

    /// Reload: adds value to an active card that may be reloaded (digital cards: once only).
    public static func reload(_ card: GiftCardState, amount: Money, today: String) throws(LedgerError) -> CardChange {
        try requireUsable(card, today: today)
        try requirePositive(amount, card: card)
        if card.form == .digital && card.loadCount >= 1 { throw .cardCannotBeLoaded }
        try requireWithinMaximum(card, adding: amount.minorUnits)
        var c = change(card, .reload, amount.minorUnits)
        c.card.loadCount += 1
        return c
    }

    /// Redeem: takes amount + tip off the available balance.
    public static func redeem(_ card: GiftCardState, amount: Money, tip: Money, today: String) throws(LedgerError) -> CardChange {
        try requireUsable(card, today: today)
        try requirePositive(amount, card: card)
        guard tip.currency == card.balance.currency else { throw .currencyMismatch(card: card.balance.currency.code, request: tip.currency.code) }
        guard tip.minorUnits >= 0 else { throw .invalidAmount("tip must not be negative") }
        let (total, overflow) = amount.minorUnits.addingReportingOverflow(tip.minorUnits)
        guard !overflow, total <= card.available.minorUnits else { throw .insufficientFunds }
        return change(card, .redeem, -total, tip: tip.minorUnits)
    }

    /// Cash out: pays out everything that is available (open holds stay on the card).
    public static func cashOut(_ card: GiftCardState, today: String) throws(LedgerError) -> CardChange {
        try requireUsable(card, today: today)
        let paid = card.available.minorUnits
        guard paid > 0 else { throw .insufficientFunds }
        return change(card, .cashOut, -paid)
    }

    /// Exchange: the whole balance moves to an inactive card, which becomes active; the old card
    /// is retired. Both cards must use one currency; the old one may not have open holds.
    public static func exchange(from old: GiftCardState, to new: GiftCardState, today: String) throws(LedgerError) -> (out: CardChange, in: CardChange) {
        try requireUsable(old, today: today)
        guard old.id != new.id else { throw .invalidRequest("a card cannot be exchanged for itself") }
        try requireSellable(new, today: today)
        guard old.held.minorUnits == 0 else { throw .holdsOpen }
        guard old.balance.currency == new.balance.currency else {
            throw .currencyMismatch(card: new.balance.currency.code, request: old.balance.currency.code)
        }
        let amount = old.balance.minorUnits
        try requireWithinMaximum(new, adding: amount)
        var out = change(old, .exchangeOut, -amount)
        out.card.status = .retired
        var into = change(new, .exchangeIn, amount)
        into.card.status = .active
        into.card.loadCount += 1
        return (out, into)
    }

    /// Reverse: a new transaction with the negated amount, at most once, never of a reversal.
    ///
    /// A sale leaves the card unsold, so it is reversed only while no value was loaded onto the
    /// card after it (a reload: reverse that first) and no hold is open: the later value would
    /// otherwise be locked on an inactive card. The loads after the sale are the card's loads
    /// less the sale itself and the issued value it was sold with (`target.balanceBefore`).
    ///
    /// `piggy` applies Piggy's gift card rules: only the card's last transaction (55025), and
    /// the card must not have expired. Paytronix-style reversals (by transaction id or by the
    /// external id of a request that timed out) are allowed on expired cards, so that an
    /// unanswered charge can always be undone.
    public static func reverse(_ card: GiftCardState, target: ReversalTarget, piggy: Bool, today: String) throws(LedgerError) -> CardChange {
        guard target.kind != .reversal else { throw .notReversible("a reversal cannot be reversed") }
        guard target.kind != .exchangeOut && target.kind != .exchangeIn else {
            throw .notReversible("an exchange is undone by exchanging back")
        }
        guard target.kind != .issue else { throw .notReversible("issued value is changed by an administrator") }
        guard !target.alreadyReversed else { throw .alreadyReversed }
        if piggy {
            guard card.lastTransactionId == target.id else { throw .notLastTransaction }
            if let expiry = card.expiresOn, expiry < today { throw .cardExpired }
        }
        switch card.status {
        case .blocked: throw .cardBlocked
        case .retired: throw .cardRetired
        case .inactive, .active: break
        }
        if target.kind == .sell {
            let loadsBeforeSale = target.balanceBefore > 0 ? 1 : 0
            guard card.loadCount <= loadsBeforeSale + 1 else {
                throw .notReversible("value was loaded onto the card after the sale; reverse the later loads first")
            }
            guard card.held.minorUnits == 0 else { throw .holdsOpen }
        }
        let delta = -target.amount
        if delta < 0 {
            guard -delta <= card.available.minorUnits else { throw .insufficientFunds }
        } else {
            // Piggy: a digital card is incremented once; undoing a decrement increments it.
            if piggy && card.form == .digital && card.loadCount >= 1 { throw .cardCannotBeLoaded }
            try requireWithinMaximum(card, adding: delta)
        }
        var c = change(card, .reversal, delta)
        if target.kind == .sell {
            // An undone sale leaves the card unsold, so it can be sold again.
            c.card.status = .inactive
            c.card.loadCount = max(0, c.card.loadCount - 1)
        } else if target.kind == .reload {
            c.card.loadCount = max(0, c.card.loadCount - 1)
        }
        return c
    }

    /// Reserve (a Zmyle transaction intent): moves `amount` of the available balance into held.
    public static func reserve(_ card: GiftCardState, amount: Money, today: String) throws(LedgerError) -> GiftCardState {
        try requireUsable(card, today: today)
        try requirePositive(amount, card: card)
        guard amount.minorUnits <= card.available.minorUnits else { throw .insufficientFunds }
        var next = card
        next.held.minorUnits += amount.minorUnits
        return next
    }

    /// Confirm a hold: the held amount is redeemed (a `hold_capture` transaction).
    public static func capture(_ card: GiftCardState, held amount: Int64) throws(LedgerError) -> CardChange {
        guard amount <= card.held.minorUnits, amount <= card.balance.minorUnits else {
            throw .storageFailure("hold of \(amount) exceeds what the card holds")
        }
        var c = change(card, .holdCapture, -amount)
        c.card.held.minorUnits -= amount
        return c
    }

    /// Cancel or expire a hold: the amount becomes available again.
    public static func release(_ card: GiftCardState, held amount: Int64) -> GiftCardState {
        var next = card
        next.held.minorUnits = max(0, next.held.minorUnits - amount)
        return next
    }
}

// MARK: New cards

extension Rules {
    /// A card number as the ledger keys it: ASCII letters and digits only (no other script's
    /// letters or digits, no accents), 1 to 64 of them, separators (spaces, `-`) removed first.
    public static func isCardNumber(_ number: String) -> Bool {
        let bytes = PAN.withoutSeparators(number).utf8
        return (1...64).contains(bytes.count) && bytes.allSatisfy(PAN.isASCIILetterOrDigit)
    }

    /// `YYYY-MM-DD` naming a day the Gregorian calendar has (years 0001…9999, leap years:
    /// divisible by 4, except centuries not divisible by 400).
    public static func isCalendarDate(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return false }
        func number(_ r: Range<Int>) -> Int? {
            guard u[r].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
            return u[r].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), year >= 1, (1...12).contains(month) else {
            return false
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    /// What a new card (administration, import) must be; the stores check it before they add one.
    /// An inactive digital card starts empty: its one load is its sale.
    public static func newCard(number: String, form: CardForm, status: CardStatus, balance: Money, expiresOn: String?) throws(LedgerError) {
        guard isCardNumber(number) else { throw .invalidRequest("number must be 1 to 64 ASCII letters or digits") }
        if let expiresOn, !isCalendarDate(expiresOn) { throw .invalidRequest("expiresOn must be a real date, YYYY-MM-DD") }
        guard balance.minorUnits >= 0 else { throw .invalidAmount("balance must not be negative") }
        if form == .digital && status == .inactive && balance.minorUnits > 0 {
            throw .invalidRequest("an inactive digital card must be empty: a digital card is loaded once, when it is sold")
        }
    }
}
