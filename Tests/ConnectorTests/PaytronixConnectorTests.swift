import CardReading
import ConnectorCore
import ConnectorSimulators
import Connectors
import Foundation
import Ledger
import Logging
import Testing
import TestSupport

/// A Paytronix connector against the simulator over real HTTP, with the outbox on real SQLite.
final class PaytronixRig: @unchecked Sendable {
    let sim: PaytronixSimulator
    let dir: TemporaryDirectory
    var ledger: PaytronixLedger
    var transport: ProviderTransport
    static let readTimeoutMs = 1000  // generous: a loaded CI machine answers late; the late-answer fault is well past it

    init() async throws {
        sim = try await PaytronixSimulator()
        dir = try TemporaryDirectory()
        (ledger, transport) = try Self.connect(sim, dir)
    }

    static func connect(_ sim: PaytronixSimulator, _ dir: TemporaryDirectory) throws -> (PaytronixLedger, ProviderTransport) {
        let transport = ProviderTransport(
            endpoint: ProviderEndpoint(baseURL: sim.baseURL, connectTimeoutMs: 500, readTimeoutMs: readTimeoutMs), authorization: sim.authorization)
        let ledger = try PaytronixLedger(
            transport: transport, outbox: try OutboxStore(path: dir.file("outbox.sqlite")),
            settings: Paytronix.Settings(merchantId: sim.merchantId, storeCode: "store-1", currency: .eur))
        return (ledger, transport)
    }

    /// As after a daemon restart: a new connector on the same outbox file.
    func restart() async throws {
        await transport.shutdown()
        (ledger, transport) = try Self.connect(sim, dir)
    }

    var worker: OutboxWorker { OutboxWorker(ledger: ledger, logger: Logger(label: "test")) }

    deinit {
        let t = transport
        Task { await t.shutdown() }
    }
}

func card(_ n: String) -> CardInfo { CardInfo(printedCardNumber: n) }

