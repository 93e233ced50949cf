import CSQLite
import CardReading
import Foundation
import Ledger
import LedgerSQLite

// Durable redeems per second through the embedded ledger, next to the same SQL statements run
// directly on SQLite through its C API (same schema, WAL, synchronous=FULL), sequentially.
// Usage: giftbridge-bench [redeems] [rounds]

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000
let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 3 : 3
let keyer = CardKeyer(key: Array("benchmark key, sixteen+ bytes".utf8))
let number = "6035710000000000"

func freshDirectory() -> String {
    let dir = NSTemporaryDirectory() + "gb-bench-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func ledgerRun() async throws -> Double {
    let dir = freshDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let ledger = try SQLiteLedger(path: dir + "/ledger.sqlite", keyer: keyer)
    try ledger.addCard(number: number, balance: Money(minorUnits: Int64(count) * 10, currency: .eur))
    let card = CardInfo(printedCardNumber: number)
    let start = ContinuousClock.now
    for _ in 0..<count {
        _ = try await ledger.execute(.redeem(card, amount: 1, tip: 0), context: OperationContext())
    }
    let elapsed = ContinuousClock.now - start
    return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
}

/// The statements the ledger runs for one redeem, prepared once and run in a loop.
func rawRun() throws -> Double {
    let dir = freshDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // The same schema: let the ledger create the file, then close it.
    do {
        let l = try SQLiteLedger(path: dir + "/ledger.sqlite", keyer: keyer)
        try l.addCard(number: number, balance: Money(minorUnits: Int64(count) * 10, currency: .eur))
    }
    var db: OpaquePointer?
    guard sqlite3_open(dir + "/ledger.sqlite", &db) == SQLITE_OK else { fatalError("open") }
    defer { sqlite3_close(db) }
    func exec(_ sql: String) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { fatalError(String(cString: sqlite3_errmsg(db))) }
    }
    exec("PRAGMA journal_mode = WAL")
    exec("PRAGMA synchronous = FULL")
    exec("PRAGMA foreign_keys = ON")
    func prepare(_ sql: String) -> OpaquePointer? {
        var s: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil) == SQLITE_OK else { fatalError(String(cString: sqlite3_errmsg(db))) }
        return s
    }
    let expired = prepare("SELECT id FROM hold WHERE status = 'NEEDS_CONFIRMATION' AND expires_at <= ?")
    let select = prepare("SELECT * FROM card WHERE number_key = ?")
    let exists = prepare("SELECT EXISTS (SELECT 1 FROM gift_txn WHERE id = ?)")
    let insert = prepare("""
        INSERT INTO gift_txn (id, card_id, seq, kind, amount, tip, balance_before, balance_after, auth_code, external_txn_id,
            reverses_id, hold_id, metadata, store_code, terminal_id, cashier, check_number, requested_by, created_at)
        VALUES (?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM gift_txn WHERE card_id = ?), 'redeem', -1, 0, ?, ?, '123456', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?)
        """)
    let update = prepare("UPDATE card SET balance = ?, held = ?, status = ?, load_count = ?, last_txn_id = ? WHERE id = ? AND balance = ?")
    let reread = prepare("SELECT * FROM card WHERE id = ?")
    let key = keyer.key(forCardNumber: number)
    let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    func step(_ s: OpaquePointer?) {
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { fatalError(String(cString: sqlite3_errmsg(db))) }
        }
        sqlite3_reset(s)
    }
    let start = ContinuousClock.now
    for _ in 0..<count {
        let now = "2026-11-21T10:00:00.000Z"
        exec("BEGIN IMMEDIATE")
        sqlite3_bind_text(expired, 1, now, -1, transient); step(expired)
        sqlite3_bind_text(select, 1, key, -1, transient)
        guard sqlite3_step(select) == SQLITE_ROW else { fatalError("card") }
        let cardId = sqlite3_column_int64(select, 0)
        let balance = sqlite3_column_int64(select, 6)
        sqlite3_reset(select)
        let id = Int64.random(in: 1..<(1 << 53))
        sqlite3_bind_int64(exists, 1, id); step(exists)
        sqlite3_bind_int64(insert, 1, id); sqlite3_bind_int64(insert, 2, cardId); sqlite3_bind_int64(insert, 3, cardId)
        sqlite3_bind_int64(insert, 4, balance); sqlite3_bind_int64(insert, 5, balance - 1); sqlite3_bind_text(insert, 6, now, -1, transient)
        step(insert)
        sqlite3_bind_int64(update, 1, balance - 1); sqlite3_bind_int64(update, 2, 0); sqlite3_bind_text(update, 3, "active", -1, transient)
        sqlite3_bind_int64(update, 4, 1); sqlite3_bind_int64(update, 5, id); sqlite3_bind_int64(update, 6, cardId); sqlite3_bind_int64(update, 7, balance)
        step(update)
        sqlite3_bind_int64(reread, 1, cardId); step(reread)
        exec("COMMIT")
    }
    let elapsed = ContinuousClock.now - start
    for s in [expired, select, exists, insert, update, reread] { sqlite3_finalize(s) }
    return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
}

/// The demo balance receipt, encoded many times.
func receiptRun() -> (perSecond: Double, bytes: Int) {
    let receipt = ESCPOSBench.receipt
    let n = 100_000
    var total = 0
    let start = ContinuousClock.now
    for _ in 0..<n { total &+= ESCPOSBench.encode(receipt).count }
    let elapsed = ContinuousClock.now - start
    return (Double(n) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18), total / n)
}

var ledgerRates: [Double] = []
var rawRates: [Double] = []
for _ in 0..<rounds {
    // Alternate, so that both see the same machine state.
    rawRates.append(try rawRun())
    ledgerRates.append(try await ledgerRun())
}
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
let l = median(ledgerRates)
let r = median(rawRates)
let receipt = receiptRun()
var postgres: [(Double, Double)] = []
if let socketDir = ProcessInfo.processInfo.environment["GIFTBRIDGE_BENCH_POSTGRES"] {
    for _ in 0..<rounds { postgres.append(try await PostgresBench.run(socketDir: socketDir, count: count, keyer: keyer, number: number)) }
}
print("| measure | value |")
print("|---|---|")
print("| SQLite version | \(String(cString: sqlite3_libversion())) |")
print("| durable redeems/s, giftbridge ledger (median of \(rounds) × \(count)) | \(Int(l)) |")
print("| durable redeems/s, same SQL on SQLite C API | \(Int(r)) |")
print("| ratio ledger / direct (budget ≥ 0.80) | \(String(format: "%.2f", l / r)) |")
if !postgres.isEmpty {
    let pl = median(postgres.map(\.0))
    let pd = median(postgres.map(\.1))
    print("| durable redeems/s, giftbridge ledger on PostgreSQL (median of \(rounds) × \(count)) | \(Int(pl)) |")
    print("| durable redeems/s, same SQL via pgbench -M prepared | \(Int(pd)) |")
    print("| ratio ledger / direct on PostgreSQL (budget ≥ 0.80) | \(String(format: "%.2f", pl / pd)) |")
}
print("| balance receipts encoded/s (\(receipt.bytes) bytes each) | \(Int(receipt.perSecond)) |")
