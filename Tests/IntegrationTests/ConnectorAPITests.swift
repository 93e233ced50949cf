import ConnectorSimulators
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The real daemon with `ledger.backend: paytronix` against the Paytronix simulator: every
/// operation through the local API, the fault matrix, a restart while a reversal is pending.
@Suite(.serialized) struct PaytronixAPITests {
    final class Daemon: ConnectorDaemon, @unchecked Sendable {
        let sim: PaytronixSimulator

        init(sim: PaytronixSimulator, dir: TemporaryDirectory? = nil) throws {
            self.sim = sim
            try super.init(
                ledger: """
                    backend: paytronix
                      paytronix:
                        base-url: \(sim.baseURL)
                        credentials-env: GB_PAYTRONIX
                        merchant-id: \(sim.merchantId)
                        store-code: store-1
                        connect-timeout-ms: 500
                        read-timeout-ms: 1000
                    """, environment: ["GB_PAYTRONIX": "pos:secret"], dir: dir)
        }
    }

    static func minor(_ reply: [String: Any], _ field: String) -> Int? { (reply[field] as? [String: Any])?["minor"] as? Int }

    @Test func everyOperationThroughTheLocalAPI() async throws {
        let sim = try await PaytronixSimulator()
        let d = try Daemon(sim: sim)
        try await sim.addCard("6035710000000094", balance: 0)
        try await sim.addCard("6035710000000102", balance: 0)
        let c = #"{"printedCardNumber":"6035710000000094"}"#

        var (s, r) = try await d.post("/v1/gift/sell", #"{"cardInfo":\#(c),"amount":5000}"#)
        #expect(s == 200 && Self.minor(r, "currentBalance") == 5000 && r["kind"] as? String == "sell", "\(r)")
        (s, r) = try await d.post("/v1/gift/reload", #"{"cardInfo":\#(c),"amount":1010}"#)
        #expect(s == 200 && Self.minor(r, "currentBalance") == 6010)
        let reloadId = r["transactionId"] as? Int
        (s, r) = try await d.post("/v1/gift/redeem", #"{"cardInfo":\#(c),"amount":2000,"tip":250,"externalTransactionId":"pos-9"}"#)
        #expect(s == 200 && Self.minor(r, "transactionAmount") == -2250 && Self.minor(r, "currentBalance") == 3760)
        #expect(r["maskedCardNumber"] as? String == "603571******0094")
        (s, r) = try await d.post("/v1/gift/balance", #"{"cardInfo":\#(c)}"#)
        #expect(s == 200 && r["currentBalanceMinor"] as? Int == 3760 && r["currentBalance"] as? String == "37.60")
        (s, r) = try await d.post("/v1/gift/reverse", #"{"externalTransactionId":"pos-9"}"#)
        #expect(s == 200 && Self.minor(r, "currentBalance") == 6010)
        (s, r) = try await d.post("/v1/gift/reverse", #"{"transactionId":\#(reloadId ?? 0)}"#)
        #expect(s == 200 && Self.minor(r, "currentBalance") == 5000)
        (s, r) = try await d.post("/v1/gift/exchange", #"{"cardInfo":\#(c),"newCardInfo":{"printedCardNumber":"6035710000000102"}}"#)
        #expect(s == 200 && Self.minor(r, "currentBalance") == 5000)
        (s, r) = try await d.post("/v1/gift/cash-out", #"{"cardInfo":{"printedCardNumber":"6035710000000102"}}"#)
        #expect(s == 200 && Self.minor(r, "currentBalance") == 0)
        #expect(try await sim.balance("6035710000000102") == 0)

        (s, r) = try await d.post("/v1/gift/redeem", #"{"cardInfo":{"printedCardNumber":"6035710000000102"},"amount":1}"#)
        #expect(s == 422 && (r["error"] as? [String: Any])?["code"] as? String == "insufficient_funds")
        // What Paytronix lacks: 501 naming the provider.
        (s, r) = try await d.post("/v1/holds", #"{"cardInfo":\#(c),"amount":100}"#)
        #expect(s == 501 && (r["error"] as? [String: Any])?["code"] as? String == "unsupported_by_ledger")
        #expect(((r["error"] as? [String: Any])?["message"] as? String)?.contains("paytronix") == true)
        (s, r) = try await d.post("/v1/prepaid/transactions", #"{"contactUuid":"c","shopUuid":"s","amount":100}"#)
        #expect(s == 501)
        // An idempotency key cannot be honoured remotely: refused, nothing booked (never twice).
        let before = try await sim.balance("6035710000000094")
        (s, r) = try await d.post("/v1/gift/reload", #"{"cardInfo":\#(c),"amount":100,"idempotencyKey":"k-1"}"#)
        #expect(s == 501 && ((r["error"] as? [String: Any])?["message"] as? String)?.contains("idempotency") == true, "\(r)")
        #expect(try await sim.balance("6035710000000094") == before)

        let connector = try await d.connector()
        #expect(connector["provider"] as? String == "paytronix" && connector["reachable"] as? Bool == true && connector["outboxDepth"] as? Int == 0)
        // Credentials and card numbers stay out of the log.
        #expect(!d.process.log.contains("secret") && !d.process.log.contains("cG9zOnNlY3JldA") && !d.process.log.contains("6035710000000094"))
        #expect(try d.process.terminate().status == 0)
    }

    /// Each fault × each mutating operation through the daemon; half the time the first
    /// reversal fails too, so the POS hears `pending_reversal` and the worker finishes.
    @Test func faultMatrixThroughTheLocalAPI() async throws {
        let sim = try await PaytronixSimulator()
        let d = try Daemon(sim: sim)
        let faults: [Fault] = [.lateAnswer(ms: 2500), .resetAfterCommit, .resetBeforeCommit, .serverError, .malformedAfterCommit, .slow(ms: 100)]
        var n = 0
        var stuck = 0
        for (fi, fault) in faults.enumerated() {
            for op in ["sell", "reload", "redeem", "cash-out", "exchange"] {
                n += 1
                let a = "6035719\(String(format: "%03d", n))000001", b = "6035719\(String(format: "%03d", n))000002"
                try await sim.addCard(a, balance: op == "sell" ? 0 : 5000)
                try await sim.addCard(b, balance: 0)
                let before = (try await sim.balance(a), try await sim.balance(b))
                let body = switch op {
                case "sell", "reload": #"{"cardInfo":{"printedCardNumber":"\#(a)"},"amount":2500}"#
                case "redeem": #"{"cardInfo":{"printedCardNumber":"\#(a)"},"amount":1200,"tip":100}"#
                case "cash-out": #"{"cardInfo":{"printedCardNumber":"\#(a)"}}"#
                default: #"{"cardInfo":{"printedCardNumber":"\#(a)"},"newCardInfo":{"printedCardNumber":"\#(b)"}}"#
                }
                sim.faults.inject(fault)
                if (fi + n) % 2 == 0 { sim.faults.inject(.serverError, on: .reversals) }
                let (status, reply) = try await d.post("/v1/gift/\(op)", body)
                sim.faults.clear()
                let code = (reply["error"] as? [String: Any])?["code"] as? String
                var expected = before
                if status == 200 {
                    let balance = Int64(Self.minor(reply, "currentBalance") ?? -1)
                    expected = op == "exchange" ? (0, balance) : (balance, before.1)
                    #expect(fault == .slow(ms: 100), "\(op) under \(fault) succeeded")
                } else if op == "exchange" && code == "reversal_refused" {
                    // Not reversible: the value is on exactly one of the two cards; a person looks.
                    #expect(status == 502)
                    let now = (try await sim.balance(a), try await sim.balance(b))
                    #expect(now.0 + now.1 == before.0 + before.1 && (now.0 == 0 || now.1 == 0), "\(op) under \(fault): \(now)")
                    stuck += 1
                    continue
                } else {
                    #expect(status == 504 && (code == "reversed" || code == "pending_reversal"), "\(op) under \(fault): \(status) \(reply)")
                    if code == "pending_reversal" {
                        let deadline = Date().addingTimeInterval(20)
                        while try await d.connector()["pendingReversals"] as? Int != 0, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
                    }
                }
                let after = (try await sim.balance(a), try await sim.balance(b))
                #expect(after == expected, "\(op) under \(fault): told \(status) \(code ?? ""), card \(after), expected \(expected)")
            }
        }
        let connector = try await d.connector()
        #expect(connector["outboxDepth"] as? Int == 0 && connector["outboxStuck"] as? Int == stuck, "\(connector)")
        #expect(try d.process.terminate().status == 0)
    }

    @Test func daemonRestartWhileAReversalIsPending() async throws {
        let sim = try await PaytronixSimulator()
        let d = try Daemon(sim: sim)
        try await sim.addCard("6035710000000110", balance: 5000)
        sim.faults.inject(.lateAnswer(ms: 2500))
        sim.faults.inject(.serverError, on: .reversals, times: nil)
        let (status, reply) = try await d.post("/v1/gift/redeem", #"{"cardInfo":{"printedCardNumber":"6035710000000110"},"amount":1500}"#)
        #expect(status == 504 && (reply["error"] as? [String: Any])?["code"] as? String == "pending_reversal", "\(reply)")
        try await Task.sleep(for: .milliseconds(800))
        #expect(try await sim.balance("6035710000000110") == 3500)  // booked, the answer lost
        var connector = try await d.connector()
        #expect(connector["pendingReversals"] as? Int == 1 && connector["outboxDepth"] as? Int == 1)

        try await offThread { try d.restart() }
        #expect(try await d.connector()["pendingReversals"] as? Int == 1)
        sim.faults.clear()
        let deadline = Date().addingTimeInterval(30)
        repeat {
            try await Task.sleep(for: .milliseconds(250))
            connector = try await d.connector()
        } while connector["pendingReversals"] as? Int != 0 && Date() < deadline
        #expect(connector["pendingReversals"] as? Int == 0, "\(connector)")
        #expect(try await sim.balance("6035710000000110") == 5000)
        #expect(try d.process.terminate().status == 0)
    }

    @Test func configurationErrorsNameTheKey() throws {
        let dir = try TemporaryDirectory()
        try "ledger:\n  backend: paytronix\n  paytronix:\n    base-url: http://127.0.0.1:1/\n    credentials-env: X\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let (status, log) = try DaemonProcess.runToExit(arguments: ["--config", dir.file("c.yaml"), "--state-dir", dir.file("s"), "--socket", dir.file("a.sock")], dir: dir)
        #expect(status == 78 && log.contains("ledger.paytronix.merchant-id"), "\(log)")
    }
}

/// Runs blocking socket I/O on its own thread, away from the cooperative pool the simulator needs.
func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        Thread { c.resume(with: Result { try body() }) }.start()
    }
}

/// The real daemon on a remote ledger: `ledger:` as given (indented two spaces under it), the
/// credentials in the environment.
class ConnectorDaemon: @unchecked Sendable {
    let dir: TemporaryDirectory
    var process: DaemonProcess
    let client: UnixHTTPClient
    let environment: [String: String]

    init(ledger: String, environment: [String: String], dir: TemporaryDirectory? = nil) throws {
        self.dir = try dir ?? TemporaryDirectory()
        self.environment = environment
        // The caller's first line may come unindented.
        let body = ledger.hasPrefix(" ") ? ledger : "  " + ledger
        try "shop:\n  terminal: till-1\nledger:\n\(body)\n".write(toFile: self.dir.file("c.yaml"), atomically: true, encoding: .utf8)
        process = try Self.start(self.dir, environment)
        client = UnixHTTPClient(socketPath: self.dir.file("s/api.sock"))
    }

    static func start(_ dir: TemporaryDirectory, _ environment: [String: String]) throws -> DaemonProcess {
        let p = try DaemonProcess(
            arguments: ["--config", dir.file("c.yaml"), "--state-dir", dir.file("s"), "--socket", dir.file("s/api.sock")], dir: dir, environment: environment)
        try p.waitUntilReady()
        return p
    }

    func restart() throws {
        _ = try process.terminate()
        process = try Self.start(dir, environment)
    }

    func post(_ path: String, _ body: String) async throws -> (Int, [String: Any]) {
        let c = client
        let r = try await offThread { try c.request("POST", path, body: Array(body.utf8), headers: ["Content-Type": "application/json"]) }
        return (r.status, json(r.text))
    }

    func get(_ path: String) async throws -> (Int, [String: Any]) {
        let c = client
        let r = try await offThread { try c.get(path) }
        return (r.status, json(r.text))
    }

    func connector() async throws -> [String: Any] {
        let h = try await get("/v1/health").1
        return ((h["ledger"] as? [String: Any])?["connector"] as? [String: Any]) ?? [:]
    }

    /// Waits until the worker has no reversal left (at most `seconds`).
    func waitForNoPendingReversals(seconds: TimeInterval = 20) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var c = try await connector()
        while c["pendingReversals"] as? Int != 0, Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            c = try await connector()
        }
        return c
    }
}
