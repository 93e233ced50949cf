import ConnectorSimulators
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The real daemon with `ledger.backend: piggy` against the Piggy simulator, through its local API.
@Suite(.serialized) struct PiggyAPITests {
    static func daemon(_ sim: PiggySimulator) throws -> ConnectorDaemon {
        try ConnectorDaemon(
            ledger: """
                backend: piggy
                  piggy:
                    base-url: \(sim.baseURL)
                    credentials-env: GB_PIGGY
                    shop-uuid: shop-1
                    connect-timeout-ms: 500
                    read-timeout-ms: 1000
                """, environment: ["GB_PIGGY": "piggy-test-key"])
    }

    static func code(_ r: [String: Any]) -> String? { (r["error"] as? [String: Any])?["code"] as? String }

    @Test func everyOperationThroughTheLocalAPI() async throws {
        let sim = try await PiggySimulator()
        try await sim.addShop("shop-1", name: "Till street")
        try await sim.addContact("contact-9", identifier: "MEMBER-9")
        let d = try Self.daemon(sim)
        try await sim.addCard("7001000000000078", balance: 0)
        let c = #"{"printedCardNumber":"7001000000000078"}"#
        var (s, r) = try await d.post("/v1/gift/sell", #"{"cardInfo":\#(c),"amount":5000}"#)
        #expect(s == 200 && PaytronixAPITests.minor(r, "currentBalance") == 5000, "\(r)")
        (s, r) = try await d.post("/v1/gift/reload", #"{"cardInfo":\#(c),"amount":1010}"#)
        #expect(s == 200 && PaytronixAPITests.minor(r, "currentBalance") == 6010)
        (s, r) = try await d.post("/v1/gift/redeem", #"{"cardInfo":\#(c),"amount":2000,"tip":250}"#)
        #expect(s == 200 && PaytronixAPITests.minor(r, "transactionAmount") == -2250 && PaytronixAPITests.minor(r, "currentBalance") == 3760, "\(r)")
        #expect(r["maskedCardNumber"] as? String == "700100******0078")
        let redeemId = r["transactionId"] as? Int
        (s, r) = try await d.post("/v1/gift/balance", #"{"cardInfo":\#(c)}"#)
        #expect(s == 200 && r["currentBalanceMinor"] as? Int == 3760)
        (s, r) = try await d.post("/v1/gift/reverse", #"{"transactionId":\#(redeemId ?? 0)}"#)
        #expect(s == 200 && PaytronixAPITests.minor(r, "currentBalance") == 6010, "\(r)")
        (s, r) = try await d.post("/v1/gift/cash-out", #"{"cardInfo":\#(c)}"#)
        #expect(s == 200 && PaytronixAPITests.minor(r, "currentBalance") == 0)
        #expect(try await sim.balance("7001000000000078") == 0)
        (s, r) = try await d.post("/v1/gift/redeem", #"{"cardInfo":\#(c),"amount":1}"#)
        #expect(s == 422 && Self.code(r) == "insufficient_funds")
        // What Piggy lacks: 501 naming the provider.
        (s, r) = try await d.post("/v1/gift/exchange", #"{"cardInfo":\#(c),"newCardInfo":{"printedCardNumber":"7001000000000086"}}"#)
        #expect(s == 501 && Self.code(r) == "unsupported_by_ledger" && ((r["error"] as? [String: Any])?["message"] as? String)?.contains("piggy") == true)
        (s, r) = try await d.post("/v1/holds", #"{"cardInfo":\#(c),"amount":100}"#)
        #expect(s == 501)

        // Prepaid balances.
        (s, r) = try await d.post("/v1/prepaid/transactions", #"{"contactUuid":"contact-9","shopUuid":"shop-1","amount":2500}"#)
        #expect(s == 201 && PaytronixAPITests.minor(r, "amount") == 2500 && PaytronixAPITests.minor(r, "prepaidBalance") == 2500, "\(r)")
        (s, r) = try await d.post("/v1/prepaid/transactions", #"{"contactIdentifierValue":"MEMBER-9","shopUuid":"shop-1","amount":-1000}"#)
        #expect(s == 201, "\(r)")
        let taken = r["uuid"] as? String ?? ""
        (s, r) = try await d.post("/v1/prepaid/transactions/\(taken)/reverse", "")
        #expect(s == 201, "\(r)")
        (s, r) = try await d.get("/v1/contacts/contact-9/prepaid-balance")
        #expect(s == 200 && "\(r)".contains("2500"), "\(r)")
        (s, r) = try await d.get("/v1/prepaid/transactions?contactUuid=contact-9&limit=2&page=1")
        #expect(s == 200, "\(r)")
        (s, r) = try await d.post("/v1/prepaid/transactions", #"{"contactUuid":"nobody","shopUuid":"shop-1","amount":100}"#)
        #expect(s == 404 && Self.code(r) == "contact_not_found", "\(r)")

        let connector = try await d.connector()
        #expect(connector["provider"] as? String == "piggy" && connector["reachable"] as? Bool == true && connector["outboxDepth"] as? Int == 0, "\(connector)")
        #expect(!d.process.log.contains("piggy-test-key") && !d.process.log.contains("7001000000000078"))
        #expect(try d.process.terminate().status == 0)
    }

    /// A redeem whose answer is lost while Piggy's listing fails too: the POS hears
    /// `pending_reversal`; the daemon restarts; its worker finds and reverses the redeem.
    @Test func lostAnswerAcrossARestart() async throws {
        let sim = try await PiggySimulator()
        let d = try Self.daemon(sim)
        try await sim.addCard("7001000000000094", balance: 5000)
        sim.faults.inject(.resetAfterCommit)
        sim.faults.inject(.serverError, on: .all, times: nil)
        let (status, reply) = try await d.post("/v1/gift/redeem", #"{"cardInfo":{"printedCardNumber":"7001000000000094"},"amount":1500}"#)
        #expect(status == 504 && Self.code(reply) == "pending_reversal", "\(reply)")
        #expect(try await sim.balance("7001000000000094") == 3500)
        try await offThread { try d.restart() }
        #expect(try await d.connector()["pendingReversals"] as? Int == 1)
        sim.faults.clear()
        let connector = try await d.waitForNoPendingReversals(seconds: 30)
        #expect(connector["pendingReversals"] as? Int == 0 && connector["outboxStuck"] as? Int == 0, "\(connector)")
        #expect(try await sim.balance("7001000000000094") == 5000)
        #expect(try d.process.terminate().status == 0)
    }

    @Test func theShopIsRequired() throws {
        let dir = try TemporaryDirectory()
        try "ledger:\n  backend: piggy\n  piggy:\n    base-url: http://127.0.0.1:1/\n    credentials-env: X\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let (status, log) = try DaemonProcess.runToExit(arguments: ["--config", dir.file("c.yaml"), "--state-dir", dir.file("s"), "--socket", dir.file("a.sock")], dir: dir)
        #expect(status == 78 && log.contains("ledger.piggy.shop-uuid"), "\(log)")
    }
}
