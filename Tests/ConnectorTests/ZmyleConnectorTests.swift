import CardReading
import ConnectorCore
import ConnectorSimulators
import Connectors
import Foundation
import Ledger
import Logging
import Testing
import TestSupport

/// A zmyle connector against the simulator over real HTTP, with the outbox on real SQLite.
final class ZmyleRig: @unchecked Sendable {
    let sim: ZmyleSimulator
    let dir: TemporaryDirectory
    var ledger: ZmyleLedger
    var transport: ProviderTransport

    init(intentLifetime: TimeInterval = 30 * 60) async throws {
        sim = try await ZmyleSimulator(intentLifetime: intentLifetime)
        dir = try TemporaryDirectory()
        (ledger, transport) = try Self.connect(sim, dir)
    }

    static func connect(_ sim: ZmyleSimulator, _ dir: TemporaryDirectory) throws -> (ZmyleLedger, ProviderTransport) {
        let transport = ProviderTransport(
            endpoint: ProviderEndpoint(baseURL: sim.baseURL, connectTimeoutMs: 500, readTimeoutMs: PaytronixRig.readTimeoutMs), authorization: sim.authorization)
        return (try ZmyleLedger(transport: transport, outbox: try OutboxStore(path: dir.file("outbox.sqlite")), currency: .eur), transport)
    }

    /// As after a daemon restart: a new connector on the same outbox file.
    func restart() async throws {
        await transport.shutdown()
        (ledger, transport) = try Self.connect(sim, dir)
    }

    var worker: OutboxWorker { OutboxWorker(ledger: ledger, logger: Logger(label: "test")) }

    /// Runs the worker (as if time had passed) until nothing is open.
    func drain() async throws {
        var rounds = 0
        while try ledger.outbox.depth(provider: "zmyle").open > 0, rounds < 20 {
            await worker.runOnce(now: Date().addingTimeInterval(120))
            rounds += 1
        }
    }

    deinit {
        let t = transport
        Task { await t.shutdown() }
    }
}

/// A zmyle card: its number and access token (the POS sends the token as `cardRegCode`).
func zcard(_ n: String, token: String = "tok-\(String(repeating: "a", count: 12))") -> CardInfo { CardInfo(printedCardNumber: n, cardRegCode: token) }
let ztoken = "tok-\(String(repeating: "a", count: 12))"

