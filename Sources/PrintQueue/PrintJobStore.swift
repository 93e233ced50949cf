import Foundation
import GRDB

/// One receipt (or any ESC/POS document) on its way to a printer.
public struct PrintJob: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Waiting, or being printed, or held by a printer fault.
        case queued
        /// The printer took it and said it was fine afterwards.
        case done
        case cancelled
    }

    public var id: Int64
    public var printer: String
    /// What made it: `balance`, `transaction`, `raw`, …
    public var kind: String
    public var bytes: [UInt8]
    public var state: State
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var doneAt: Date?
}

/// The durable print queue: one SQLite file (WAL, synchronous=FULL) beside the ledger, so a
/// job survives a crash, a restart or a power cut from the moment ``enqueue`` returns until the
/// printer has it. Done jobs keep their row (for `GET /v1/print/jobs/{id}`) but lose their bytes.
public final class PrintJobStore: Sendable {
    let queue: DatabaseQueue
    public let path: String

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE print_jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    printer TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    data BLOB NOT NULL,
                    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    done_at INTEGER
                );
                CREATE INDEX print_jobs_pending ON print_jobs (printer, id) WHERE state = 'queued';
                """)
        }
        try migrator.migrate(queue)
    }

    /// Queues a job; it is on disk when this returns.
    @discardableResult
    public func enqueue(printer: String, kind: String, bytes: [UInt8]) throws -> PrintJob {
        let now = Date()
        let id = try queue.write { db -> Int64 in
            try db.execute(
                sql: "INSERT INTO print_jobs (printer, kind, data, created_at) VALUES (?, ?, ?, ?)",
                arguments: [printer, kind, Data(bytes), Self.ms(now)])
            return db.lastInsertedRowID
        }
        return PrintJob(id: id, printer: printer, kind: kind, bytes: bytes, state: .queued, attempts: 0, lastError: nil, createdAt: Self.date(Self.ms(now)), doneAt: nil)
    }

    /// The oldest queued job of `printer`.
    public func next(printer: String) throws -> PrintJob? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM print_jobs WHERE printer = ? AND state = 'queued' ORDER BY id LIMIT 1", arguments: [printer]).map(Self.job)
        }
    }

    public func job(id: Int64) throws -> PrintJob? {
        try queue.read { db in try Row.fetchOne(db, sql: "SELECT * FROM print_jobs WHERE id = ?", arguments: [id]).map(Self.job) }
    }

    public func pendingCount(printer: String) throws -> Int {
        try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM print_jobs WHERE printer = ? AND state = 'queued'", arguments: [printer]) ?? 0
        }
    }

    /// Notes a failed or held attempt.
    public func recordAttempt(id: Int64, error: String) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE print_jobs SET attempts = attempts + 1, last_error = ? WHERE id = ? AND state = 'queued'", arguments: [error, id])
        }
    }

    /// The printer has the job and reported itself fine: the bytes are dropped.
    public func markDone(id: Int64) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE print_jobs SET state = 'done', attempts = attempts + 1, last_error = NULL, data = X'', done_at = ? WHERE id = ? AND state = 'queued'",
                arguments: [Self.ms(Date()), id])
        }
    }

    /// Cancels a queued job; false when it was not queued (done, cancelled or unknown).
    public func cancel(id: Int64) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "UPDATE print_jobs SET state = 'cancelled', data = X'', done_at = ? WHERE id = ? AND state = 'queued'", arguments: [Self.ms(Date()), id])
            return db.changesCount > 0
        }
    }

    /// Deletes finished jobs older than `age` (queued jobs are never deleted).
    public func prune(olderThan age: TimeInterval) throws -> Int {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM print_jobs WHERE state != 'queued' AND done_at < ?", arguments: [Self.ms(Date().addingTimeInterval(-age))])
            return db.changesCount
        }
    }

    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(ms) / 1000) }

    static func job(_ row: Row) -> PrintJob {
        let data: Data = row["data"]
        return PrintJob(
            id: row["id"], printer: row["printer"], kind: row["kind"], bytes: Array(data),
            state: PrintJob.State(rawValue: row["state"]) ?? .queued, attempts: row["attempts"], lastError: row["last_error"],
            createdAt: date(row["created_at"]), doneAt: (row["done_at"] as Int64?).map(date))
    }
}
