import ConnectorSimulators
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The real daemon with `ledger.backend: zmyle` against the zmyle simulator: holds and
/// redemptions through the local API, faults, a restart while a cancel is pending, and no
/// access token or card number in the log or the outbox.
@Suite(.serialized) struct ZmyleAPITests {
    typealias Daemon = ConnectorDaemon
    static let token = "zm-access-token-93jd7"

    static func daemon(_ sim: ZmyleSimulator, dir: TemporaryDirectory? = nil) throws -> Daemon {
        try Daemon(
            ledger: """
                  backend: zmyle
                  zmyle:
                    base-url: \(sim.baseURL)
                    credentials-env: GB_ZMYLE
                    connect-timeout-ms: 500
                    read-timeout-ms: 1000
                """, environment: ["GB_ZMYLE": sim.credentials], dir: dir)
    }

    static func card(_ n: String) -> String { #"{"printedCardNumber":"\#(n)","cardRegCode":"\#(token)"}"# }
    static func code(_ r: [String: Any]) -> String? { (r["error"] as? [String: Any])?["code"] as? String }

    func get(_ d: Daemon, _ path: String) async throws -> (Int, [String: Any]) {
        let c = d.client
        let r = try await offThread { try c.get(path) }
        return (r.status, json(r.text))
    }

    @Test func holdsAndRedemptionThroughTheLocalAPI() async throws {
        let sim = try await ZmyleSimulator()
        let d = try Self.daemon(sim)
        let n = "6035730000000012"
        try await sim.addCard(n, balance: 5000, accessToken: Self.token)

        var (s, r) = try await d.post("/v1/holds", #"{"cardInfo":\#(Self.card(n)),"amount":1500,"metadata":{"receipt":"Bon 1"}}"#)
        #expect(s == 201 && r["status"] as? String == "NEEDS_CONFIRMATION" && r["maskedCardNumber"] as? String == "603573******0012", "\(r)")
        let holdId = try #require(r["id"] as? String)
        #expect(try await sim.funds(n) == (5000, 3500))
        (s, r) = try await get(d, "/v1/holds/\(holdId)")
        #expect(s == 200 && r["status"] as? String == "NEEDS_CONFIRMATION" && PaytronixAPITests.minor(r, "amount") == 1500, "\(r)")
        (s, r) = try await d.post("/v1/holds/\(holdId)/confirm", #"{"cashier":"ann"}"#)
        #expect(s == 200 && r["kind"] as? String == "hold_capture" && PaytronixAPITests.minor(r, "transactionAmount") == -1500 && r["holdId"] as? String == holdId, "\(r)")
        #expect(try await sim.funds(n) == (3500, 3500))
        (s, r) = try await d.post("/v1/holds/\(holdId)/cancel", "{}")
        #expect(s == 409 && Self.code(r) == "hold_not_open")

        (s, r) = try await d.post("/v1/holds", #"{"cardInfo":\#(Self.card(n)),"amount":700}"#)
        let second = try #require(r["id"] as? String)
        (s, r) = try await d.post("/v1/holds/\(second)/cancel", "{}")
        #expect(s == 200 && r["status"] as? String == "CANCELLED", "\(r)")
        #expect(try await sim.funds(n) == (3500, 3500))

        (s, r) = try await d.post("/v1/gift/redeem", #"{"cardInfo":\#(Self.card(n)),"amount":2000,"tip":250,"externalTransactionId":"pos-9"}"#)
        #expect(s == 200 && PaytronixAPITests.minor(r, "transactionAmount") == -2250 && r["kind"] as? String == "redeem", "\(r)")
        #expect(try await sim.funds(n) == (1250, 1250))
        // An idempotency key is honoured by zmyle itself: the retry finds the same intent.
        let body = #"{"cardInfo":\#(Self.card(n)),"amount":250,"idempotencyKey":"k-7"}"#
        (s, r) = try await d.post("/v1/gift/redeem", body)
        let first = r["transactionId"] as? Int
        (s, r) = try await d.post("/v1/gift/redeem", body)
        #expect(s == 200 && r["transactionId"] as? Int == first && first != nil, "\(r)")
        #expect(try await sim.funds(n) == (1000, 1000))

        (s, r) = try await d.post("/v1/gift/redeem", #"{"cardInfo":\#(Self.card(n)),"amount":1001}"#)
        #expect(s == 422 && Self.code(r) == "insufficient_funds" && ((r["error"] as? [String: Any])?["vendorCodes"] as? [String: String])?["zmyle"] == "api:biz:insufficientFunds")
        (s, r) = try await d.post("/v1/holds", #"{"cardInfo":{"printedCardNumber":"\#(n)","cardRegCode":"wrong-token"},"amount":1}"#)
        #expect(s == 502 && Self.code(r) == "provider_refused", "\(r)")
        #expect(((r["error"] as? [String: Any])?["vendorCodes"] as? [String: String])?["zmyle"] == "api:biz:notAuthorizedToRedeemGiftcard")
        (s, r) = try await get(d, "/v1/holds/nosuchintent")
        #expect(s == 404 && Self.code(r) == "hold_not_found")
        // What zmyle's API lacks: 501 naming zmyle.
        for (path, b) in [("/v1/gift/balance", #"{"cardInfo":\#(Self.card(n))}"#), ("/v1/gift/sell", #"{"cardInfo":\#(Self.card(n)),"amount":1}"#),
            ("/v1/gift/reload", #"{"cardInfo":\#(Self.card(n)),"amount":1}"#), ("/v1/gift/cash-out", #"{"cardInfo":\#(Self.card(n))}"#),
            ("/v1/gift/reverse", #"{"externalTransactionId":"pos-9"}"#)]
        {
            (s, r) = try await d.post(path, b)
            #expect(s == 501 && Self.code(r) == "unsupported_by_ledger" && ((r["error"] as? [String: Any])?["message"] as? String)?.contains("zmyle") == true, "\(path): \(r)")
        }
        let connector = try await d.connector()
        #expect(connector["provider"] as? String == "zmyle" && connector["reachable"] as? Bool == true && connector["outboxDepth"] as? Int == 0, "\(connector)")
        #expect(try d.process.terminate().status == 0)
        try Self.expectNoSecrets(d, sim: sim, cards: [n])
    }

    /// Each fault on a hold's create and on a redemption (its create or its confirm): the
    /// card's available balance is what the POS was told.
    @Test func faultsThroughTheLocalAPI() async throws {
        let sim = try await ZmyleSimulator()
        let d = try Self.daemon(sim)
        let faults: [Fault] = [.lateAnswer(ms: 2500), .resetAfterCommit, .resetBeforeCommit, .serverError, .malformedAfterCommit, .slow(ms: 100)]
        var i = 0
        var cards: [String] = []
        for fault in faults {
            for (op, target) in [("hold", ZmyleSimulator.Operation.create), ("redeem", .create), ("redeem", .confirm)] {
                i += 1
                let n = "60357319\(String(format: "%04d", i))0001"
                cards.append(n)
                try await sim.addCard(n, balance: 5000, accessToken: Self.token)
                sim.faultOnly([target])
                sim.faults.inject(fault)
                let (status, reply) = op == "hold"
                    ? try await d.post("/v1/holds", #"{"cardInfo":\#(Self.card(n)),"amount":1500}"#)
                    : try await d.post("/v1/gift/redeem", #"{"cardInfo":\#(Self.card(n)),"amount":1200,"tip":100}"#)
                sim.faults.clear()
                sim.faultOnly(nil)
                var expected: Int64 = 5000
                if status == 200 || status == 201 {
                    expected -= op == "hold" ? 1500 : 1300
                } else {
                    #expect(status == 504 && ["reversed", "pending_reversal"].contains(Self.code(reply) ?? ""), "\(op)/\(target) under \(fault): \(status) \(reply)")
                    let deadline = Date().addingTimeInterval(20)
                    while try await d.connector()["pendingReversals"] as? Int != 0, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
                }
                if fault == .slow(ms: 100) { #expect(status == 200 || status == 201, "\(op) slow: \(reply)") }
                let funds = try await sim.funds(n)
                #expect(funds.available == expected, "\(op)/\(target) under \(fault): told \(status) \(Self.code(reply) ?? ""), \(funds), expected \(expected)")
                // Nothing stays reserved but a hold the POS was told it has.
                #expect(funds.balance - funds.available == (op == "hold" && status == 201 ? 1500 : 0), "\(op)/\(target) under \(fault): \(funds)")
            }
        }
        let connector = try await d.connector()
        #expect(connector["outboxDepth"] as? Int == 0 && connector["outboxStuck"] as? Int == 0, "\(connector)")
        #expect(try d.process.terminate().status == 0)
        try Self.expectNoSecrets(d, sim: sim, cards: cards)
    }

    @Test func daemonRestartWhileACancelIsPending() async throws {
        let sim = try await ZmyleSimulator()
        let d = try Self.daemon(sim)
        let n = "6035730000000020"
        try await sim.addCard(n, balance: 5000, accessToken: Self.token)
        sim.faultOnly([.confirm, .cancel])
        sim.faults.inject(.resetBeforeCommit)
        sim.faults.inject(.serverError, on: .reversals, times: nil)
        let (status, reply) = try await d.post("/v1/gift/redeem", #"{"cardInfo":\#(Self.card(n)),"amount":1500}"#)
        #expect(status == 504 && Self.code(reply) == "pending_reversal", "\(reply)")
        #expect(try await sim.funds(n) == (5000, 3500))  // the intent still holds the funds
        #expect(try await d.connector()["pendingReversals"] as? Int == 1)

        try await offThread { try d.restart() }
        #expect(try await d.connector()["pendingReversals"] as? Int == 1)
        sim.faults.clear()
        sim.faultOnly(nil)
        let deadline = Date().addingTimeInterval(30)
        var connector: [String: Any] = [:]
        repeat {
            try await Task.sleep(for: .milliseconds(250))
            connector = try await d.connector()
        } while connector["pendingReversals"] as? Int != 0 && Date() < deadline
        #expect(connector["pendingReversals"] as? Int == 0 && connector["outboxStuck"] as? Int == 0, "\(connector)")
        #expect(try await sim.funds(n) == (5000, 5000))
        #expect(try d.process.terminate().status == 0)
        try Self.expectNoSecrets(d, sim: sim, cards: [n])
    }

    /// Neither the access token, the API secret nor a full card number is in the daemon's log
    /// or its outbox files.
    static func expectNoSecrets(_ d: Daemon, sim: ZmyleSimulator, cards: [String]) throws {
        var outbox: [UInt8] = []
        for suffix in ["", "-wal", "-shm"] { outbox += FileManager.default.contents(atPath: d.dir.file("s/outbox.sqlite" + suffix)).map(Array.init) ?? [] }
        let places = [("log", d.process.log), ("outbox", String(decoding: outbox, as: UTF8.self))]
        #expect(!outbox.isEmpty)
        for (name, text) in places {
            for secret in [token, sim.apiSecret, Data(sim.credentials.utf8).base64EncodedString()] + cards {
                #expect(!text.contains(secret), "\(name) contains \(secret.prefix(6))…")
            }
        }
    }
}
