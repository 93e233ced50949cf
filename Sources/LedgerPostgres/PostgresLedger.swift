import CardReading
import Foundation
import Ledger
import Logging
import PostgresNIO

/// The embedded ledger on PostgreSQL, for chains whose tills share one ledger. The same
/// ``Rules`` as on SQLite; every mutation is one transaction at READ COMMITTED with the card (or
/// contact) row locked `FOR UPDATE`, so concurrent tills never overdraw a card. A transaction
/// that dies in a deadlock or a serialization failure is retried (up to three times).
///
/// The `PostgresClient` must be running (`client.run()`, a ServiceLifecycle service).
public final class PostgresLedger: LedgerStore, Sendable {
    public var backendName: String { "postgresql" }
    let client: PostgresClient
    let keyer: CardKeyer
    let clock: @Sendable () -> Date
    public let holdLifetime: TimeInterval
    let logger: Logger

    public init(
        client: PostgresClient, keyer: CardKeyer, holdLifetime: TimeInterval = 30 * 60, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.keyer = keyer
        self.holdLifetime = holdLifetime
        self.logger = logger
        self.clock = clock
    }

    // MARK: Plumbing

    /// Runs `body` in one database transaction; maps PostgreSQL errors to ledger errors.
    func transaction<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { conn in
                    _ = try await conn.execute(Prepared.Begin(), logger: logger)
                    do {
                        let result = try await body(conn)
                        _ = try await conn.execute(Prepared.Commit(), logger: logger)
                        return result
                    } catch {
                        _ = try? await conn.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch let e as LedgerError {
                throw e
            } catch let e as PSQLError {
                let state = e.serverInfo?[.sqlState]
                if (state == "40001" || state == "40P01") && attempt < 3 { continue }
                throw Self.map(e)
            } catch {
                throw LedgerError.storageFailure("\(error)")
            }
        }
    }

    static func map(_ e: PSQLError) -> LedgerError {
        let state = e.serverInfo?[.sqlState] ?? ""
        let constraint = e.serverInfo?[.constraintName] ?? ""
        switch state {
        case "23505" where constraint == "gift_txn_one_reversal" || constraint == "prepaid_one_reversal": return .alreadyReversed
        case "23505" where constraint == "gift_txn_external": return .duplicateExternalTransactionId
        case "23505": return .alreadyExists(constraint.hasPrefix("contact") ? "a contact with this uuid or identifier" : constraint.hasPrefix("shop") ? "a shop with this uuid" : "it")
        case "23514" where constraint == "card_max_balance": return .maximumBalanceExceeded
        case "23514" where constraint.hasPrefix("card_") || constraint.hasPrefix("contact_"): return .insufficientFunds
        case "23514", "23502", "23503": return .invalidRequest("refused by the ledger's constraints (\(constraint))")
        default: return .storageFailure("PostgreSQL \(state): \(e.serverInfo?[.message] ?? "\(e.code)")")
        }
    }

    func one(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        for try await row in try await conn.query(query, logger: logger) { return row.makeRandomAccess() }
        return nil
    }

    func all(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await conn.query(query, logger: logger) { rows.append(row.makeRandomAccess()) }
        return rows
    }

    func exec(_ conn: PostgresConnection, _ query: PostgresQuery) async throws {
        try await conn.query(query, logger: logger)
    }