@Suite(.serialized) struct ZmyleConnectorTests {
    @Test func everyOperation() async throws {
        let rig = try await ZmyleRig()
        let l = rig.ledger
        let n = "6035720000000011"
        try await rig.sim.addCard(n, balance: 5000, accessToken: ztoken)

        // Hold, look, confirm.
        let hold = try await l.reserveHold(zcard(n), amount: 1200, metadata: ["receipt": "Bon 1"], context: OperationContext())
        #expect(hold.status == .needsConfirmation && hold.amount == 1200 && hold.maskedCardNumber == "603572******0011" && hold.currency == .eur)
        #expect(hold.metadata["receipt"] == "Bon 1" && !hold.expiresAt.isEmpty && hold.expiresAt > hold.createdAt)
        #expect(try await rig.sim.funds(n) == (5000, 3800))
        #expect(try await l.hold(id: hold.id) == hold)
        let confirmed = try await l.confirmHold(id: hold.id, context: OperationContext(cashier: "ann"))
        #expect(confirmed.transaction.kind == .holdCapture && confirmed.transaction.amount == -1200 && confirmed.transaction.holdId == hold.id)
        #expect(confirmed.transaction.metadata?["giftcardTransactionId"]?.isEmpty == false && confirmed.transaction.id > 0)
        #expect(try await rig.sim.funds(n) == (3800, 3800))
        #expect(try await l.hold(id: hold.id).status == .confirmed)
        await #expect(throws: LedgerError.holdNotOpen(status: "CONFIRMED")) { try await l.confirmHold(id: hold.id, context: OperationContext()) }

        // Hold, cancel.
        let other = try await l.reserveHold(zcard(n), amount: 800, metadata: [:], context: OperationContext())
        #expect(try await rig.sim.available(n) == 3000)
        let cancelled = try await l.cancelHold(id: other.id, context: OperationContext())
        #expect(cancelled.status == .cancelled && cancelled.id == other.id)
        #expect(try await rig.sim.funds(n) == (3800, 3800))
        await #expect(throws: LedgerError.holdNotOpen(status: "CANCELLED")) { try await l.cancelHold(id: other.id, context: OperationContext()) }

        // Redeem with a tip: one intent for both, confirmed at once.
        let r = try await l.execute(.redeem(zcard(n), amount: 2000, tip: 250), context: OperationContext(checkNumber: "Bon 7", externalTransactionId: "pos-1"))
        #expect(r.transaction.kind == .redeem && r.transaction.amount == -2250 && r.transaction.tip == 250 && r.transaction.externalTransactionId == "pos-1")
        #expect(r.transaction.metadata?["receiptNumber"] == "Bon 7" && r.transaction.metadata?["tip"] == "250")
        #expect(try await rig.sim.funds(n) == (1550, 1550))

        // Refusals, typed.
        await #expect(throws: LedgerError.insufficientFunds) { try await l.execute(.redeem(zcard(n), amount: 1551, tip: 0), context: OperationContext()) }
        await #expect(throws: LedgerError.insufficientFunds) { try await l.reserveHold(zcard(n), amount: 1551, metadata: [:], context: OperationContext()) }
        await #expect(throws: LedgerError.cardNotFound) { try await l.reserveHold(zcard("6035720000009999"), amount: 1, metadata: [:], context: OperationContext()) }
        await #expect(throws: LedgerError.holdNotFound) { try await l.hold(id: "nosuchintent0000000000000000") }
        await #expect(throws: LedgerError.holdNotFound) { try await l.cancelHold(id: "nosuchintent0000000000000000", context: OperationContext()) }
        await #expect(throws: LedgerError.holdNotFound) { try await l.hold(id: "../etc") }
        // A wrong access token: zmyle's own refusal, its code kept for the POS.
        do {
            _ = try await l.reserveHold(zcard(n, token: "wrong-token-000"), amount: 1, metadata: [:], context: OperationContext())
            Issue.record("no refusal")
        } catch let e as LedgerError {
            #expect(e == .providerRefused(provider: "zmyle", code: "api:biz:notAuthorizedToRedeemGiftcard", message: LedgerError.registrationCodeMismatch.description))
            #expect(e.zmyleCode == "api:biz:notAuthorizedToRedeemGiftcard")
        }
        // No access token: refused before anything leaves.
        await #expect(throws: LedgerError.self) { try await l.reserveHold(CardInfo(printedCardNumber: n), amount: 1, metadata: [:], context: OperationContext()) }
        try await rig.sim.addCard("6035720000000029", balance: 0, accessToken: ztoken)
        await #expect(throws: LedgerError.cardInactive) { try await l.reserveHold(zcard("6035720000000029"), amount: 1, metadata: [:], context: OperationContext()) }

        // What zmyle's API does not have: 501 naming zmyle and the operation.
        for command: GiftCommand in [.sell(zcard(n), amount: 1), .reload(zcard(n), amount: 1), .cashOut(zcard(n)), .exchange(zcard(n), to: zcard("1")),
            .reverse(transactionId: r.transaction.id), .reverseExternal(externalTransactionId: "pos-1"), .reverseLast(transactionId: 1)]
        {
            do {
                _ = try await l.execute(command, context: OperationContext())
                Issue.record("\(command) answered")
            } catch LedgerError.unsupportedByLedger(let provider, let operation) {
                #expect(provider == "zmyle" && !operation.isEmpty)
            }
        }
        await #expect(throws: LedgerError.unsupportedByLedger(provider: "zmyle", operation: "balance enquiry")) { try await l.balance(of: zcard(n), context: RequestContext()) }
        await #expect(throws: LedgerError.unsupportedByLedger(provider: "zmyle", operation: "transaction lookup")) { try await l.transaction(id: r.transaction.id) }
        await #expect(throws: LedgerError.unsupportedByLedger(provider: "zmyle", operation: "prepaid balances")) { try await l.prepaidBalance(contactUuid: "x") }
        #expect(try await l.releaseExpiredHolds().isEmpty)
        #expect(try await l.nextHoldExpiry() == nil)
        #expect(try await rig.sim.funds(n) == (1550, 1550))
        #expect(try l.outbox.depth(provider: "zmyle") == (0, 0, 0))
        #expect(l.health().reachable)
    }

