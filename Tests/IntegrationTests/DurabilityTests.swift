#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GiftbridgeClient
import Ledger
import LedgerSQLite
import Synchronization
import Testing
import TestSupport

/// What the ledger promises when things go wrong: a killed daemon, several daemons on one file.
@Suite(.serialized) struct DurabilityTests {
    static func openLedger(_ state: String) throws -> SQLiteLedger {
        let key = try #require(FileManager.default.contents(atPath: state + "/card-key"))
        return try SQLiteLedger(path: state + "/ledger.sqlite", keyer: CardKeyer(key: Array(key)))
    }

    @Test func killMinus9DuringRedeemsLosesNoAcknowledgedTransaction() async throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("s")
        var daemon: DaemonProcess? = try DaemonProcess(arguments: ["--demo", "--state-dir", state], dir: dir)
        try daemon!.waitUntilReady()
        let socket = state + "/api.sock"
        // 1 cent at a time from the 40.00 card, from four connections at once. The workers'
        // shared state lives in a class they hold, and the test waits for every worker to end
        // before it goes on: no worker outlives what it uses.
        final class Shared: Sendable {
            let acknowledged = Mutex<[Int64]>([])
            let stop = Atomic<Bool>(false)
        }
        let shared = Shared()
        let workers = DispatchGroup()
        for w in 0..<4 {
            workers.enter()
            Thread {
                defer { workers.leave() }
                let client = UnixHTTPClient(socketPath: socket, timeoutMs: 5000)
                var n = 0
                while !shared.stop.load(ordering: .acquiring) {
                    n += 1
                    let body = #"{"cardInfo":{"printedCardNumber":"6006491000000000018"},"amount":1,"externalTransactionId":"w\#(w)-\#(n)"}"#
                    guard let r = try? client.post("/v1/gift/redeem", json: Array(body.utf8)), r.status == 200,
                        let id = json(r.text)["transactionId"] as? Int
                    else { continue }
                    shared.acknowledged.withLock { $0.append(Int64(id)) }
                }
            }.start()
        }
        while shared.acknowledged.withLock({ $0.count }) < 150 { usleep(5_000) }
        kill(daemon!.process.processIdentifier, SIGKILL)
        daemon!.process.waitUntilExit()
        shared.stop.store(true, ordering: .releasing)
        #expect(workers.wait(timeout: .now() + 30) == .success)
        daemon = nil
        let acked = shared.acknowledged.withLock { $0 }
        #expect(Set(acked).count == acked.count)

        // After the restart every acknowledged redeem is there, once; at most the four that were
        // in flight when the daemon died may have been booked without an answer.
        let restarted = try DaemonProcess(arguments: ["--demo", "--state-dir", state], dir: dir)
        try restarted.waitUntilReady()
        let client = UnixHTTPClient(socketPath: socket)
        for id in acked {
            #expect(try client.get("/v1/transactions/\(id)").status == 200)
        }
        let balance = json(try client.post("/v1/gift/balance", json: Array(#"{"cardInfo":{"printedCardNumber":"6006491000000000018"}}"#.utf8)).text)
        let booked = 4000 - (balance["currentBalanceMinor"] as? Int ?? -1)
        #expect(booked >= acked.count && booked <= acked.count + 4, "booked \(booked), acknowledged \(acked.count)")
        #expect(try restarted.terminate().status == 0)
        #expect(try await Self.openLedger(state).verifyInvariants() == [])
    }

    @Test func twoDaemonsOnOneLedgerNeverOverdraw() async throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("s")
        // The first daemon seeds the demo ledger; the second shares the file and the key.
        let first = try DaemonProcess(arguments: ["--demo", "--state-dir", state], dir: dir)
        try first.waitUntilReady()
        let dir2 = try TemporaryDirectory()
        let second = try DaemonProcess(arguments: ["--demo", "--state-dir", state, "--socket", dir2.file("api.sock")], dir: dir2)
        try second.waitUntilReady()
        let sockets = [state + "/api.sock", dir2.file("api.sock")]
        // The 40.00 card takes 200 redeems of 0.40 from both daemons at once: exactly 100 succeed.
        let counts = redeemConcurrently(sockets: sockets)
        #expect(counts[200] == 100, "\(counts)")
        #expect(counts[422] == 100, "\(counts)")
        let balance = json(try UnixHTTPClient(socketPath: sockets[1]).post("/v1/gift/balance", json: Array(#"{"cardInfo":{"printedCardNumber":"6006491000000000018"}}"#.utf8)).text)
        #expect(balance["currentBalanceMinor"] as? Int == 0)
        #expect(try second.terminate().status == 0)
        #expect(try first.terminate().status == 0)
        #expect(try await Self.openLedger(state).verifyInvariants() == [])
    }
}

/// Tills sharing one PostgreSQL ledger (`scripts/test` starts a server; skipped without one).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["GIFTBRIDGE_TEST_POSTGRES"] != nil))
struct SharedPostgresLedgerTests {
    @Test func twoTillsOnOnePostgresLedgerNeverOverdraw() throws {
        let socketDir = try #require(ProcessInfo.processInfo.environment["GIFTBRIDGE_TEST_POSTGRES"])
        let database = "gbi_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = ["-h", socketDir, "-U", "postgres", "-q", "-c", "CREATE DATABASE \(database)"]
        try psql.run()
        psql.waitUntilExit()
        #expect(psql.terminationStatus == 0)

        let shared = try TemporaryDirectory()
        let config = """
            ledger:
              backend: postgresql
              key-file: \(shared.file("card-key"))
              postgresql:
                socket: \(socketDir)
                user: postgres
                database: \(database)
            """
        var tills: [DaemonProcess] = []
        var sockets: [String] = []
        for _ in 0..<2 {
            let dir = try TemporaryDirectory()
            try config.write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
            let d = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
            try d.waitUntilReady()
            tills.append(d)
            sockets.append(dir.file("s/api.sock"))
        }
        let health = json(try UnixHTTPClient(socketPath: sockets[1]).get("/v1/health").text)
        #expect((health["ledger"] as? [String: Any])?["backend"] as? String == "postgresql")
        #expect((health["ledger"] as? [String: Any])?["cards"] as? Int == 5)

        let counts = redeemConcurrently(sockets: sockets)
        #expect(counts[200] == 100, "\(counts)")
        #expect(counts[422] == 100, "\(counts)")
        let balance = json(try UnixHTTPClient(socketPath: sockets[0]).post("/v1/gift/balance", json: Array(#"{"cardInfo":{"printedCardNumber":"6006491000000000018"}}"#.utf8)).text)
        #expect(balance["currentBalanceMinor"] as? Int == 0)
        for d in tills { #expect(try d.terminate().status == 0) }
    }
}

/// 200 redeems of 0.40 on the demo 40.00 card, spread over the daemons' sockets, all at once;
/// returns how many answers had each HTTP status.
func redeemConcurrently(sockets: [String]) -> [Int: Int] {
    let outcomes = Mutex<[Int: Int]>([:])
    DispatchQueue.concurrentPerform(iterations: 200) { i in
        let client = UnixHTTPClient(socketPath: sockets[i % sockets.count], timeoutMs: 30_000)
        let body = #"{"cardInfo":{"printedCardNumber":"6006491000000000018"},"amount":40}"#
        let status = (try? client.post("/v1/gift/redeem", json: Array(body.utf8)).status) ?? -1
        outcomes.withLock { $0[status, default: 0] += 1 }
    }
    return outcomes.withLock { $0 }
}
