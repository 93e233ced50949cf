import Ledger
import PostgresNIO

/// The statements every gift operation runs, as server-side prepared statements (parsed once per
/// connection, as `pgbench -M prepared` does).
enum Prepared {
    struct Begin: PostgresPreparedStatement {
        typealias Row = ()
        static let sql = "BEGIN"
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    struct Commit: PostgresPreparedStatement {
        typealias Row = ()
        static let sql = "COMMIT"
        func makeBindings() -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    /// The card with this number key, locked for the transaction.
    struct LockCardByKey: PostgresPreparedStatement {
        typealias Row = (GiftCardState, String?)
        static let sql = "SELECT * FROM card WHERE number_key = $1 FOR UPDATE"
        var key: String
        func makeBindings() -> PostgresBindings {
            var b = PostgresBindings(capacity: 1)
            b.append(key)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {
            let r = row.makeRandomAccess()
            return (try PostgresLedger.state(r), try r["reg_code_key"].decode(String?.self))
        }
    }

    /// The card's unconfirmed holds whose time is up.
    struct ExpiredHolds: PostgresPreparedStatement {
        typealias Row = (String, Int64)
        static let sql = "SELECT id, amount FROM hold WHERE card_id = $1 AND status = 'NEEDS_CONFIRMATION' AND expires_at <= $2"
        var cardId: Int64
        var now: String
        func makeBindings() -> PostgresBindings {
            var b = PostgresBindings(capacity: 2)
            b.append(cardId)
            b.append(now)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode((String, Int64).self) }
    }

    struct InsertTransaction: PostgresPreparedStatement {
        typealias Row = ()
        static let sql = """
            INSERT INTO gift_txn (id, card_id, seq, kind, amount, tip, balance_before, balance_after, auth_code, external_txn_id,
                reverses_id, hold_id, metadata, store_code, terminal_id, cashier, check_number, requested_by, created_at)
            VALUES ($1, $2, (SELECT coalesce(max(seq), 0) + 1 FROM gift_txn WHERE card_id = $2), $3, $4, $5, $6, $7, $8, $9,
                $10, $11, $12, $13, $14, $15, $16, $17, $18)
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .int8, .int8, .text, .int8, .int8, .int8, .int8, .text, .text, .int8, .text, .text, .text, .text, .text, .text, .text, .text,
        ]
        var record: TransactionRecord
        var metadataJSON: String?
        func makeBindings() -> PostgresBindings {
            var b = PostgresBindings(capacity: 18)
            b.append(record.id)
            b.append(record.cardId)
            b.append(record.kind.rawValue)
            b.append(record.amount)
            b.append(record.tip)
            b.append(record.balanceBefore)
            b.append(record.balanceAfter)
            b.append(record.authCode)
            b.append(record.externalTransactionId)
            b.append(record.reversesId)
            b.append(record.holdId)
            b.append(metadataJSON)
            b.append(record.storeCode)
            b.append(record.terminalId)
            b.append(record.cashier)
            b.append(record.checkNumber)
            b.append(record.requestedBy)
            b.append(record.createdAt)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    /// The card's new state, only if its balance is still the one the rules saw.
    struct UpdateCard: PostgresPreparedStatement {
        typealias Row = Int64
        static let sql = """
            UPDATE card SET balance = $1, held = $2, status = $3, load_count = $4, last_txn_id = $5
            WHERE id = $6 AND balance = $7 RETURNING id
            """
        var card: GiftCardState
        var transactionId: Int64
        var balanceBefore: Int64
        func makeBindings() -> PostgresBindings {
            var b = PostgresBindings(capacity: 7)
            b.append(card.balance.minorUnits)
            b.append(card.held.minorUnits)
            b.append(card.status.rawValue)
            b.append(Int64(card.loadCount))
            b.append(transactionId)
            b.append(card.id)
            b.append(balanceBefore)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }
}
