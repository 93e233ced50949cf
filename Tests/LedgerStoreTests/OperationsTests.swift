import CardReading
import Foundation
import GRDB
import Ledger
import Synchronization
import Logging
import PostgresNIO
import Testing

@testable import LedgerPostgres
@testable import LedgerSQLite

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_795_000_000))  // 2026-11-18
    func read() -> Date { now.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// The store a test runs against: SQLite always, PostgreSQL when `GIFTBRIDGE_TEST_POSTGRES`
/// names the socket directory of a server (`scripts/test` starts one).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql
    var testDescription: String { rawValue }

    static let postgresSocket = ProcessInfo.processInfo.environment["GIFTBRIDGE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static let available: [StoreKind] = postgresSocket == nil ? [.sqlite] : [.sqlite, .postgresql]
}

final class OpsFixture: @unchecked Sendable {
    let kind: StoreKind
    let dir: String
    let ledger: any LedgerStore
    let clock = TestClock()
    let keyer = CardKeyer(key: Array("test key: sixteen bytes or more".utf8))
    private var pgClient: PostgresClient?
    private var pgTask: Task<Void, Never>?

    private init(kind: StoreKind, dir: String, ledger: any LedgerStore, pgClient: PostgresClient?, pgTask: Task<Void, Never>?) {
        self.kind = kind
        self.dir = dir
        self.ledger = ledger
        self.pgClient = pgClient
        self.pgTask = pgTask
    }

    static func make(_ kind: StoreKind, holdLifetime: TimeInterval = 1800) async throws -> OpsFixture {
        let dir = NSTemporaryDirectory() + "ops-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keyer = CardKeyer(key: Array("test key: sixteen bytes or more".utf8))
        let clock = TestClock()
        switch kind {
        case .sqlite:
            let ledger = try SQLiteLedger(path: dir + "/ledger.sqlite", keyer: keyer, holdLifetime: holdLifetime, clock: { clock.read() })
            let f = OpsFixture(kind: kind, dir: dir, ledger: ledger, pgClient: nil, pgTask: nil)
            f.clockBox = clock
            return f
        case .postgresql:
            let socket = try #require(StoreKind.postgresSocket) + "/.s.PGSQL.5432"
            let database = "gbt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            let logger = Logger(label: "test")
            let admin = PostgresClient(configuration: .init(unixSocketPath: socket, username: "postgres", password: nil, database: "postgres"), backgroundLogger: logger)
            let adminTask = Task { await admin.run() }
            try await admin.query("CREATE DATABASE \(unescaped: database)")
            adminTask.cancel()
            let client = PostgresClient(configuration: .init(unixSocketPath: socket, username: "postgres", password: nil, database: database), backgroundLogger: logger)
            let task = Task { await client.run() }
            let ledger = PostgresLedger(client: client, keyer: keyer, holdLifetime: holdLifetime, logger: logger, clock: { clock.read() })
            try await ledger.migrate()
            let f = OpsFixture(kind: kind, dir: dir, ledger: ledger, pgClient: client, pgTask: task)
            f.clockBox = clock
            return f
        }
    }

    private var clockBox: TestClock?
    var testClock: TestClock { clockBox! }

    deinit {
        pgTask?.cancel()
        try? FileManager.default.removeItem(atPath: dir)
    }

    @discardableResult
    func addCard(
        number: String, form: CardForm = .physical, status: CardStatus = .active, balance: Money, maximumBalance: Money? = nil,
        expiresOn: String? = nil, registrationCode: String? = nil
    ) async throws -> Int64 {
        try await ledger.addCard(
            number: number, form: form, status: status, balance: balance, maximumBalance: maximumBalance, expiresOn: expiresOn,
            registrationCode: registrationCode)
    }

    /// Runs SQL on the store's database directly (to prove the database itself refuses it).
    func rawExecute(_ sql: String) async throws {
        if let pgClient {
            try await pgClient.query(PostgresQuery(unsafeSQL: sql))
        } else {
            let db = try DatabaseQueue(path: dir + "/ledger.sqlite")
            try await db.write { try $0.execute(sql: sql) }
        }
    }

    /// The first column of every row a query returns, as text, read around the store.
    func rawStrings(_ sql: String) async throws -> [String] {
        if let pgClient {
            var out: [String] = []
            for try await row in try await pgClient.query(PostgresQuery(unsafeSQL: sql)) { out.append(try row.decode(String.self)) }
            return out
        }
        let db = try DatabaseQueue(path: dir + "/ledger.sqlite")
        return try await db.read { try String.fetchAll($0, sql: sql) }
    }

    /// Opens the store again (SQLite) or migrates it again (PostgreSQL): what a restart does.
    func reopen() async throws -> any LedgerStore {
        if let pg = ledger as? PostgresLedger {
            try await pg.migrate()
            return pg
        }
        return try SQLiteLedger(path: dir + "/ledger.sqlite", keyer: keyer, clock: { [clockBox] in clockBox!.read() })
    }

    /// balance = Σ transactions, held = Σ open holds, 0 ≤ held ≤ balance, for every card.
    func checkInvariants() async throws {
        #expect(try await ledger.verifyInvariants() == [])
        if kind == .sqlite { try checkInvariantsDirectly() }
    }

    /// The same, in SQL written here, so the check does not rest on the code it checks.
    func checkInvariantsDirectly() throws {
        let db = try DatabaseQueue(path: dir + "/ledger.sqlite")
        try db.read { db in
            let bad = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM card c WHERE
                  c.balance != (SELECT coalesce(sum(amount), 0) FROM gift_txn t WHERE t.card_id = c.id)
                  OR c.held != (SELECT coalesce(sum(amount), 0) FROM hold h WHERE h.card_id = c.id AND h.status = 'NEEDS_CONFIRMATION')
                  OR c.held < 0 OR c.held > c.balance
                """)
            #expect(bad == 0)
            let doubles = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT reverses_id FROM gift_txn WHERE reverses_id IS NOT NULL GROUP BY reverses_id HAVING count(*) > 1)")
            #expect(doubles == 0)
        }
    }
}

@Suite struct OperationsTests {
    let card1 = CardInfo(printedCardNumber: "6035710000000000")
    let card2 = CardInfo(printedCardNumber: "6035710000000028")
    let eur = Currency.eur

    @Test(arguments: StoreKind.available) func theGiftServiceLifeOfACard(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", status: .inactive, balance: .zero(eur))
        let ctx = OperationContext(storeCode: "S1", terminalId: "T1", cashier: "ann", checkNumber: "42")

        let sold = try await f.ledger.execute(.sell(card1, amount: 5000), context: ctx)
        #expect(sold.transaction.kind == .sell)
        #expect(sold.transaction.balanceAfter == 5000)
        #expect(sold.card.status == .active)
        #expect(sold.transaction.authCode.count == 6)
        #expect(sold.transaction.id > 0 && sold.transaction.id < 1 << 53)
        #expect(sold.transaction.maskedCardNumber == "603571******0000")

        let reloaded = try await f.ledger.execute(.reload(card1, amount: 1000), context: ctx)
        #expect(reloaded.transaction.balanceBefore == 5000)
        #expect(reloaded.card.balance.minorUnits == 6000)

        let redeemed = try await f.ledger.execute(.redeem(card1, amount: 2000, tip: 300), context: ctx)
        #expect(redeemed.transaction.amount == -2300)
        #expect(redeemed.transaction.tip == 300)
        #expect(redeemed.card.balance.minorUnits == 3700)

        let reversed = try await f.ledger.execute(.reverse(transactionId: redeemed.transaction.id), context: ctx)
        #expect(reversed.transaction.amount == 2300)
        #expect(reversed.transaction.reversesId == redeemed.transaction.id)
        #expect(reversed.card.balance.minorUnits == 6000)
        await #expect(throws: LedgerError.alreadyReversed) { try await f.ledger.execute(.reverse(transactionId: redeemed.transaction.id), context: ctx) }
        await #expect(throws: LedgerError.notReversible("a reversal cannot be reversed")) {
            try await f.ledger.execute(.reverse(transactionId: reversed.transaction.id), context: ctx)
        }

        let cashed = try await f.ledger.execute(.cashOut(card1), context: ctx)
        #expect(cashed.transaction.amount == -6000)
        #expect(cashed.card.balance.minorUnits == 0)

        let stored = try await f.ledger.transaction(id: redeemed.transaction.id)
        #expect(stored == redeemed.transaction)
        #expect(stored.cashier == "ann")
        #expect(stored.checkNumber == "42")
        await #expect(throws: LedgerError.transactionNotFound) { try await f.ledger.transaction(id: 12345) }
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func vendorRulesAreEnforcedByTheStore(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", form: .digital, balance: Money(minorUnits: 1000, currency: eur))
        try await f.addCard(number: "6035710000000028", balance: Money(minorUnits: 1000, currency: eur), maximumBalance: Money(minorUnits: 1500, currency: eur), expiresOn: "2026-12-31")
        try await f.addCard(number: "6035710000000048", balance: Money(minorUnits: 1000, currency: eur), expiresOn: "2026-01-01")
        let ctx = OperationContext()
        await #expect(throws: LedgerError.cardCannotBeLoaded) { try await f.ledger.execute(.reload(card1, amount: 100), context: ctx) }
        await #expect(throws: LedgerError.maximumBalanceExceeded) { try await f.ledger.execute(.reload(card2, amount: 501), context: ctx) }
        await #expect(throws: LedgerError.insufficientFunds) { try await f.ledger.execute(.redeem(card2, amount: 900, tip: 101), context: ctx) }
        await #expect(throws: LedgerError.cardExpired) {
            try await f.ledger.execute(.redeem(CardInfo(printedCardNumber: "6035710000000048"), amount: 1, tip: 0), context: ctx)
        }
        await #expect(throws: LedgerError.cardNotFound) { try await f.ledger.execute(.redeem(CardInfo(printedCardNumber: "1"), amount: 1, tip: 0), context: ctx) }
        await #expect(throws: LedgerError.currencyMismatch(card: "EUR", request: "USD")) {
            try await f.ledger.execute(.redeem(card2, amount: 1, tip: 0), context: OperationContext(currency: "usd"))
        }
        // Nothing of the refused requests was booked.
        #expect(try await f.ledger.balance(of: card2, context: .init()).balance.minorUnits == 1000)
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func piggyReversalOnlyOfTheLastTransaction(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 5000, currency: eur))
        let first = try await f.ledger.execute(.redeem(card1, amount: 100, tip: 0), context: .init())
        let second = try await f.ledger.execute(.redeem(card1, amount: 200, tip: 0), context: .init())
        await #expect(throws: LedgerError.notLastTransaction) { try await f.ledger.execute(.reverseLast(transactionId: first.transaction.id), context: .init()) }
        let undone = try await f.ledger.execute(.reverseLast(transactionId: second.transaction.id), context: .init())
        #expect(undone.card.balance.minorUnits == 4900)
        // Paytronix-style reversal of the older one is fine.
        #expect(try await f.ledger.execute(.reverse(transactionId: first.transaction.id), context: .init()).card.balance.minorUnits == 5000)
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func exchangeMovesTheBalanceToANewCard(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", form: .digital, balance: Money(minorUnits: 4200, currency: eur))
        try await f.addCard(number: "6035710000000028", status: .inactive, balance: .zero(eur))
        let r = try await f.ledger.execute(.exchange(card1, to: card2), context: OperationContext(externalTransactionId: "x-1"))
        #expect(r.card.balance.minorUnits == 4200)
        #expect(r.card.status == .active)
        #expect(r.counterpart?.amount == -4200)
        #expect(r.counterpart?.externalTransactionId == "x-1")
        let old = try await f.ledger.balance(of: card1, context: .init())
        #expect(old.status == .retired)
        #expect(old.balance.minorUnits == 0)
        await #expect(throws: LedgerError.cardRetired) { try await f.ledger.execute(.redeem(card1, amount: 1, tip: 0), context: .init()) }
        await #expect(throws: LedgerError.notReversible("an exchange is undone by exchanging back")) {
            try await f.ledger.execute(.reverse(transactionId: r.transaction.id), context: .init())
        }
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func timeoutReversalByExternalId(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 5000, currency: eur))
        let ctx = OperationContext(externalTransactionId: "pos-1")
        _ = try await f.ledger.execute(.redeem(card1, amount: 1000, tip: 0), context: ctx)
        await #expect(throws: LedgerError.duplicateExternalTransactionId) { try await f.ledger.execute(.redeem(card1, amount: 1000, tip: 0), context: ctx) }
        let undone = try await f.ledger.execute(.reverseExternal(externalTransactionId: "pos-1"), context: .init())
        #expect(undone.card.balance.minorUnits == 5000)

        // A reversal that overtakes its original: the original is refused when it arrives late.
        await #expect(throws: LedgerError.transactionNotFound) { try await f.ledger.execute(.reverseExternal(externalTransactionId: "pos-2"), context: .init()) }
        await #expect(throws: LedgerError.alreadyReversed) {
            try await f.ledger.execute(.redeem(card1, amount: 1000, tip: 0), context: OperationContext(externalTransactionId: "pos-2"))
        }
        #expect(try await f.ledger.balance(of: card1, context: .init()).balance.minorUnits == 5000)
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func idempotencyReturnsTheFirstAnswer(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 5000, currency: eur))
        let ctx = OperationContext(idempotency: Idempotency(scope: "till-1", key: "k1", requestHash: "h1"))
        let first = try await f.ledger.execute(.redeem(card1, amount: 1000, tip: 0), context: ctx)
        let again = try await f.ledger.execute(.redeem(card1, amount: 1000, tip: 0), context: ctx)
        #expect(again == first)
        #expect(try await f.ledger.balance(of: card1, context: .init()).balance.minorUnits == 4000)
        await #expect(throws: LedgerError.idempotencyConflict) {
            try await f.ledger.execute(.redeem(card1, amount: 2000, tip: 0), context: OperationContext(idempotency: Idempotency(scope: "till-1", key: "k1", requestHash: "h2")))
        }
        // Another till may use the same key.
        let other = try await f.ledger.execute(.redeem(card1, amount: 1000, tip: 0), context: OperationContext(idempotency: Idempotency(scope: "till-2", key: "k1", requestHash: "h1")))
        #expect(other.transaction.id != first.transaction.id)
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func holdsAreReservedConfirmedCancelledAndExpire(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind, holdLifetime: 60)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 5000, currency: eur))
        let hold = try await f.ledger.reserveHold(card1, amount: 2000, metadata: ["receiptNumber": "Bon 1"], context: .init())
        #expect(hold.status == .needsConfirmation)
        #expect(try await f.ledger.balance(of: card1, context: .init()).available.minorUnits == 3000)
        await #expect(throws: LedgerError.insufficientFunds) { try await f.ledger.execute(.redeem(card1, amount: 3001, tip: 0), context: .init()) }

        let confirmed = try await f.ledger.confirmHold(id: hold.id, context: .init())
        #expect(confirmed.transaction.kind == .holdCapture)
        #expect(confirmed.transaction.metadata == ["receiptNumber": "Bon 1"])
        #expect(confirmed.transaction.holdId == hold.id)
        #expect(confirmed.card.balance.minorUnits == 3000)
        #expect(confirmed.card.held.minorUnits == 0)
        #expect(try await f.ledger.hold(id: hold.id).status == .confirmed)
        await #expect(throws: LedgerError.holdNotOpen(status: "CONFIRMED")) { try await f.ledger.cancelHold(id: hold.id, context: .init()) }

        let second = try await f.ledger.reserveHold(card1, amount: 1000, metadata: [:], context: .init())
        #expect(try await f.ledger.cancelHold(id: second.id, context: .init()).status == .cancelled)
        #expect(try await f.ledger.balance(of: card1, context: .init()).available.minorUnits == 3000)

        // An unconfirmed hold is released by itself when its time is up.
        let third = try await f.ledger.reserveHold(card1, amount: 500, metadata: [:], context: .init())
        #expect(try await f.ledger.nextHoldExpiry() == LedgerTime.date(from: third.expiresAt))
        f.testClock.advance(61)
        let released = try await f.ledger.releaseExpiredHolds()
        #expect(released.map(\.id) == [third.id])
        #expect(released.first?.status == .expired)
        #expect(try await f.ledger.balance(of: card1, context: .init()).available.minorUnits == 3000)
        await #expect(throws: LedgerError.holdNotOpen(status: "EXPIRED")) { try await f.ledger.confirmHold(id: third.id, context: .init()) }
        #expect(try await f.ledger.nextHoldExpiry() == nil)
        await #expect(throws: LedgerError.holdNotFound) { try await f.ledger.hold(id: "nope") }
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func transactionsAreAppendOnly(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 5000, currency: eur))
        await #expect(throws: (any Error).self) { try await f.rawExecute("UPDATE gift_txn SET amount = 1") }
        await #expect(throws: (any Error).self) { try await f.rawExecute("DELETE FROM gift_txn") }
        await #expect(throws: (any Error).self) { try await f.rawExecute("UPDATE card SET balance = -1") }
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func concurrentRedeemsNeverOverdraw(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 10_000, currency: eur))
        let ledger = f.ledger
        let card = card1
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask { (try? await ledger.execute(.redeem(card, amount: 100, tip: 0), context: .init())) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 100)
        #expect(try await f.ledger.balance(of: card1, context: .init()).balance.minorUnits == 0)
        try await f.checkInvariants()
    }

    @Test(arguments: StoreKind.available) func randomOperationsKeepTheInvariants(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 5000, currency: eur))
        try await f.addCard(number: "6035710000000028", status: .inactive, balance: .zero(eur))
        var generator = SystemRandomNumberGenerator()
        var ids: [Int64] = []
        var holds: [String] = []
        for _ in 0..<300 {
            let card = Bool.random(using: &generator) ? card1 : card2
            let amount = Int64.random(in: 1...3000, using: &generator)
            switch Int.random(in: 0..<8, using: &generator) {
            case 0: if let r = try? await f.ledger.execute(.sell(card, amount: amount), context: .init()) { ids.append(r.transaction.id) }
            case 1: if let r = try? await f.ledger.execute(.reload(card, amount: amount), context: .init()) { ids.append(r.transaction.id) }
            case 2: if let r = try? await f.ledger.execute(.redeem(card, amount: amount, tip: amount / 10), context: .init()) { ids.append(r.transaction.id) }
            case 3: if let id = ids.randomElement(using: &generator) { _ = try? await f.ledger.execute(.reverse(transactionId: id), context: .init()) }
            case 4: if let h = try? await f.ledger.reserveHold(card, amount: amount, metadata: [:], context: .init()) { holds.append(h.id) }
            case 5: if let h = holds.randomElement(using: &generator) { _ = try? await f.ledger.confirmHold(id: h, context: .init()) }
            case 6: if let h = holds.randomElement(using: &generator) { _ = try? await f.ledger.cancelHold(id: h, context: .init()) }
            default: f.testClock.advance(600)
            }
        }
        try await f.checkInvariants()
    }
}
