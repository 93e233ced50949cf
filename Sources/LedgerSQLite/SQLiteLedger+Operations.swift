import CardReading
import Foundation
import GRDB
import Ledger

/// Gift operations, holds and idempotency on SQLite. Every mutation runs in one `BEGIN
/// IMMEDIATE` transaction on GRDB's single writer: read the card, apply ``Rules``, book the
/// transaction, update the card, remember the answer for its idempotency key — all or nothing.
extension SQLiteLedger {
    struct LockedCard {
        var state: GiftCardState
        var numberKey: String
    }

    /// Finds the card a `CardInfo` names and checks its registration code when one is given.
    /// (Inside a write transaction the writer lock is already held.)
    func lockCard(_ db: Database, _ card: CardInfo) throws -> LockedCard {
        let number = try CardKeyer.cardNumber(in: card)
        let key = keyer.key(forCardNumber: number)
        guard let row = try db.cachedRow(sql: "SELECT * FROM card WHERE number_key = ?", arguments: [key]) else {
            throw LedgerError.cardNotFound
        }
        if let code = card.cardRegCode {
            let stored: String? = row["reg_code_key"]
            guard let stored, stored == keyer.key(forRegistrationCode: code, cardKey: key) else {
                throw LedgerError.registrationCodeMismatch
            }
        }
        return LockedCard(state: try Self.state(from: row), numberKey: key)
    }

    func card(_ db: Database, id: Int64) throws -> GiftCardState {
        guard let row = try db.cachedRow(sql: "SELECT * FROM card WHERE id = ?", arguments: [id]) else {
            throw LedgerError.storageFailure("card \(id) vanished")
        }
        return try Self.state(from: row)
    }

    /// Runs a mutation with idempotency, expiry of holds and error mapping around it.
    func mutate<T: Codable & Sendable>(_ context: OperationContext, _ body: @escaping @Sendable (Database, String) throws -> T) async throws -> T {
        try context.validate()
        let now = Self.timestamp(clock())
        do {
            return try await pool.write { db in
                if let idem = context.idempotency,
                    let row = try db.cachedRow(sql: "SELECT request_hash, response FROM idempotency WHERE scope = ? AND key = ?", arguments: [idem.scope, idem.key])
                {
                    guard idem.matches(stored: row["request_hash"] as String) else { throw LedgerError.idempotencyConflict }
                    return try JSONDecoder().decode(T.self, from: Data((row["response"] as String).utf8))
                }
                try self.releaseExpiredHolds(db, now: now)
                let result = try body(db, now)
                if let idem = context.idempotency {
                    let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
                    try db.cachedExecute(
                        sql: "INSERT INTO idempotency (scope, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)",
                        arguments: [idem.scope, idem.key, idem.requestHash, json, now])
                }
                return result
            }
        } catch let e as LedgerError {
            throw e
        } catch let e as DatabaseError {
            throw Self.map(e)
        } catch {
            throw LedgerError.storageFailure("\(error)")
        }
    }