    @Test func idempotencyKeyFindsTheSameIntent() async throws {
        let rig = try await ZmyleRig()
        let n = "6035720000000037"
        try await rig.sim.addCard(n, balance: 5000, accessToken: ztoken)
        let idem = Idempotency(scope: "till-1", key: "k-1", requestHash: "h1")
        let ctx = OperationContext(idempotency: idem)
        let a = try await rig.ledger.execute(.redeem(zcard(n), amount: 1000, tip: 0), context: ctx)
        let b = try await rig.ledger.execute(.redeem(zcard(n), amount: 1000, tip: 0), context: ctx)
        #expect(a.transaction.holdId == b.transaction.holdId && a.transaction.id == b.transaction.id)
        #expect(try await rig.sim.funds(n) == (4000, 4000))  // once
        // The same key for another request: zmyle refuses it.
        await #expect(throws: LedgerError.idempotencyConflict) {
            try await rig.ledger.execute(.redeem(zcard(n), amount: 900, tip: 0), context: OperationContext(idempotency: Idempotency(scope: "till-1", key: "k-1", requestHash: "h2")))
        }
        let h1 = try await rig.ledger.reserveHold(zcard(n), amount: 300, metadata: [:], context: OperationContext(idempotency: Idempotency(scope: "till-1", key: "k-2", requestHash: "h3")))
        let h2 = try await rig.ledger.reserveHold(zcard(n), amount: 300, metadata: [:], context: OperationContext(idempotency: Idempotency(scope: "till-1", key: "k-2", requestHash: "h3")))
        #expect(h1.id == h2.id)
        // What zmyle keeps with the intent holds nothing derived from the request's card (the
        // request fingerprint stays at the till).
        #expect(!h1.metadata.keys.contains("giftbridgeRequest") && !h1.metadata.values.contains { $0.contains("h3") || $0.contains(n) })
        #expect(try await rig.sim.funds(n) == (4000, 3700))
    }

    @Test func wrongCredentialsAreARefusal() async throws {
        let rig = try await ZmyleRig()
        let t = ProviderTransport(endpoint: ProviderEndpoint(baseURL: rig.sim.baseURL, connectTimeoutMs: 500, readTimeoutMs: 500), authorization: "Basic bad")
        defer { Task { await t.shutdown() } }
        let l = try ZmyleLedger(transport: t, outbox: try OutboxStore(path: rig.dir.file("o2.sqlite")), currency: .eur)
        await #expect(throws: LedgerError.providerRefused(provider: "zmyle", code: Zmyle.unauthorizedCode, message: "bad api key or secret")) {
            try await l.reserveHold(zcard("6035720000000011"), amount: 1, metadata: [:], context: OperationContext())
        }
        #expect(try l.outbox.depth(provider: "zmyle") == (0, 0, 0))
    }

    @Test func zmyleReleasesUnconfirmedIntentsByItself() async throws {
        let rig = try await ZmyleRig(intentLifetime: 1)
        let n = "6035720000000045"
        try await rig.sim.addCard(n, balance: 5000, accessToken: ztoken)
        let hold = try await rig.ledger.reserveHold(zcard(n), amount: 2000, metadata: [:], context: OperationContext())
        #expect(try await rig.sim.available(n) == 3000)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await rig.ledger.hold(id: hold.id).status == .expired)
        #expect(try await rig.sim.funds(n) == (5000, 5000))
        await #expect(throws: LedgerError.holdNotOpen(status: "EXPIRED")) { try await rig.ledger.confirmHold(id: hold.id, context: OperationContext()) }
        #expect(try await rig.sim.funds(n) == (5000, 5000))
    }

    /// Each fault × create intent (a hold), confirm (of a hold), redeem (its create, then its
    /// confirm) and cancel: the card's available balance ends where the POS was told it is.
    @Test(arguments: [
        Fault.lateAnswer(ms: 2500), .resetAfterCommit, .resetBeforeCommit, .serverError, .malformedAfterCommit, .slow(ms: 100),
    ])
    func faultMatrix(_ fault: Fault) async throws {
        let rig = try await ZmyleRig()
        let l = rig.ledger
        for (i, op) in ["create", "confirm", "redeem-create", "redeem-confirm", "cancel"].enumerated() {
            let n = "60357210000000\(i)0"
            try await rig.sim.addCard(n, balance: 5000, accessToken: ztoken)
            var hold: HoldRecord?
            if op == "confirm" || op == "cancel" { hold = try await l.reserveHold(zcard(n), amount: 1500, metadata: [:], context: OperationContext()) }
            let before = try await rig.sim.available(n)
            switch op {
            case "create", "redeem-create": rig.sim.faultOnly([.create])
            case "confirm", "redeem-confirm": rig.sim.faultOnly([.confirm])
            default: rig.sim.faultOnly([.cancel])
            }
            rig.sim.faults.inject(fault, on: op == "cancel" ? .reversals : .mutations)
            var told = "success"
            var expected = before
            do {
                switch op {
                case "create": expected = before - (try await l.reserveHold(zcard(n), amount: 1500, metadata: [:], context: OperationContext())).amount
                case "confirm": _ = try await l.confirmHold(id: hold!.id, context: OperationContext())  // held already: available unchanged
                case "cancel": expected = before + (try await l.cancelHold(id: hold!.id, context: OperationContext())).amount
                default: expected = before + (try await l.execute(.redeem(zcard(n), amount: 1200, tip: 100), context: OperationContext())).transaction.amount
                }
            } catch let e as LedgerError {
                told = e.code
                switch (op, e) {
                case ("cancel", .pendingReversal):
                    try await rig.drain()
                    expected = before + 1500  // the cancel goes through later
                case (_, .reversed), (_, .pendingReversal):
                    try await rig.drain()
                    // Undone: a failed confirm cancels the hold it was confirming.
                    expected = op == "confirm" ? before + 1500 : before
                case ("confirm", .storageFailure), ("cancel", .storageFailure), ("create", .storageFailure), ("redeem-create", .storageFailure):
                    // Never sent (connection refused before it left): nothing happened.
                    expected = before
                default:
                    Issue.record("\(op) under \(fault): unexpected \(e)")
                    continue
                }
            }
            rig.sim.faults.clear()
            rig.sim.faultOnly(nil)
            let after = try await rig.sim.available(n)
            #expect(after == expected, "\(op) under \(fault): told \(told), available \(after), expected \(expected)")
            if fault == .slow(ms: 100) { #expect(told == "success", "\(op)") }
            // No hold is lost and none is left behind: reserved is only what the POS holds (a
            // hold it was told it has, or one a confirm or cancel that never left did not touch).
            let funds = try await rig.sim.funds(n)
            let posHolds: Int64 = (op == "create" && told == "success") || (["confirm", "cancel"].contains(op) && told == "ledger_unavailable") ? 1500 : 0
            #expect(funds.balance - funds.available == posHolds, "\(op) under \(fault): told \(told), \(funds)")
        }
        #expect(try l.outbox.depth(provider: "zmyle").open == 0)
    }

    /// The confirm's answer is lost and every cancel fails; the daemon restarts; the worker
    /// cancels the intent from the outbox alone (no card data there).
    @Test func restartWhileACancelIsPending() async throws {
        let rig = try await ZmyleRig()
        let n = "6035720000000052"
        try await rig.sim.addCard(n, balance: 5000, accessToken: ztoken)
        rig.sim.faultOnly([.confirm, .cancel])
        rig.sim.faults.inject(.serverError, on: .mutations)
        rig.sim.faults.inject(.serverError, on: .reversals, times: nil)
        do {
            _ = try await rig.ledger.execute(.redeem(zcard(n), amount: 1000, tip: 0), context: OperationContext())
            Issue.record("no error")
        } catch let e as LedgerError {
            #expect(e.code == "pending_reversal", "\(e)")
        }
        #expect(try await rig.sim.funds(n) == (5000, 4000))  // the intent holds the funds
        let pending = try rig.ledger.outbox.entries(provider: "zmyle", states: [.reversing])
        #expect(pending.count == 1 && pending[0].action == .cancel && pending[0].reference != nil && pending[0].maskedCardNumber == "603572******0052")
        #expect(rig.ledger.health().pendingReversals == 1)

        try await rig.restart()
        #expect(await rig.worker.runOnce(now: Date().addingTimeInterval(120)) == 0)  // zmyle still failing
        rig.sim.faults.clear()
        rig.sim.faultOnly(nil)
        #expect(await rig.worker.runOnce(now: Date().addingTimeInterval(300)) == 1)
        #expect(try await rig.sim.funds(n) == (5000, 5000))
        #expect(try rig.ledger.outbox.depth(provider: "zmyle") == (0, 0, 0))
        #expect(try rig.ledger.outbox.entries(provider: "zmyle", states: [.reversed]).count == 1)
    }

    /// The worker finds the intent confirmed after all: zmyle has no refund, so the entry
    /// waits for a person (stuck) instead of being called reversed.
    @Test func confirmedAfterAllIsStuckForAPerson() async throws {
        let rig = try await ZmyleRig()
        let n = "6035720000000060"
        try await rig.sim.addCard(n, balance: 5000, accessToken: ztoken)
        let hold = try await rig.ledger.reserveHold(zcard(n), amount: 700, metadata: [:], context: OperationContext())
        // As if a confirm's answer was lost and the daemon stopped before it could ask.
        _ = try await rig.sim.server.ledger.confirmHold(id: hold.id, context: OperationContext())
        _ = try rig.ledger.outbox.insert(OutboxEntry(provider: "zmyle", operation: "confirm", externalId: "gb-x", action: .cancel, reference: hold.id, createdAt: Date()))
        try await rig.restart()
        #expect(await rig.worker.runOnce() == 0)
        let stuck = try rig.ledger.outbox.entries(provider: "zmyle", states: [.stuck])
        #expect(stuck.count == 1 && stuck[0].lastError?.contains("no refund") == true, "\(stuck)")
        #expect(rig.ledger.health().outboxStuck == 1)
        #expect(try await rig.sim.funds(n) == (4300, 4300))
    }

    /// After a restart a create whose id never came back cannot be repeated (the access token
    /// is not kept): it waits until zmyle has released the intent.
    @Test func unknownCreateAfterARestartWaitsForZmylesRelease() async throws {
        let rig = try await ZmyleRig()
        let entry = try rig.ledger.outbox.insert(OutboxEntry(provider: "zmyle", operation: "hold", externalId: "gb-lost", action: .cancel, createdAt: Date()))
        try await rig.restart()
        #expect(await rig.worker.runOnce() == 0)
        #expect(try rig.ledger.outbox.entry(id: entry.id)?.state == .reversing)
        var old = try #require(try rig.ledger.outbox.entry(id: entry.id))
        old.nextAttemptAt = Date()
        try rig.ledger.outbox.update(old)
        // Its intent (if any) was released by zmyle long ago.
        let stale = try rig.ledger.outbox.insert(OutboxEntry(provider: "zmyle", operation: "hold", externalId: "gb-old", action: .cancel, state: .reversing, createdAt: Date().addingTimeInterval(-3600)))
        #expect(await rig.worker.runOnce() == 1)
        #expect(try rig.ledger.outbox.entry(id: stale.id)?.state == .reversed)
    }

    @Test func noSecretsInTheOutbox() async throws {
        let rig = try await ZmyleRig()
        let n = "6035720000000078"
        let token = "tok-very-secret-4711"
        try await rig.sim.addCard(n, balance: 5000, accessToken: token)
        _ = try await rig.ledger.execute(.redeem(zcard(n, token: token), amount: 100, tip: 0), context: OperationContext())
        rig.sim.faults.inject(.resetAfterCommit)
        await #expect(throws: LedgerError.self) { try await rig.ledger.reserveHold(zcard(n, token: token), amount: 100, metadata: [:], context: OperationContext()) }
        rig.sim.faults.inject(.serverError, on: .reversals, times: nil)
        rig.sim.faults.inject(.lateAnswer(ms: 2500))
        await #expect(throws: LedgerError.self) { try await rig.ledger.execute(.redeem(zcard(n, token: token), amount: 100, tip: 0), context: OperationContext()) }
        #expect(try rig.ledger.outbox.entries(provider: "zmyle").count == 3)
        var bytes: [UInt8] = []
        for suffix in ["", "-wal"] { bytes += (FileManager.default.contents(atPath: rig.dir.file("outbox.sqlite" + suffix)).map(Array.init) ?? []) }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("603572******0078"))
        #expect(!text.contains(token) && !text.contains(n) && !text.contains(rig.sim.apiSecret))
    }
}

