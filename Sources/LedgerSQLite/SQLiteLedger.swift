import CSQLite
import CardReading
import Foundation
import GRDB
import Ledger

/// The embedded gift ledger on one SQLite file (WAL, synchronous=FULL), through GRDB.
///
/// Card numbers are never stored: a card is found by the HMAC of its number (``CardKeyer``), and
/// only the masked number is kept for display.
public final class SQLiteLedger: GiftLedger {
    public let path: String
    private let pool: DatabasePool
    private let keyer: CardKeyer

    /// STRICT tables need SQLite 3.37.
    public static let minimumSQLiteVersion: Int32 = 3_037_000

    public init(path: String, keyer: CardKeyer) throws(LedgerError) {
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
            try Self.migrator.migrate(pool)
        } catch {
            throw .storageFailure("cannot open ledger database \(path): \(Self.describe(error))")
        }
        self.path = path
        self.keyer = keyer
    }

    static var migrator: DatabaseMigrator {
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
        return m
    }

    /// A new card for seeding and administration. Returns its id.
    @discardableResult
    public func addCard(
        number: String, form: CardForm = .physical, status: CardStatus = .active, balance: Money,
        maximumBalance: Money? = nil, expiresOn: String? = nil, registrationCode: String? = nil
    ) throws(LedgerError) -> Int64 {
        let key = keyer.key(forCardNumber: number)
        let reg = registrationCode.map { keyer.key(forRegistrationCode: $0, cardKey: key) }
        do {
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
                return db.lastInsertedRowID
            }
        } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw .invalidRequest("a card with this number exists already")
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
        let number = try CardKeyer.cardNumber(in: card)
        let key = keyer.key(forCardNumber: number)
        let row: Row?
        do {
            row = try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM card WHERE number_key = ?", arguments: [key]) }
        } catch {
            throw LedgerError.storageFailure(Self.describe(error))
        }
        guard let row else { throw LedgerError.cardNotFound }
        if let code = card.cardRegCode {
            let stored: String? = row["reg_code_key"]
            guard let stored, stored == keyer.key(forRegistrationCode: code, cardKey: key) else {
                throw LedgerError.registrationCodeMismatch
            }
        }
        return try Self.state(from: row)
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
            tierCode: row["tier_code"], tierName: row["tier_name"])
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return "SQLite error \(e.extendedResultCode.rawValue): \(e.message ?? "")" }
        return "\(error)"
    }
}