    /// Constraint violations that slipped past the rules still come out as ledger errors.
    static func map(_ e: DatabaseError) -> LedgerError {
        let message = e.message ?? ""
        switch e.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE where message.contains("reverses_id"): return .alreadyReversed
        case .SQLITE_CONSTRAINT_UNIQUE where message.contains("external_txn_id"): return .duplicateExternalTransactionId
        case .SQLITE_CONSTRAINT_CHECK where message.contains("max_balance"): return .maximumBalanceExceeded
        case .SQLITE_CONSTRAINT_CHECK: return .insufficientFunds
        default: return .storageFailure(describe(e))
        }
    }

    public func execute(_ command: GiftCommand, context: OperationContext) async throws -> GiftResult {
        do {
            return try await mutate(context) { db, now in try self.run(db, command, context, now) }
        } catch LedgerError.transactionNotFound {
            guard case .reverseExternal(let external) = command else { throw LedgerError.transactionNotFound }
            // The original may still arrive: remember that it was reversed, so that it is refused
            // then. If it arrived in the meantime, reverse it now.
            let now = Self.timestamp(clock())
            let recorded = try await pool.write { db in
                try db.cachedExecute(
                    sql: """
                        INSERT OR IGNORE INTO external_tombstone (external_txn_id, created_at)
                        SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM gift_txn WHERE external_txn_id = ?)
                        """,
                    arguments: [external, now, external])
                if db.changesCount == 1 { return true }
                return try db.cachedValue(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM external_tombstone WHERE external_txn_id = ?)", arguments: [external]) ?? false
            }
            if recorded { throw LedgerError.transactionNotFound }
            return try await mutate(context) { db, now in try self.run(db, command, context, now) }
        }
    }

    private func run(_ db: Database, _ command: GiftCommand, _ ctx: OperationContext, _ now: String) throws -> GiftResult {
        let today = String(now.prefix(10))
        func money(_ minor: Int64, _ card: GiftCardState) -> Money { Money(minorUnits: minor, currency: card.balance.currency) }
        func single(_ info: CardInfo, _ rule: (GiftCardState) throws -> CardChange) throws -> GiftResult {
            try refuseTakenExternalId(db, ctx.externalTransactionId)
            let card = try lockCard(db, info).state
            try ctx.requireCurrency(of: card)
            let change = try rule(card)
            let txn = try book(db, change, ctx, now: now, external: ctx.externalTransactionId)
            return GiftResult(transaction: txn, card: try self.card(db, id: card.id))
        }
        switch command {
        case .sell(let info, let amount):
            return try single(info) { try Rules.sell($0, amount: money(amount, $0), today: today) }
        case .reload(let info, let amount):
            return try single(info) { try Rules.reload($0, amount: money(amount, $0), today: today) }
        case .redeem(let info, let amount, let tip):
            return try single(info) { try Rules.redeem($0, amount: money(amount, $0), tip: money(tip, $0), today: today) }
        case .cashOut(let info):
            return try single(info) { try Rules.cashOut($0, today: today) }
        case .exchange(let oldInfo, let newInfo):
            try refuseTakenExternalId(db, ctx.externalTransactionId)
            let old = try lockCard(db, oldInfo).state
            let new = try lockCard(db, newInfo).state
            try ctx.requireCurrency(of: old)
            let (out, into) = try Rules.exchange(from: old, to: new, today: today)
            let outTxn = try book(db, out, ctx, now: now, external: ctx.externalTransactionId)
            let inTxn = try book(db, into, ctx, now: now, external: nil)
            return GiftResult(transaction: inTxn, card: try card(db, id: new.id), counterpart: outTxn)
        case .reverse(let id):
            return try reverse(db, targetId: id, piggy: false, ctx, now: now)
        case .reverseLast(let id):
            return try reverse(db, targetId: id, piggy: true, ctx, now: now)
        case .reverseExternal(let external):
            guard let id = try db.cachedValue(Int64.self, sql: "SELECT id FROM gift_txn WHERE external_txn_id = ?", arguments: [external]) else {
                throw LedgerError.transactionNotFound  // execute(_:context:) records the tombstone
            }
            return try reverse(db, targetId: id, piggy: false, ctx, now: now)
        }
    }

    private func reverse(_ db: Database, targetId: Int64, piggy: Bool, _ ctx: OperationContext, now: String) throws -> GiftResult {
        guard let row = try db.cachedRow(sql: "SELECT card_id, kind, amount, balance_before FROM gift_txn WHERE id = ?", arguments: [targetId]) else {
            throw LedgerError.transactionNotFound
        }
        guard let kind = TransactionKind(rawValue: row["kind"]) else { throw LedgerError.storageFailure("transaction \(targetId) has an unknown kind") }
        let reversed = try db.cachedValue(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM gift_txn WHERE reverses_id = ?)", arguments: [targetId]) ?? false
        let card = try card(db, id: row["card_id"])
        try ctx.requireCurrency(of: card)
        let change = try Rules.reverse(
            card,
            target: ReversalTarget(id: targetId, kind: kind, amount: row["amount"], alreadyReversed: reversed, balanceBefore: row["balance_before"]),
            piggy: piggy, today: String(now.prefix(10)))
        let txn = try book(db, change, ctx, now: now, external: nil, reverses: targetId)
        return GiftResult(transaction: txn, card: try self.card(db, id: card.id))
    }

    private func refuseTakenExternalId(_ db: Database, _ external: String?) throws {
        guard let external else { return }
        if try db.cachedValue(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM gift_txn WHERE external_txn_id = ?)", arguments: [external]) == true {
            throw LedgerError.duplicateExternalTransactionId
        }
        if try db.cachedValue(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM external_tombstone WHERE external_txn_id = ?)", arguments: [external]) == true {
            throw LedgerError.alreadyReversed
        }
    }

    /// Writes a transaction and the card's new state.
    func book(
        _ db: Database, _ change: CardChange, _ ctx: OperationContext, now: String, external: String?,
        reverses: Int64? = nil, holdId: String? = nil, metadata: [String: String]? = nil
    ) throws -> TransactionRecord {
        let c = change.card
        let record = TransactionRecord(
            id: try Self.newTransactionId(db), cardId: c.id, maskedCardNumber: c.maskedNumber, kind: change.kind,
            currency: c.balance.currency, amount: change.amount, tip: change.tip, balanceBefore: change.balanceBefore,
            balanceAfter: change.balanceAfter, authCode: Self.newAuthCode(), externalTransactionId: external,
            reversesId: reverses, holdId: holdId, metadata: metadata, storeCode: ctx.storeCode, terminalId: ctx.terminalId,
            cashier: ctx.cashier, checkNumber: ctx.checkNumber, requestedBy: ctx.requestedBy, createdAt: now)
        let metadataJSON = try metadata.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try db.cachedExecute(
            sql: """
                INSERT INTO gift_txn (id, card_id, seq, kind, amount, tip, balance_before, balance_after, auth_code, external_txn_id,
                    reverses_id, hold_id, metadata, store_code, terminal_id, cashier, check_number, requested_by, created_at)
                VALUES (?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM gift_txn WHERE card_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.id, record.cardId, record.cardId, record.kind.rawValue, record.amount, record.tip, record.balanceBefore, record.balanceAfter,
                record.authCode, external, reverses, holdId, metadataJSON, ctx.storeCode, ctx.terminalId, ctx.cashier,
                ctx.checkNumber, ctx.requestedBy, now,
            ])
        try db.cachedExecute(
            sql: "UPDATE card SET balance = ?, held = ?, status = ?, load_count = ?, last_txn_id = ? WHERE id = ? AND balance = ?",
            arguments: [c.balance.minorUnits, c.held.minorUnits, c.status.rawValue, c.loadCount, record.id, c.id, change.balanceBefore])
        guard db.changesCount == 1 else { throw LedgerError.storageFailure("card \(c.id) changed under the writer") }
        return record
    }

    public func transaction(id: Int64) async throws -> TransactionRecord {
        do {
            return try await pool.read { db in
                guard let row = try db.cachedRow(sql: "SELECT t.*, c.masked_number, c.currency FROM gift_txn t JOIN card c ON c.id = t.card_id WHERE t.id = ?",
                    arguments: [id])
                else { throw LedgerError.transactionNotFound }
                return try Self.transaction(from: row)
            }
        } catch let e as LedgerError {
            throw e
        } catch {
            throw LedgerError.storageFailure(Self.describe(error))
        }
    }

    static func transaction(from row: Row) throws -> TransactionRecord {
        guard let kind = TransactionKind(rawValue: row["kind"]), let currency = Currency(code: row["currency"]) else {
            throw LedgerError.storageFailure("unreadable transaction row")
        }
        let metadata: String? = row["metadata"]
        return TransactionRecord(
            id: row["id"], cardId: row["card_id"], maskedCardNumber: row["masked_number"], kind: kind, currency: currency,
            amount: row["amount"], tip: row["tip"], balanceBefore: row["balance_before"], balanceAfter: row["balance_after"],
            authCode: row["auth_code"], externalTransactionId: row["external_txn_id"], reversesId: row["reverses_id"],
            holdId: row["hold_id"], metadata: try metadata.map { try JSONDecoder().decode([String: String].self, from: Data($0.utf8)) },
            storeCode: row["store_code"], terminalId: row["terminal_id"], cashier: row["cashier"], checkNumber: row["check_number"],
            requestedBy: row["requested_by"], createdAt: row["created_at"])
    }

    // MARK: Holds

    public func reserveHold(_ info: CardInfo, amount: Int64, metadata: [String: String], context: OperationContext) async throws -> HoldRecord {
        let lifetime = holdLifetime
        let clock = clock
        return try await mutate(context) { db, now in
            let card = try self.lockCard(db, info).state
            try context.requireCurrency(of: card)
            let next = try Rules.reserve(card, amount: Money(minorUnits: amount, currency: card.balance.currency), today: String(now.prefix(10)))
            let hold = HoldRecord(
                id: Self.newHoldId(), cardId: card.id, maskedCardNumber: card.maskedNumber, currency: card.balance.currency,
                amount: amount, status: .needsConfirmation, metadata: metadata, createdAt: now,
                expiresAt: Self.timestamp(clock().addingTimeInterval(lifetime)))
            try db.cachedExecute(
                sql: "INSERT INTO hold (id, card_id, amount, status, metadata, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [hold.id, hold.cardId, amount, hold.status.rawValue, String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self), now, hold.expiresAt])
            try db.cachedExecute(sql: "UPDATE card SET held = ? WHERE id = ?", arguments: [next.held.minorUnits, card.id])
            return hold
        }
    }

    public func hold(id: String) async throws -> HoldRecord {
        let now = Self.timestamp(clock())
        do {
            return try await pool.write { db in
                try self.releaseExpiredHolds(db, now: now)
                return try self.loadHold(db, id)
            }
        } catch let e as LedgerError {
            throw e
        } catch {
            throw LedgerError.storageFailure(Self.describe(error))
        }
    }

    /// Confirms a hold: its amount is redeemed, with its metadata on the transaction.
    public func confirmHold(id: String, context: OperationContext) async throws -> GiftResult {
        try await mutate(context) { db, now in
            let hold = try self.loadHold(db, id)
            guard hold.status == .needsConfirmation else { throw LedgerError.holdNotOpen(status: hold.status.rawValue) }
            let card = try self.card(db, id: hold.cardId)
            let change = try Rules.capture(card, held: hold.amount)
            let txn = try self.book(db, change, context, now: now, external: context.externalTransactionId, holdId: id, metadata: hold.metadata)
            try db.cachedExecute(sql: "UPDATE hold SET status = 'CONFIRMED', resolved_at = ?, txn_id = ? WHERE id = ?", arguments: [now, txn.id, id])
            return GiftResult(transaction: txn, card: try self.card(db, id: card.id))
        }
    }

    /// Cancels a hold: its amount is available again.
    public func cancelHold(id: String, context: OperationContext) async throws -> HoldRecord {
        try await mutate(context) { db, now in
            let hold = try self.loadHold(db, id)
            guard hold.status == .needsConfirmation else { throw LedgerError.holdNotOpen(status: hold.status.rawValue) }
            try self.resolve(db, hold, as: .cancelled, now: now)
            return try self.loadHold(db, id)
        }
    }

    /// Releases every unconfirmed hold whose time ran out; returns them.
    @discardableResult
    public func releaseExpiredHolds() async throws -> [HoldRecord] {
        let now = Self.timestamp(clock())
        do {
            return try await pool.write { db in try self.releaseExpiredHolds(db, now: now) }
        } catch {
            throw LedgerError.storageFailure(Self.describe(error))
        }
    }

    /// When the next open hold runs out, if any (for a timer that sleeps until then).
    public func nextHoldExpiry() async throws -> Date? {
        let text = try await pool.read { db in try db.cachedValue(String.self, sql: "SELECT min(expires_at) FROM hold WHERE status = 'NEEDS_CONFIRMATION'") }
        return text.flatMap(Self.date(from:))
    }

    @discardableResult
    func releaseExpiredHolds(_ db: Database, now: String) throws -> [HoldRecord] {
        let ids = try db.cachedValues(String.self, sql: "SELECT id FROM hold WHERE status = 'NEEDS_CONFIRMATION' AND expires_at <= ?", arguments: [now])
        var released: [HoldRecord] = []
        for id in ids {
            let hold = try loadHold(db, id)
            try resolve(db, hold, as: .expired, now: now)
            released.append(try loadHold(db, id))
        }
        return released
    }

    private func resolve(_ db: Database, _ hold: HoldRecord, as status: HoldStatus, now: String) throws {
        let card = try card(db, id: hold.cardId)
        let next = Rules.release(card, held: hold.amount)
        try db.cachedExecute(sql: "UPDATE card SET held = ? WHERE id = ?", arguments: [next.held.minorUnits, card.id])
        try db.cachedExecute(sql: "UPDATE hold SET status = ?, resolved_at = ? WHERE id = ?", arguments: [status.rawValue, now, hold.id])
    }

    func loadHold(_ db: Database, _ id: String) throws -> HoldRecord {
        guard let row = try db.cachedRow(sql: "SELECT h.*, c.masked_number, c.currency FROM hold h JOIN card c ON c.id = h.card_id WHERE h.id = ?", arguments: [id])
        else { throw LedgerError.holdNotFound }
        guard let status = HoldStatus(rawValue: row["status"]), let currency = Currency(code: row["currency"]) else {
            throw LedgerError.storageFailure("unreadable hold \(id)")
        }
        return HoldRecord(
            id: row["id"], cardId: row["card_id"], maskedCardNumber: row["masked_number"], currency: currency, amount: row["amount"],
            status: status, metadata: try JSONDecoder().decode([String: String].self, from: Data((row["metadata"] as String).utf8)),
            createdAt: row["created_at"], expiresAt: row["expires_at"], resolvedAt: row["resolved_at"], transactionId: row["txn_id"])
    }

    // MARK: Ids and time

    /// A random positive id below 2^53 (exact in JSON numbers), unused so far.
    static func newTransactionId(_ db: Database) throws -> Int64 {
        while true {
            let id = LedgerTime.newTransactionId()
            if try db.cachedValue(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM gift_txn WHERE id = ?)", arguments: [id]) == false { return id }
        }
    }

    static func newAuthCode() -> String { LedgerTime.newAuthCode() }
    static func newHoldId() -> String { LedgerTime.newHoldId() }
    static func timestamp(_ date: Date) -> String { LedgerTime.timestamp(date) }
    static func date(from text: String) -> Date? { LedgerTime.date(from: text) }
}

extension SQLiteLedger {
    /// Checks the ledger's invariants; returns what is wrong (empty when all hold):
    /// each card's balance is the sum of its transactions and its held amount the sum of its
    /// open holds, 0 ≤ held ≤ balance, each transaction's balances chain, no transaction is
    /// reversed twice, and each contact's prepaid balance is the sum of its prepaid transactions.
    public func verifyInvariants() async throws -> [String] {
        try await read { db in
            var problems: [String] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT c.id, c.balance, c.held,
                  (SELECT coalesce(sum(amount), 0) FROM gift_txn t WHERE t.card_id = c.id) AS txn_sum,
                  (SELECT coalesce(sum(amount), 0) FROM hold h WHERE h.card_id = c.id AND h.status = 'NEEDS_CONFIRMATION') AS hold_sum
                FROM card c
                """)
            {
                let id: Int64 = row["id"]
                let balance: Int64 = row["balance"]
                let held: Int64 = row["held"]
                if balance != row["txn_sum"] { problems.append("card \(id): balance \(balance) != sum of transactions \(row["txn_sum"] as Int64)") }
                if held != row["hold_sum"] { problems.append("card \(id): held \(held) != sum of open holds \(row["hold_sum"] as Int64)") }
                if held < 0 || held > balance { problems.append("card \(id): held \(held) outside 0…\(balance)") }
            }
            let broken = try db.cachedValue(Int.self, sql: """
                SELECT count(*) FROM (
                  SELECT balance_after, lead(balance_before) OVER (PARTITION BY card_id ORDER BY seq) AS next_before
                  FROM gift_txn) WHERE next_before IS NOT NULL AND next_before != balance_after
                """) ?? 0
            if broken > 0 { problems.append("\(broken) transactions do not chain (balance_before != previous balance_after)") }
            let doubles = try db.cachedValue(Int.self, sql: "SELECT count(*) FROM (SELECT reverses_id FROM gift_txn WHERE reverses_id IS NOT NULL GROUP BY reverses_id HAVING count(*) > 1)") ?? 0
            if doubles > 0 { problems.append("\(doubles) transactions reversed more than once") }
            let prepaid = try db.cachedValue(Int.self, sql: """
                SELECT count(*) FROM contact c
                WHERE c.prepaid_balance != (SELECT coalesce(sum(amount), 0) FROM prepaid_txn t WHERE t.contact_uuid = c.uuid)
                """) ?? 0
            if prepaid > 0 { problems.append("\(prepaid) contacts' prepaid balance differs from their transactions") }
            return problems
        }
    }
}