@Suite struct ZmyleMappingTests {
    @Test func compactTimes() {
        let d = Zmyle.date(compact: "20171127T052256Z")
        #expect(d.map(LedgerTime.timestamp) == "2017-11-27T05:22:56.000Z")
        #expect(d.map(Zmyle.compact) == "20171127T052256Z")
        for bad in ["", "20171127T052256", "2017-11-27T05:22:56Z", "20171327T052256Z", "2017112xT052256Z"] { #expect(Zmyle.date(compact: bad) == nil, "\(bad)") }
    }

    @Test func intentReplyAndErrors() throws {
        let body = #"{"expiresAt":"20171127T061957Z","statementDescriptor":"MegaStore","retailerId":"15h3","amount":100,"giftcardTransactionId":"18k7e49n4n25e25wt5z9","giftcardId":"6035720000000011","id":"18k7e43ib6fnfnnfc48d34spk5nl","status":"SUCCEEDED","createdAt":"20171127T054957Z","currency":"EUR","metadata":{"store":"megastore"}}"#
        let i = try Zmyle.parseReply(status: 200, body: Array(body.utf8)).get()
        #expect(i.status == .confirmed && i.amount == 100 && i.giftcardTransactionId == "18k7e49n4n25e25wt5z9" && i.metadata == ["store": "megastore"])
        let h = Zmyle.hold(i, currency: .eur)
        #expect(h.maskedCardNumber == "603572******0011" && h.createdAt == "2017-11-27T05:49:57.000Z" && h.transactionId == Zmyle.transactionId("18k7e49n4n25e25wt5z9"))
        #expect(Zmyle.transactionId("18k7e49n4n25e25wt5z9") < 1 << 53)
        func refusal(_ status: Int, _ text: String) throws -> LedgerError? {
            if case .failure(let e) = try Zmyle.parseReply(status: status, body: Array(text.utf8)) { return e }
            return nil
        }
        #expect(try refusal(400, #"{"errorId":"api:biz:insufficientFunds","errorMsg":"x","status":400,"occuredAt":"20171126T060137Z"}"#) == .insufficientFunds)
        #expect(try refusal(404, #"{"code":"api:biz:noSuchGiftcard","message":"x"}"#) == .cardNotFound)
        #expect(try refusal(404, #"{"errorId":"api:biz:noSuchTransactionIntent"}"#) == .holdNotFound)
        #expect(try refusal(409, #"{"errorId":"api:biz:transactionIntentStatus"}"#)?.code == "hold_not_open")
        #expect(try refusal(400, #"{"errorId":"api:io:malformedToken","errorMsg":"accessToken"}"#)?.code == "invalid_request")
        #expect(try refusal(422, #"{"errorId":"api:biz:retailerStatus","errorMsg":"m"}"#) == .providerRefused(provider: "zmyle", code: "api:biz:retailerStatus", message: "m"))
        #expect(try refusal(422, #"{"errorId":"api:biz:unpaidGiftcard"}"#) == .cardInactive)
        #expect(try refusal(403, "<html>") == .providerRefused(provider: "zmyle", code: "http_403", message: "http_403"))
        #expect(throws: Zmyle.MalformedReply.self) { try Zmyle.parseReply(status: 200, body: Array(#"{"id":"x","status":"WEIRD","amount":1}"#.utf8)) }
        #expect(throws: Zmyle.MalformedReply.self) { try Zmyle.parseReply(status: 200, body: Array("{\"result\": \"succ".utf8)) }
    }

    @Test func requestsCarryTheTokenOnlyInTheBody() throws {
        let (id, token) = try Zmyle.giftcard(CardInfo(trackInfo: "6035720000000011=25121010000000000000", cardRegCode: "t0k"))
        #expect(id == "6035720000000011" && token == "t0k")
        #expect(throws: LedgerError.self) { try Zmyle.giftcard(CardInfo(printedCardNumber: "6035720000000011")) }
        let r = Zmyle.createIntent(giftcardId: id, accessToken: token, amount: 250, metadata: ["b": "2", "a": "1"], idempotencyKey: "gb-1")
        #expect(r.method == "PUT" && r.path == "service/v1.1/transaction_intents" && r.idempotencyKey == "gb-1")
        #expect(r.body?.serialized == #"{"giftcardId":"6035720000000011","accessToken":"t0k","amount":250,"metadata":{"a":"1","b":"2"}}"#)
        #expect(Zmyle.confirm("abc").path == "service/v1.1/transaction_intents/abc/confirm" && Zmyle.retrieve("abc").method == "GET")
    }
}