    /// Creates or upgrades the schema.
    public func migrate() async throws {
        try await transaction { conn in
            try await self.exec(conn, "SELECT pg_advisory_xact_lock(727165)")
            try await self.exec(conn, "CREATE TABLE IF NOT EXISTS giftbridge_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            let current = try await self.one(conn, "SELECT coalesce(max(version), 0) AS v FROM giftbridge_schema")?["v"].decode(Int.self) ?? 0
            for migration in PostgresSchema.migrations where migration.version > current {
                for statement in migration.statements { try await self.exec(conn, PostgresQuery(unsafeSQL: statement)) }
                if migration.version == PostgresSchema.keyedFingerprints {
                    for row in try await self.all(conn, "SELECT scope, key, request_hash FROM idempotency WHERE request_hash NOT LIKE 'v_:%'") {
                        let keyed = self.keyer.legacyFingerprint(unkeyedHash: try row["request_hash"].decode(String.self))
                        let scope = try row["scope"].decode(String.self), key = try row["key"].decode(String.self)
                        try await self.exec(conn, "UPDATE idempotency SET request_hash = \(keyed) WHERE scope = \(scope) AND key = \(key)")
                    }
                }
                let now = LedgerTime.timestamp(self.clock())
                try await self.exec(conn, "INSERT INTO giftbridge_schema (version, applied_at) VALUES (\(migration.version), \(now))")
            }
        }
    }

    // MARK: Cards

    static func state(_ r: PostgresRandomAccessRow) throws -> GiftCardState {
        guard let currency = Currency(code: try r["currency"].decode(String.self)),
            let status = CardStatus(rawValue: try r["status"].decode(String.self)),
            let form = CardForm(rawValue: try r["form"].decode(String.self))
        else { throw LedgerError.storageFailure("unreadable card row") }
        let max = try r["max_balance"].decode(Int64?.self)
        return GiftCardState(
            id: try r["id"].decode(Int64.self), maskedNumber: try r["masked_number"].decode(String.self), status: status, form: form,
            balance: Money(minorUnits: try r["balance"].decode(Int64.self), currency: currency),
            held: Money(minorUnits: try r["held"].decode(Int64.self), currency: currency),
            maximumBalance: max.map { Money(minorUnits: $0, currency: currency) }, expiresOn: try r["expires_on"].decode(String?.self),
            templateCode: try r["template_code"].decode(Int.self), templateName: try r["template_name"].decode(String.self),
            tierCode: try r["tier_code"].decode(Int.self), tierName: try r["tier_name"].decode(String.self),
            loadCount: try r["load_count"].decode(Int.self), lastTransactionId: try r["last_txn_id"].decode(Int64?.self))
    }

    /// The card a `CardInfo` names, locked for this transaction, its expired holds released.
    func lockCard(_ conn: PostgresConnection, _ card: CardInfo, now: String) async throws -> GiftCardState {
        let number = try CardKeyer.cardNumber(in: card)
        let key = keyer.key(forCardNumber: number)
        var found: (GiftCardState, String?)?
        for try await row in try await conn.execute(Prepared.LockCardByKey(key: key), logger: logger) { found = row }
        guard let (state, stored) = found else { throw LedgerError.cardNotFound }
        if let code = card.cardRegCode {
            guard let stored, stored == keyer.key(forRegistrationCode: code, cardKey: key) else { throw LedgerError.registrationCodeMismatch }
        }
        return try await releaseExpiredHolds(conn, card: state, now: now)
    }

    func lockCard(_ conn: PostgresConnection, id: Int64, now: String) async throws -> GiftCardState {
        guard let row = try await one(conn, "SELECT * FROM card WHERE id = \(id) FOR UPDATE") else {
            throw LedgerError.storageFailure("card \(id) vanished")
        }
        return try await releaseExpiredHolds(conn, card: try Self.state(row), now: now)
    }

    /// Releases the locked card's holds that ran out; returns the card after that.
    func releaseExpiredHolds(_ conn: PostgresConnection, card: GiftCardState, now: String) async throws -> GiftCardState {
        var expired: [(String, Int64)] = []
        for try await h in try await conn.execute(Prepared.ExpiredHolds(cardId: card.id, now: now), logger: logger) { expired.append(h) }
        guard !expired.isEmpty else { return card }
        var next = card
        for (id, amount) in expired {
            next = Rules.release(next, held: amount)
            try await exec(conn, "UPDATE hold SET status = 'EXPIRED', resolved_at = \(now) WHERE id = \(id)")
        }
        try await exec(conn, "UPDATE card SET held = \(next.held.minorUnits) WHERE id = \(card.id)")
        return next
    }

    public func addCard(
        number: String, form: CardForm, status: CardStatus, balance: Money, maximumBalance: Money?, expiresOn: String?,
        registrationCode: String?
    ) async throws -> Int64 {
        try Rules.newCard(number: number, form: form, status: status, balance: balance, expiresOn: expiresOn)
        let key = keyer.key(forCardNumber: number)
        let reg = registrationCode.map { keyer.key(forRegistrationCode: $0, cardKey: key) }
        let now = LedgerTime.timestamp(clock())
        return try await transaction { conn in
            if try await self.one(conn, "SELECT 1 AS x FROM card WHERE number_key = \(key)") != nil {
                throw LedgerError.alreadyExists("a card with this number")
            }
            let masked = PAN.mask(number)
            let loads: Int64 = balance.minorUnits > 0 ? 1 : 0
            guard let row = try await self.one(conn, """
                INSERT INTO card (number_key, masked_number, form, status, currency, balance, max_balance, expires_on, reg_code_key, load_count, created_at)
                VALUES (\(key), \(masked), \(form.rawValue), \(status.rawValue), \(balance.currency.code), \(balance.minorUnits),
                        \(maximumBalance?.minorUnits), \(expiresOn), \(reg), \(loads), \(now))
                RETURNING id
                """)
            else { throw LedgerError.storageFailure("card insert returned nothing") }
            let id = try row["id"].decode(Int64.self)
            if balance.minorUnits > 0 {
                let txn = LedgerTime.newTransactionId()
                try await self.exec(conn, """
                    INSERT INTO gift_txn (id, card_id, seq, kind, amount, balance_before, balance_after, auth_code, created_at)
                    VALUES (\(txn), \(id), 1, 'issue', \(balance.minorUnits), 0, \(balance.minorUnits), \(LedgerTime.newAuthCode()), \(now))
                    """)
                try await self.exec(conn, "UPDATE card SET last_txn_id = \(txn) WHERE id = \(id)")
            }
            return id
        }
    }

    public func cardCount() async throws -> Int {
        try await transaction { conn in try await self.one(conn, "SELECT count(*) AS n FROM card")?["n"].decode(Int.self) ?? 0 }
    }

    public func balance(of card: CardInfo, context: RequestContext) async throws -> GiftCardState {
        let now = LedgerTime.timestamp(clock())
        return try await transaction { conn in try await self.lockCard(conn, card, now: now) }
    }
}
