import CSQLite
import CardReading
import Foundation
import GRDB
import Ledger

/// The embedded gift ledger on one SQLite file (WAL, synchronous=FULL), through GRDB.
///
/// Card numbers are never stored: a card is found by the HMAC of its number (``CardKeyer``), and
/// only the masked number is kept for display.
public final class SQLiteLedger: LedgerStore {
    public var backendName: String { "sqlite" }
    public let path: String
    let pool: DatabasePool
    let keyer: CardKeyer
    /// The time; replaceable so tests can move it (hold expiry).
    let clock: @Sendable () -> Date
    /// How long an unconfirmed hold lives.
    public let holdLifetime: TimeInterval

    /// STRICT tables need SQLite 3.37.
    public static let minimumSQLiteVersion: Int32 = 3_037_000

    public init(
        path: String, keyer: CardKeyer, holdLifetime: TimeInterval = 30 * 60,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(LedgerError) {
        guard sqlite3_libversion_number() >= Self.minimumSQLiteVersion else {
            throw .storageFailure("SQLite \(String(cString: sqlite3_libversion())) is too old; 3.37 or newer is needed")
        }
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator(keyer).migrate(pool)
        } catch {
            throw .storageFailure("cannot open ledger database \(path): \(Self.describe(error))")
        }
        self.path = path
        self.keyer = keyer
        self.holdLifetime = holdLifetime
        self.clock = clock
    }

