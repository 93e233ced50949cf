import CardReading
import Foundation
import Ledger
import LedgerPostgres
import Logging
import PostgresNIO

/// Durable redeems through the PostgreSQL ledger, next to pgbench running the same statements
/// (prepared, one client) on the same server.
enum PostgresBench {
    static func run(socketDir: String, count: Int, keyer: CardKeyer, number: String) async throws -> (ledger: Double, direct: Double) {
        let database = "gbbench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        let socket = socketDir + "/.s.PGSQL.5432"
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let admin = PostgresClient(configuration: .init(unixSocketPath: socket, username: "postgres", password: nil, database: "postgres"), backgroundLogger: logger)
        let adminTask = Task { await admin.run() }
        try await admin.query("CREATE DATABASE \(unescaped: database)")
        let client = PostgresClient(configuration: .init(unixSocketPath: socket, username: "postgres", password: nil, database: database), backgroundLogger: logger)
        let task = Task { await client.run() }
        defer {
            task.cancel()
            adminTask.cancel()
        }
        let ledger = PostgresLedger(client: client, keyer: keyer, logger: logger)
        try await ledger.migrate()
        let cardId = try await ledger.addCard(
            number: number, form: .physical, status: .active, balance: Money(minorUnits: Int64(count) * 20, currency: .eur),
            maximumBalance: nil, expiresOn: nil, registrationCode: nil)
        let card = CardInfo(printedCardNumber: number)
        // Warm the pool's connection first.
        _ = try await ledger.execute(.redeem(card, amount: 1, tip: 0), context: OperationContext())
        let start = ContinuousClock.now
        for _ in 0..<count {
            _ = try await ledger.execute(.redeem(card, amount: 1, tip: 0), context: OperationContext())
        }
        let elapsed = ContinuousClock.now - start
        let ledgerRate = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)

        // The statements the ledger sends for a redeem, for pgbench.
        let script = """
            \\set id random(1, 9007199254740991)
            BEGIN;
            SELECT * FROM card WHERE number_key = :key FOR UPDATE;
            SELECT id, amount FROM hold WHERE card_id = \(cardId) AND status = 'NEEDS_CONFIRMATION' AND expires_at <= '2026-11-21T10:00:00.000Z';
            INSERT INTO gift_txn (id, card_id, seq, kind, amount, tip, balance_before, balance_after, auth_code, external_txn_id, reverses_id, hold_id, metadata, store_code, terminal_id, cashier, check_number, requested_by, created_at) VALUES (:id, \(cardId), (SELECT coalesce(max(seq), 0) + 1 FROM gift_txn WHERE card_id = \(cardId)), 'redeem', -1, 0, (SELECT balance FROM card WHERE id = \(cardId)), (SELECT balance FROM card WHERE id = \(cardId)) - 1, '123456', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-21T10:00:00.000Z');
            UPDATE card SET balance = balance - 1, held = 0, status = 'active', load_count = 1, last_txn_id = :id WHERE id = \(cardId) RETURNING id;
            COMMIT;
            """
        let scriptPath = NSTemporaryDirectory() + database + ".sql"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let pgbench = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").sorted().last.map { "/usr/lib/postgresql/\($0)/bin/pgbench" } ?? "pgbench"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: pgbench)
        p.arguments = ["-n", "-M", "prepared", "-c", "1", "-t", String(count), "-h", socketDir, "-U", "postgres", "-D", "key=\(keyer.key(forCardNumber: number))", "-f", scriptPath, database]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).split(separator: " ").first ?? "")
        else { throw BenchError("pgbench gave no tps: \(text)") }
        return (ledgerRate, tps)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
