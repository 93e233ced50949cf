import AsyncWake
import ConnectorCore
import Foundation
import GRDB
import Synchronization

/// The outbox on disk: one SQLite file (`<state>/outbox.sqlite`, WAL, synchronous=FULL). An
/// entry is written before its request leaves and changes only through ``Outbox``'s pure
/// transitions. Holds masked card numbers and ids only — never card data or credentials.
public final class OutboxStore: Sendable {
    let queue: DatabaseQueue
    public let path: String
    /// Entries someone is reversing right now (the request path or the worker), so that the
    /// other one leaves them alone.
    private let claimed = Mutex<Set<Int64>>([])
    /// Fired when a request leaves a reversal to ``OutboxWorker``, which otherwise sleeps until
    /// the next one is due.
    public let reversalLeft = WakeSignal()

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    provider TEXT NOT NULL,
                    operation TEXT NOT NULL,
                    external_id TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('undo', 'redo', 'cancel')),
                    reference TEXT,
                    masked_card TEXT,
                    amount INTEGER,
                    state TEXT NOT NULL CHECK (state IN ('sending', 'done', 'reversing', 'reversed', 'stuck')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX outbox_open ON outbox (provider, next_attempt_at) WHERE state IN ('sending', 'reversing');
                CREATE INDEX outbox_external ON outbox (provider, external_id);
                """)
        }
        migrator.registerMigration("v2 provider references") { db in
            // A provider's own id for a transaction giftbridge booked there (Piggy's uuid), so
            // that a later reversal by the id the POS was given can name it.
            try db.execute(sql: """
                CREATE TABLE provider_ref (
                    provider TEXT NOT NULL,
                    local_id INTEGER NOT NULL,
                    remote_id TEXT NOT NULL,
                    external_id TEXT,
                    PRIMARY KEY (provider, local_id)
                ) STRICT;
                CREATE INDEX provider_ref_external ON provider_ref (provider, external_id);
                """)
        }
        try migrator.migrate(queue)
    }

    /// Remembers the provider's id for a transaction it booked.
    public func remember(provider: String, localId: Int64, remoteId: String, externalId: String?) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO provider_ref (provider, local_id, remote_id, external_id) VALUES (?, ?, ?, ?)",
                arguments: [provider, localId, remoteId, externalId])
        }
    }

    /// The provider's id for the transaction giftbridge knows as `localId`.
    public func remoteId(provider: String, localId: Int64) throws -> String? {
        try queue.read { db in
            try String.fetchOne(db, sql: "SELECT remote_id FROM provider_ref WHERE provider = ? AND local_id = ?", arguments: [provider, localId])
        }
    }

    /// The provider's id for the transaction sent with `externalId`.
    public func remoteId(provider: String, externalId: String) throws -> String? {
        try queue.read { db in
            try String.fetchOne(db, sql: "SELECT remote_id FROM provider_ref WHERE provider = ? AND external_id = ?", arguments: [provider, externalId])
        }
    }

    /// Writes a new entry (state `sending`); it is on disk when this returns.
    public func insert(_ e: OutboxEntry) throws -> OutboxEntry {
        var n = e
        n.id = try queue.write { db -> Int64 in
            try db.execute(
                sql: """
                    INSERT INTO outbox (provider, operation, external_id, action, reference, masked_card, amount, state, attempts,
                        next_attempt_at, last_error, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    e.provider, e.operation, e.externalId, e.action.rawValue, e.reference, e.maskedCardNumber, e.amount, e.state.rawValue,
                    e.attempts, e.nextAttemptAt.map(Self.ms), e.lastError, Self.ms(e.createdAt), Self.ms(e.updatedAt),
                ])
            return db.lastInsertedRowID
        }
        return n
    }

    public func update(_ e: OutboxEntry) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, reference = ?, updated_at = ? WHERE id = ?",
                arguments: [e.state.rawValue, e.attempts, e.nextAttemptAt.map(Self.ms), e.lastError, e.reference, Self.ms(e.updatedAt), e.id])
        }
    }

    /// Records what a request learnt on its way (a provider's object id) while it is in flight.
    public func setReference(_ reference: String, id: Int64) throws {
        try queue.write { db in try db.execute(sql: "UPDATE outbox SET reference = ? WHERE id = ?", arguments: [reference, id]) }
    }

    public func entry(id: Int64) throws -> OutboxEntry? {
        try queue.read { db in try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE id = ?", arguments: [id]).map(Self.entry) }
    }

    public func entries(provider: String? = nil, states: [OutboxState]? = nil) throws -> [OutboxEntry] {
        try queue.read { db in
            var sql = "SELECT * FROM outbox WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let provider { sql += " AND provider = ?"; args.append(provider) }
            if let states { sql += " AND state IN (\(states.map { _ in "?" }.joined(separator: ",")))"; args += states.map(\.rawValue) }
            return try Row.fetchAll(db, sql: sql + " ORDER BY id", arguments: StatementArguments(args)).map(Self.entry)
        }
    }

    /// Open entries (`sending`, `reversing`), of them the reversals, and entries that need a person (`stuck`).
    public func depth(provider: String) throws -> (open: Int, reversing: Int, stuck: Int) {
        try queue.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM outbox WHERE provider = ? AND state IN ('sending', 'reversing', 'stuck') GROUP BY state", arguments: [provider]) {
                counts[row["state"]] = row["n"]
            }
            return ((counts["sending"] ?? 0) + (counts["reversing"] ?? 0), counts["reversing"] ?? 0, counts["stuck"] ?? 0)
        }
    }

    /// At start-up: requests that were in flight when the daemon stopped become reversals.
    public func recover(provider: String, now: Date) throws {
        for e in try entries(provider: provider, states: [.sending]) { try update(Outbox.recovered(e, now: now)) }
    }

    /// Reversals due at `now` that nobody is working on; each is claimed for the caller.
    public func claimDue(provider: String, now: Date) throws -> [OutboxEntry] {
        let due = try entries(provider: provider, states: [.reversing]).filter { Outbox.isDue($0, now: now) }
        return due.filter { claim($0.id) }
    }

    public func claim(_ id: Int64) -> Bool { claimed.withLock { $0.insert(id).inserted } }
    public func release(_ id: Int64) { _ = claimed.withLock { $0.remove(id) } }

    /// The earliest time an open reversal that nobody is working on is due.
    public func nextDue(provider: String) throws -> Date? {
        let busy = claimed.withLock { $0 }
        return try entries(provider: provider, states: [.reversing]).filter { !busy.contains($0.id) }.compactMap(\.nextAttemptAt).min()
    }

    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    static func entry(_ row: Row) -> OutboxEntry {
        OutboxEntry(
            id: row["id"], provider: row["provider"], operation: row["operation"], externalId: row["external_id"],
            action: OutboxAction(rawValue: row["action"]) ?? .undo, reference: row["reference"], maskedCardNumber: row["masked_card"],
            amount: row["amount"], state: OutboxState(rawValue: row["state"]) ?? .stuck, attempts: row["attempts"],
            nextAttemptAt: (row["next_attempt_at"] as Int64?).map(date), lastError: row["last_error"],
            createdAt: date(row["created_at"]), updatedAt: date(row["updated_at"]))
    }
}