    static func migrator(_ keyer: CardKeyer) -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-cards") { db in
            try db.execute(sql: """
                CREATE TABLE card (
                    id INTEGER PRIMARY KEY,
                    number_key TEXT NOT NULL UNIQUE,
                    masked_number TEXT NOT NULL,
                    form TEXT NOT NULL CHECK (form IN ('physical', 'digital')),
                    status TEXT NOT NULL CHECK (status IN ('inactive', 'active', 'blocked', 'retired')),
                    currency TEXT NOT NULL CHECK (length(currency) = 3),
                    balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
                    held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0 AND held <= balance),
                    max_balance INTEGER CHECK (max_balance IS NULL OR balance <= max_balance),
                    expires_on TEXT CHECK (expires_on IS NULL OR expires_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                    reg_code_key TEXT,
                    template_code INTEGER NOT NULL DEFAULT 1,
                    template_name TEXT NOT NULL DEFAULT 'Gift card',
                    tier_code INTEGER NOT NULL DEFAULT 1,
                    tier_name TEXT NOT NULL DEFAULT 'Standard',
                    load_count INTEGER NOT NULL DEFAULT 0 CHECK (load_count >= 0),
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                ) STRICT
                """)
        }
        m.registerMigration("v2-transactions-holds-idempotency") { db in
            try db.execute(sql: "ALTER TABLE card ADD COLUMN last_txn_id INTEGER")
            try db.execute(sql: """
                CREATE TABLE gift_txn (
                    id INTEGER PRIMARY KEY CHECK (id > 0),
                    card_id INTEGER NOT NULL REFERENCES card(id),
                    seq INTEGER NOT NULL CHECK (seq > 0),
                    kind TEXT NOT NULL CHECK (kind IN ('issue', 'sell', 'reload', 'redeem', 'cash_out', 'exchange_out', 'exchange_in', 'hold_capture', 'reversal')),
                    amount INTEGER NOT NULL,
                    tip INTEGER NOT NULL DEFAULT 0 CHECK (tip >= 0),
                    balance_before INTEGER NOT NULL CHECK (balance_before >= 0),
                    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
                    auth_code TEXT NOT NULL CHECK (length(auth_code) = 6),
                    external_txn_id TEXT CHECK (external_txn_id IS NULL OR length(external_txn_id) BETWEEN 1 AND 128),
                    reverses_id INTEGER REFERENCES gift_txn(id),
                    hold_id TEXT,
                    metadata TEXT,
                    store_code TEXT, terminal_id TEXT, cashier TEXT, check_number TEXT, requested_by TEXT,
                    created_at TEXT NOT NULL,
                    CHECK (balance_after = balance_before + amount),
                    CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL)),
                    UNIQUE (card_id, seq)
                ) STRICT
                """)
            try db.execute(sql: "CREATE UNIQUE INDEX gift_txn_one_reversal ON gift_txn(reverses_id) WHERE reverses_id IS NOT NULL")
            try db.execute(sql: "CREATE UNIQUE INDEX gift_txn_external ON gift_txn(external_txn_id) WHERE external_txn_id IS NOT NULL")
            try db.execute(sql: "CREATE TRIGGER gift_txn_no_update BEFORE UPDATE ON gift_txn BEGIN SELECT RAISE(ABORT, 'gift_txn is append-only'); END")
            try db.execute(sql: "CREATE TRIGGER gift_txn_no_delete BEFORE DELETE ON gift_txn BEGIN SELECT RAISE(ABORT, 'gift_txn is append-only'); END")
            try db.execute(sql: """
                CREATE TABLE external_tombstone (
                    external_txn_id TEXT PRIMARY KEY,
                    created_at TEXT NOT NULL
                ) STRICT
                """)
            try db.execute(sql: """
                CREATE TABLE hold (
                    id TEXT PRIMARY KEY,
                    card_id INTEGER NOT NULL REFERENCES card(id),
                    amount INTEGER NOT NULL CHECK (amount > 0),
                    status TEXT NOT NULL CHECK (status IN ('NEEDS_CONFIRMATION', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
                    metadata TEXT NOT NULL DEFAULT '{}',
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    resolved_at TEXT,
                    txn_id INTEGER REFERENCES gift_txn(id),
                    CHECK ((status = 'CONFIRMED') = (txn_id IS NOT NULL))
                ) STRICT
                """)
            try db.execute(sql: "CREATE INDEX hold_open ON hold(expires_at) WHERE status = 'NEEDS_CONFIRMATION'")
            try db.execute(sql: """
                CREATE TABLE idempotency (
                    scope TEXT NOT NULL,
                    key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    response TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (scope, key)
                ) STRICT
                """)
            // Cards issued before transactions existed get their issue transaction, so that every
            // balance is the sum of its card's transactions.
            let now = SQLiteLedger.timestamp(Date())
            for row in try Row.fetchAll(db, sql: "SELECT id, balance FROM card WHERE balance > 0") {
                let id = try SQLiteLedger.newTransactionId(db)
                try db.execute(
                    sql: "INSERT INTO gift_txn (id, card_id, seq, kind, amount, balance_before, balance_after, auth_code, created_at) VALUES (?, ?, 1, 'issue', ?, 0, ?, ?, ?)",
                    arguments: [id, row["id"], row["balance"], row["balance"], SQLiteLedger.newAuthCode(), now])
                try db.execute(sql: "UPDATE card SET last_txn_id = ? WHERE id = ?", arguments: [id, row["id"]])
            }
        }
        m.registerMigration("v3-prepaid") { db in
            try db.execute(sql: """
                CREATE TABLE shop (
                    uuid TEXT PRIMARY KEY CHECK (length(uuid) BETWEEN 1 AND 64),
                    name TEXT NOT NULL,
                    reference TEXT
                ) STRICT
                """)
            try db.execute(sql: """
                CREATE TABLE contact (
                    uuid TEXT PRIMARY KEY CHECK (length(uuid) BETWEEN 1 AND 64),
                    email TEXT,
                    identifier_value TEXT UNIQUE,
                    identifier_name TEXT,
                    identifier_active INTEGER NOT NULL DEFAULT 1 CHECK (identifier_active IN (0, 1)),
                    currency TEXT NOT NULL CHECK (length(currency) = 3),
                    prepaid_balance INTEGER NOT NULL DEFAULT 0 CHECK (prepaid_balance >= 0)
                ) STRICT
                """)
            try db.execute(sql: """
                CREATE TABLE prepaid_txn (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    uuid TEXT NOT NULL UNIQUE,
                    contact_uuid TEXT NOT NULL REFERENCES contact(uuid),
                    shop_uuid TEXT NOT NULL REFERENCES shop(uuid),
                    amount INTEGER NOT NULL CHECK (amount != 0),
                    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
                    reverses_uuid TEXT REFERENCES prepaid_txn(uuid),
                    requested_by TEXT,
                    created_at TEXT NOT NULL
                ) STRICT
                """)
            try db.execute(sql: "CREATE UNIQUE INDEX prepaid_one_reversal ON prepaid_txn(reverses_uuid) WHERE reverses_uuid IS NOT NULL")
            try db.execute(sql: "CREATE INDEX prepaid_by_contact ON prepaid_txn(contact_uuid, seq)")
            try db.execute(sql: "CREATE INDEX prepaid_by_shop ON prepaid_txn(shop_uuid, seq)")
            try db.execute(sql: "CREATE TRIGGER prepaid_txn_no_update BEFORE UPDATE ON prepaid_txn BEGIN SELECT RAISE(ABORT, 'prepaid_txn is append-only'); END")
            try db.execute(sql: "CREATE TRIGGER prepaid_txn_no_delete BEFORE DELETE ON prepaid_txn BEGIN SELECT RAISE(ABORT, 'prepaid_txn is append-only'); END")
        }
        m.registerMigration("v4-keyed-fingerprints") { db in
            // Idempotency fingerprints are keyed: the old unkeyed hashes are keyed in place, so
            // none tests card numbers (CardKeyer.legacyFingerprint).
            for row in try Row.fetchAll(db, sql: "SELECT scope, key, request_hash FROM idempotency WHERE request_hash NOT LIKE 'v_:%'") {
                try db.execute(
                    sql: "UPDATE idempotency SET request_hash = ? WHERE scope = ? AND key = ?",
                    arguments: [keyer.legacyFingerprint(unkeyedHash: row["request_hash"]), row["scope"], row["key"]])
            }
        }
        return m
    }

    /// A new card for seeding and administration. Returns its id.
    @discardableResult
    public func addCard(
        number: String, form: CardForm = .physical, status: CardStatus = .active, balance: Money,
        maximumBalance: Money? = nil, expiresOn: String? = nil, registrationCode: String? = nil
    ) throws(LedgerError) -> Int64 {
        try Rules.newCard(number: number, form: form, status: status, balance: balance, expiresOn: expiresOn)
        let key = keyer.key(forCardNumber: number)
        let reg = registrationCode.map { keyer.key(forRegistrationCode: $0, cardKey: key) }
        do {
            let now = Self.timestamp(clock())
            return try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO card (number_key, masked_number, form, status, currency, balance, max_balance, expires_on, reg_code_key, load_count)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        key, PAN.mask(number), form.rawValue, status.rawValue, balance.currency.code, balance.minorUnits,
                        maximumBalance?.minorUnits, expiresOn, reg, balance.minorUnits > 0 ? 1 : 0,
                    ])
                let cardId = db.lastInsertedRowID
                if balance.minorUnits > 0 {
                    let id = try Self.newTransactionId(db)
                    try db.execute(
                        sql: "INSERT INTO gift_txn (id, card_id, seq, kind, amount, balance_before, balance_after, auth_code, created_at) VALUES (?, ?, 1, 'issue', ?, 0, ?, ?, ?)",
                        arguments: [id, cardId, balance.minorUnits, balance.minorUnits, Self.newAuthCode(), now])
                    try db.execute(sql: "UPDATE card SET last_txn_id = ? WHERE id = ?", arguments: [id, cardId])
                }
                return cardId
            }
        } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw .alreadyExists("a card with this number")
        } catch {
            throw .storageFailure(Self.describe(error))
        }
    }

    /// Number of cards, for health and the demo.
    public func cardCount() async throws(LedgerError) -> Int {
        do { return try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM card") ?? 0 } } catch {
            throw .storageFailure(Self.describe(error))
        }
    }

    public func balance(of card: CardInfo, context: RequestContext) async throws -> GiftCardState {
        let now = Self.timestamp(clock())
        do {
            // A write transaction, because holds that ran out are released on the way.
            return try await pool.write { db in
                try self.releaseExpiredHolds(db, now: now)
                return try self.lockCard(db, card).state
            }
        } catch let e as LedgerError {
            throw e
        } catch {
            throw LedgerError.storageFailure(Self.describe(error))
        }
    }

    static func state(from row: Row) throws(LedgerError) -> GiftCardState {
        let code: String = row["currency"]
        guard let currency = Currency(code: code),
            let status = CardStatus(rawValue: row["status"]), let form = CardForm(rawValue: row["form"])
        else { throw .storageFailure("card \(row["id"] as Int64) has an unreadable row") }
        let maxBalance: Int64? = row["max_balance"]
        return GiftCardState(
            id: row["id"], maskedNumber: row["masked_number"], status: status, form: form,
            balance: Money(minorUnits: row["balance"], currency: currency),
            held: Money(minorUnits: row["held"], currency: currency),
            maximumBalance: maxBalance.map { Money(minorUnits: $0, currency: currency) },
            expiresOn: row["expires_on"], templateCode: row["template_code"], templateName: row["template_name"],
            tierCode: row["tier_code"], tierName: row["tier_name"], loadCount: row["load_count"],
            lastTransactionId: row["last_txn_id"])
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return "SQLite error \(e.extendedResultCode.rawValue): \(e.message ?? "")" }
        return "\(error)"
    }
}