@Suite(.serialized) struct PaytronixConnectorTests {
    @Test func everyOperation() async throws {
        let rig = try await PaytronixRig()
        let l = rig.ledger
        try await rig.sim.addCard("6035710000000011", balance: 0)
        try await rig.sim.addCard("6035710000000029", balance: 0)

        let sold = try await l.execute(.sell(card("6035710000000011"), amount: 5000), context: OperationContext(cashier: "ann"))
        #expect(sold.transaction.kind == .sell && sold.card.balance.minorUnits == 5000 && sold.transaction.amount == 5000)
        #expect(sold.transaction.maskedCardNumber == "603571******0011")
        let reloaded = try await l.execute(.reload(card("6035710000000011"), amount: 1010), context: OperationContext())
        #expect(reloaded.transaction.balanceBefore == 5000 && reloaded.card.balance.minorUnits == 6010)
        let redeemed = try await l.execute(.redeem(card("6035710000000011"), amount: 2000, tip: 250), context: OperationContext(externalTransactionId: "pos-1"))
        #expect(redeemed.transaction.amount == -2250 && redeemed.card.balance.minorUnits == 3760)
        #expect(try await l.balance(of: card("6035710000000011"), context: RequestContext()).balance.minorUnits == 3760)

        let byExternal = try await l.execute(.reverseExternal(externalTransactionId: "pos-1"), context: OperationContext())
        #expect(byExternal.card.balance.minorUnits == 6010 && byExternal.transaction.kind == .reversal)
        let byId = try await l.execute(.reverse(transactionId: reloaded.transaction.id), context: OperationContext())
        #expect(byId.card.balance.minorUnits == 5000 && byId.transaction.reversesId == reloaded.transaction.id)

        let exchanged = try await l.execute(.exchange(card("6035710000000011"), to: card("6035710000000029")), context: OperationContext())
        #expect(exchanged.card.balance.minorUnits == 5000 && exchanged.transaction.kind == .exchangeIn)
        let cashed = try await l.execute(.cashOut(card("6035710000000029")), context: OperationContext())
        #expect(cashed.card.balance.minorUnits == 0 && cashed.transaction.amount == -5000)
        #expect(try await rig.sim.balance("6035710000000029") == 0)

        // Refusals come back typed.
        await #expect(throws: LedgerError.insufficientFunds) { try await l.execute(.redeem(card("6035710000000029"), amount: 1, tip: 0), context: OperationContext()) }
        await #expect(throws: LedgerError.cardNotFound) { try await l.balance(of: card("0000000000000000"), context: RequestContext()) }
        await #expect(throws: LedgerError.alreadyReversed) { try await l.execute(.reverse(transactionId: reloaded.transaction.id), context: OperationContext()) }
        // What Paytronix does not have.
        await #expect(throws: LedgerError.unsupportedByLedger(provider: "paytronix", operation: "holds (transaction intents)")) {
            try await l.reserveHold(card("6035710000000011"), amount: 1, metadata: [:], context: OperationContext())
        }
        await #expect(throws: LedgerError.self) { try await l.prepaidBalance(contactUuid: "x") }
        // Every answered request closed its outbox entry.
        #expect(try l.outbox.depth(provider: "paytronix") == (0, 0, 0))
        #expect(l.health().reachable)
    }

    @Test func wrongCredentialsAreARefusalNotACrash() async throws {
        let rig = try await PaytronixRig()
        let t = ProviderTransport(endpoint: ProviderEndpoint(baseURL: rig.sim.baseURL, connectTimeoutMs: 500, readTimeoutMs: 500), authorization: "Basic bad")
        defer { Task { await t.shutdown() } }
        let l = try PaytronixLedger(transport: t, outbox: try OutboxStore(path: rig.dir.file("o2.sqlite")), settings: .init(merchantId: 4242, storeCode: "s", currency: .eur))
        await #expect(throws: LedgerError.providerRefused(provider: "paytronix", code: "auth.invalid_credentials", message: "bad credentials")) {
            try await l.balance(of: card("1"), context: RequestContext())
        }
    }

    @Test func unreachableProviderBooksNothingAndQueuesNothing() async throws {
        let dir = try TemporaryDirectory()
        let t = ProviderTransport(endpoint: ProviderEndpoint(baseURL: "http://127.0.0.1:9/", connectTimeoutMs: 300, readTimeoutMs: 300), authorization: nil)
        defer { Task { await t.shutdown() } }
        let l = try PaytronixLedger(transport: t, outbox: try OutboxStore(path: dir.file("o.sqlite")), settings: .init(merchantId: 1, storeCode: "s", currency: .eur))
        do {
            _ = try await l.execute(.redeem(card("1"), amount: 1, tip: 0), context: OperationContext())
            Issue.record("no error")
        } catch let e as LedgerError {
            #expect(e.code == "ledger_unavailable" || e.code == "pending_reversal" || e.code == "reversed", "\(e)")
        }
        #expect(!l.health().reachable)
    }

    /// Each fault × each mutating operation: the card ends where the POS was told it is.
    @Test(arguments: [
        Fault.lateAnswer(ms: 2500), .resetAfterCommit, .resetBeforeCommit, .serverError, .malformedAfterCommit, .slow(ms: 100),
    ])
    func faultMatrix(_ fault: Fault) async throws {
        let rig = try await PaytronixRig()
        let l = rig.ledger
        let operations = ["sell", "reload", "redeem", "cash-out", "exchange", "reverse"]
        for (i, op) in operations.enumerated() {
            let a = "60357100000010\(i)0", b = "60357100000020\(i)0"
            try await rig.sim.addCard(a, balance: op == "sell" ? 0 : 5000)
            try await rig.sim.addCard(b, balance: 0)
            var reverseTarget: Int64?
            if op == "reverse" { reverseTarget = try await l.execute(.reload(card(a), amount: 700), context: OperationContext()).transaction.id }
            let before = (try await rig.sim.balance(a), try await rig.sim.balance(b))
            let command: GiftCommand = switch op {
            case "sell": .sell(card(a), amount: 2500)
            case "reload": .reload(card(a), amount: 1500)
            case "redeem": .redeem(card(a), amount: 1200, tip: 100)
            case "cash-out": .cashOut(card(a))
            case "exchange": .exchange(card(a), to: card(b))
            default: .reverse(transactionId: reverseTarget!)
            }
            rig.sim.faults.inject(fault, on: op == "reverse" ? .reversals : .mutations)
            var told: String
            var expected: (Int64, Int64)
            do {
                let r = try await l.execute(command, context: OperationContext())
                told = "success"
                expected = op == "exchange" ? (0, r.card.balance.minorUnits) : (r.card.balance.minorUnits, before.1)
            } catch let e as LedgerError {
                told = e.code
                switch e {
                case .reversed: expected = before
                case .pendingReversal:
                    // Not yet reversed: the worker finishes the job (the fault was used up).
                    expected = before
                    while try l.outbox.depth(provider: "paytronix").open > 0 { await rig.worker.runOnce(now: Date().addingTimeInterval(120)) }
                case .alreadyReversed where op == "reverse": expected = (before.0 - 700, before.1)
                case .reversalRefused where op == "exchange":
                    // An exchange cannot be reversed (it is undone by exchanging back); the
                    // value is on exactly one of the two cards, and the entry waits for a person.
                    let now = (try await rig.sim.balance(a), try await rig.sim.balance(b))
                    #expect(now.0 + now.1 == before.0 + before.1 && (now.0 == 0 || now.1 == 0))
                    #expect(try l.outbox.depth(provider: "paytronix").stuck == 1)
                    rig.sim.faults.clear()
                    continue
                default: Issue.record("\(op) under \(fault): unexpected \(e)"); continue
                }
            }
            rig.sim.faults.clear()
            let after = (try await rig.sim.balance(a), try await rig.sim.balance(b))
            #expect(after == expected, "\(op) under \(fault): told \(told), card \(after) expected \(expected)")
            if fault == .slow(ms: 100) { #expect(told == "success", "\(op)") } else if op != "reverse" {
                #expect(["reversed", "pending_reversal"].contains(told), "\(op) under \(fault): told \(told)")
            }
        }
        #expect(try l.outbox.depth(provider: "paytronix").open == 0)
    }

    @Test func restartWhileAReversalIsPending() async throws {
        let rig = try await PaytronixRig()
        try await rig.sim.addCard("6035710000000037", balance: 5000)
        rig.sim.faults.inject(.lateAnswer(ms: 2500))
        rig.sim.faults.inject(.serverError, on: .reversals, times: nil)
        await #expect(throws: LedgerError.self) {
            try await rig.ledger.execute(.redeem(card("6035710000000037"), amount: 1000, tip: 0), context: OperationContext(externalTransactionId: "pos-r1"))
        }
        try await Task.sleep(for: .milliseconds(700))
        #expect(try await rig.sim.balance("6035710000000037") == 4000)  // booked, answer lost
        let pending = try rig.ledger.outbox.entries(provider: "paytronix", states: [.reversing])
        #expect(pending.map(\.externalId) == ["pos-r1"] && pending[0].maskedCardNumber == "603571******0037")
        #expect(rig.ledger.health().outboxDepth == 1)

        // The daemon stops and starts again; the provider works again.
        try await rig.restart()
        rig.sim.faults.clear()
        #expect(await rig.worker.runOnce(now: Date().addingTimeInterval(120)) == 1)
        #expect(try await rig.sim.balance("6035710000000037") == 5000)
        #expect(try rig.ledger.outbox.depth(provider: "paytronix") == (0, 0, 0))
        #expect(try rig.ledger.outbox.entries(provider: "paytronix", states: [.reversed]).count == 1)
    }

    /// The worker does not poll: with nothing to reverse it makes one pass and sleeps; a
    /// request that leaves a reversal wakes it, and it sleeps again until the back-off is over.
    @Test func theWorkerSleepsUntilAReversalIsLeftOrDue() async throws {
        let rig = try await PaytronixRig()
        try await rig.sim.addCard("6035710000000060", balance: 5000)
        let worker = rig.worker
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(400))
        #expect(worker.passes == 1)
        // The answer is lost and the first reversal attempt fails too: the worker takes over.
        rig.sim.faults.inject(.serverError)
        rig.sim.faults.inject(.serverError, on: .reversals)
        await #expect(throws: LedgerError.pendingReversal(externalTransactionId: "pos-w1")) {
            try await rig.ledger.execute(.redeem(card("6035710000000060"), amount: 1000, tip: 0), context: OperationContext(externalTransactionId: "pos-w1"))
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while try rig.ledger.outbox.depth(provider: "paytronix").open > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try rig.ledger.outbox.depth(provider: "paytronix") == (0, 0, 0))
        #expect(try await rig.sim.balance("6035710000000060") == 5000)
        // Woken by the request, then once more when the 1 s back-off was over.
        let passes = worker.passes
        #expect((2...4).contains(passes), "\(passes) passes")
        try await Task.sleep(for: .milliseconds(400))
        #expect(worker.passes == passes)
    }

    @Test func requestInFlightWhenTheDaemonDiedIsReversedAtStart() async throws {
        let rig = try await PaytronixRig()
        try await rig.sim.addCard("6035710000000045", balance: 5000)
        // The request was booked at the provider; the daemon died before it wrote the answer down.
        _ = try await rig.sim.ledger.execute(.redeem(card("6035710000000045"), amount: 500, tip: 0), context: OperationContext(externalTransactionId: "gb-dead"))
        _ = try rig.ledger.outbox.insert(OutboxEntry(provider: "paytronix", operation: "redeem", externalId: "gb-dead", action: .undo, createdAt: Date()))
        try await rig.restart()
        #expect(await rig.worker.runOnce() == 1)
        #expect(try await rig.sim.balance("6035710000000045") == 5000)
    }

    @Test func lateRequestAfterItsReversalIsRefused() async throws {
        let rig = try await PaytronixRig()
        try await rig.sim.addCard("6035710000000052", balance: 5000)
        // The reversal arrives first (the request is still on its way): the provider keeps the id.
        _ = try rig.ledger.outbox.insert(OutboxEntry(provider: "paytronix", operation: "redeem", externalId: "gb-slow", action: .undo, state: .reversing, createdAt: Date()))
        #expect(await rig.worker.runOnce() == 1)
        await #expect(throws: LedgerError.alreadyReversed) {
            try await rig.ledger.execute(.redeem(card("6035710000000052"), amount: 500, tip: 0), context: OperationContext(externalTransactionId: "gb-slow"))
        }
        #expect(try await rig.sim.balance("6035710000000052") == 5000)
    }
}
