/// The ledger's tables on PostgreSQL: the same columns, constraints and append-only rule as on
/// SQLite, applied in numbered migrations under an advisory lock (several tills may start at
/// once).
enum PostgresSchema {
    /// The version that keys the idempotency fingerprints written before they were keyed.
    static let keyedFingerprints = 2

    static let migrations: [(version: Int, statements: [String])] = [
        (1, [
            """
            CREATE TABLE card (
                id BIGSERIAL PRIMARY KEY,
                number_key TEXT NOT NULL UNIQUE,
                masked_number TEXT NOT NULL,
                form TEXT NOT NULL CHECK (form IN ('physical', 'digital')),
                status TEXT NOT NULL CHECK (status IN ('inactive', 'active', 'blocked', 'retired')),
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                balance BIGINT NOT NULL DEFAULT 0 CONSTRAINT card_balance_not_negative CHECK (balance >= 0),
                held BIGINT NOT NULL DEFAULT 0 CONSTRAINT card_held_within_balance CHECK (held >= 0 AND held <= balance),
                max_balance BIGINT CONSTRAINT card_max_balance CHECK (max_balance IS NULL OR balance <= max_balance),
                expires_on TEXT CHECK (expires_on IS NULL OR expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
                reg_code_key TEXT,
                template_code BIGINT NOT NULL DEFAULT 1,
                template_name TEXT NOT NULL DEFAULT 'Gift card',
                tier_code BIGINT NOT NULL DEFAULT 1,
                tier_name TEXT NOT NULL DEFAULT 'Standard',
                load_count BIGINT NOT NULL DEFAULT 0 CHECK (load_count >= 0),
                last_txn_id BIGINT,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE gift_txn (
                id BIGINT PRIMARY KEY CHECK (id > 0),
                card_id BIGINT NOT NULL REFERENCES card(id),
                seq BIGINT NOT NULL CHECK (seq > 0),
                kind TEXT NOT NULL CHECK (kind IN ('issue', 'sell', 'reload', 'redeem', 'cash_out', 'exchange_out', 'exchange_in', 'hold_capture', 'reversal')),
                amount BIGINT NOT NULL,
                tip BIGINT NOT NULL DEFAULT 0 CHECK (tip >= 0),
                balance_before BIGINT NOT NULL CHECK (balance_before >= 0),
                balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
                auth_code TEXT NOT NULL CHECK (length(auth_code) = 6),
                external_txn_id TEXT CHECK (external_txn_id IS NULL OR length(external_txn_id) BETWEEN 1 AND 128),
                reverses_id BIGINT REFERENCES gift_txn(id),
                hold_id TEXT,
                metadata TEXT,
                store_code TEXT, terminal_id TEXT, cashier TEXT, check_number TEXT, requested_by TEXT,
                created_at TEXT NOT NULL,
                CHECK (balance_after = balance_before + amount),
                CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL)),
                UNIQUE (card_id, seq)
            )
            """,
            "CREATE UNIQUE INDEX gift_txn_one_reversal ON gift_txn(reverses_id) WHERE reverses_id IS NOT NULL",
            "CREATE UNIQUE INDEX gift_txn_external ON gift_txn(external_txn_id) WHERE external_txn_id IS NOT NULL",
            """
            CREATE FUNCTION giftbridge_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$
            """,
            "CREATE TRIGGER gift_txn_append_only BEFORE UPDATE OR DELETE ON gift_txn FOR EACH ROW EXECUTE FUNCTION giftbridge_append_only()",
            "CREATE TABLE external_tombstone (external_txn_id TEXT PRIMARY KEY, created_at TEXT NOT NULL)",
            """
            CREATE TABLE hold (
                id TEXT PRIMARY KEY,
                card_id BIGINT NOT NULL REFERENCES card(id),
                amount BIGINT NOT NULL CHECK (amount > 0),
                status TEXT NOT NULL CHECK (status IN ('NEEDS_CONFIRMATION', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
                metadata TEXT NOT NULL DEFAULT '{}',
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                resolved_at TEXT,
                txn_id BIGINT REFERENCES gift_txn(id),
                CHECK ((status = 'CONFIRMED') = (txn_id IS NOT NULL))
            )
            """,
            "CREATE INDEX hold_open ON hold(expires_at) WHERE status = 'NEEDS_CONFIRMATION'",
            """
            CREATE TABLE idempotency (
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                response TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (scope, key)
            )
            """,
            "CREATE TABLE shop (uuid TEXT PRIMARY KEY CHECK (length(uuid) BETWEEN 1 AND 64), name TEXT NOT NULL, reference TEXT)",
            """
            CREATE TABLE contact (
                uuid TEXT PRIMARY KEY CHECK (length(uuid) BETWEEN 1 AND 64),
                email TEXT,
                identifier_value TEXT UNIQUE,
                identifier_name TEXT,
                identifier_active BOOLEAN NOT NULL DEFAULT TRUE,
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                prepaid_balance BIGINT NOT NULL DEFAULT 0 CONSTRAINT contact_prepaid_not_negative CHECK (prepaid_balance >= 0)
            )
            """,
            """
            CREATE TABLE prepaid_txn (
                seq BIGSERIAL PRIMARY KEY,
                uuid TEXT NOT NULL UNIQUE,
                contact_uuid TEXT NOT NULL REFERENCES contact(uuid),
                shop_uuid TEXT NOT NULL REFERENCES shop(uuid),
                amount BIGINT NOT NULL CHECK (amount != 0),
                balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
                reverses_uuid TEXT REFERENCES prepaid_txn(uuid),
                requested_by TEXT,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX prepaid_one_reversal ON prepaid_txn(reverses_uuid) WHERE reverses_uuid IS NOT NULL",
            "CREATE INDEX prepaid_by_contact ON prepaid_txn(contact_uuid, seq)",
            "CREATE INDEX prepaid_by_shop ON prepaid_txn(shop_uuid, seq)",
            "CREATE TRIGGER prepaid_txn_append_only BEFORE UPDATE OR DELETE ON prepaid_txn FOR EACH ROW EXECUTE FUNCTION giftbridge_append_only()",
        ]),
        // Idempotency fingerprints are keyed: the old unkeyed hashes are keyed in place
        // (PostgresLedger.migrate, CardKeyer.legacyFingerprint), so none tests card numbers.
        (keyedFingerprints, []),
    ]
}
