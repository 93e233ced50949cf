import CardReading
import ConnectorCore
import ConnectorSimulators
import Connectors
import Foundation
import Ledger
import Logging
import Testing
import TestSupport

/// A Piggy connector against the simulator over real HTTP, with the outbox on real SQLite.
final class PiggyRig: @unchecked Sendable {
    let sim: PiggySimulator
    let dir: TemporaryDirectory
    var ledger: PiggyLedger
    var transport: ProviderTransport
    let settleSeconds: TimeInterval

    init(settleSeconds: TimeInterval = 0) async throws {
        sim = try await PiggySimulator()
        dir = try TemporaryDirectory()
        self.settleSeconds = settleSeconds
        try await sim.addShop("shop-1", name: "Till street")
        (ledger, transport) = try Self.connect(sim, dir, settleSeconds)
    }

    static func connect(_ sim: PiggySimulator, _ dir: TemporaryDirectory, _ settle: TimeInterval) throws -> (PiggyLedger, ProviderTransport) {
        let transport = ProviderTransport(
            endpoint: ProviderEndpoint(baseURL: sim.baseURL, connectTimeoutMs: 500, readTimeoutMs: PaytronixRig.readTimeoutMs), authorization: sim.authorization)
        let ledger = try PiggyLedger(
            transport: transport, outbox: try OutboxStore(path: dir.file("outbox.sqlite")),
            settings: Piggy.Settings(shopUuid: "shop-1", currency: .eur, settleSeconds: settle))
        return (ledger, transport)
    }

    func restart() async throws {
        await transport.shutdown()
        (ledger, transport) = try Self.connect(sim, dir, settleSeconds)
    }

    var worker: OutboxWorker { OutboxWorker(ledger: ledger, logger: Logger(label: "test")) }

    /// Runs the worker until the outbox is empty (at most 20 passes, each as if 2 min later).
    func drain() async throws {
        for _ in 0..<20 where try ledger.outbox.depth(provider: "piggy").open > 0 {
            await worker.runOnce(now: Date().addingTimeInterval(120))
        }
    }

    deinit {
        let t = transport
        Task { await t.shutdown() }
    }
}

@Suite(.serialized) struct PiggyConnectorTests {
    @Test func giftcardOperations() async throws {
        let rig = try await PiggyRig()
        let l = rig.ledger
        let ctx = OperationContext()
        // A physical card: sold, reloaded, redeemed with a tip, reversed (last only), cashed out.
        try await rig.sim.addCard("7001000000000011", balance: 0)
        let sold = try await l.execute(.sell(card("7001000000000011"), amount: 5000), context: ctx)
        #expect(sold.card.balance.minorUnits == 5000 && sold.transaction.amount == 5000 && sold.transaction.balanceBefore == 0)
        #expect(sold.card.maskedNumber == "700100******0011" && sold.transaction.kind == .sell)
        let reloaded = try await l.execute(.reload(card("7001000000000011"), amount: 1500), context: ctx)
        #expect(reloaded.card.balance.minorUnits == 6500)
        let redeemed = try await l.execute(.redeem(card("7001000000000011"), amount: 1200, tip: 150), context: ctx)
        #expect(redeemed.transaction.amount == -1350 && redeemed.transaction.tip == 150 && redeemed.card.balance.minorUnits == 5150)
        #expect(try await l.balance(of: card("7001000000000011"), context: RequestContext()).balance.minorUnits == 5150)
        // Piggy reverses only a card's last transaction.
        await #expect(throws: LedgerError.notLastTransaction) { try await l.execute(.reverse(transactionId: reloaded.transaction.id), context: ctx) }
        let reversal = try await l.execute(.reverse(transactionId: redeemed.transaction.id), context: ctx)
        #expect(reversal.transaction.amount == 1350 && reversal.card.balance.minorUnits == 6500 && reversal.transaction.reversesId == redeemed.transaction.id)
        let cashed = try await l.execute(.cashOut(card("7001000000000011")), context: ctx)
        #expect(cashed.transaction.amount == -6500 && cashed.card.balance.minorUnits == 0)
        #expect(try await rig.sim.balance("7001000000000011") == 0)
        // Every transaction carries giftbridge's external id, as the outbox needs.
        #expect(rig.sim.transactions("7001000000000011").filter { $0.attributes[Piggy.externalIdAttribute] != nil }.count == 5)

        // Piggy's refusals, typed.
        try await rig.sim.addCard("7001000000000029", balance: 1000, form: .digital)
        await #expect(throws: LedgerError.cardCannotBeLoaded) { try await l.execute(.reload(card("7001000000000029"), amount: 100), context: ctx) }
        await #expect(throws: LedgerError.insufficientFunds) { try await l.execute(.redeem(card("7001000000000029"), amount: 1001, tip: 0), context: ctx) }
        await #expect(throws: LedgerError.cardNotFound) { try await l.execute(.redeem(card("7001000000009999"), amount: 1, tip: 0), context: ctx) }
        try await rig.sim.addCard("7001000000000037", balance: 1000, expiresOn: "2020-01-31")
        await #expect(throws: LedgerError.cardExpired) { try await l.execute(.redeem(card("7001000000000037"), amount: 100, tip: 0), context: ctx) }
        // What Piggy lacks.
        for unsupported in [
            { try await l.execute(.exchange(card("7001000000000011"), to: card("7001000000000029")), context: ctx) },
            { try await l.execute(.redeem(card("7001000000000029"), amount: 1, tip: 0), context: OperationContext(idempotency: Idempotency(scope: "till-1", key: "k1", requestHash: "h1"))) },
        ] as [() async throws -> GiftResult] {
            do { _ = try await unsupported(); Issue.record("accepted") } catch let e as LedgerError { #expect(e.code == "unsupported_by_ledger") }
        }
        await #expect(throws: LedgerError.self) { try await l.reserveHold(card("7001000000000029"), amount: 100, metadata: [:], context: ctx) }
        #expect(try l.outbox.depth(provider: "piggy") == (0, 0, 0))
    }

    @Test func prepaidOperations() async throws {
        let rig = try await PiggyRig()
        let l = rig.ledger
        try await rig.sim.addContact("contact-1", identifier: "MEMBER-77", balance: 0)
        let added = try await l.prepaidTransaction(contactUuid: "contact-1", identifierValue: nil, shopUuid: "shop-1", amount: 2500, context: OperationContext())
        #expect(added.amount == 2500 && added.balanceAfter == 2500 && added.shop.uuid == "shop-1")
        let byIdentifier = try await l.prepaidTransaction(contactUuid: nil, identifierValue: "MEMBER-77", shopUuid: "", amount: -1000, context: OperationContext())
        #expect(byIdentifier.balanceAfter == 1500)
        await #expect(throws: LedgerError.insufficientFunds) {
            try await l.prepaidTransaction(contactUuid: "contact-1", identifierValue: nil, shopUuid: "shop-1", amount: -9999, context: OperationContext())
        }
        await #expect(throws: LedgerError.contactNotFound) {
            try await l.prepaidTransaction(contactUuid: "nobody", identifierValue: nil, shopUuid: "shop-1", amount: 100, context: OperationContext())
        }
        #expect(try await l.prepaidBalance(contactUuid: "contact-1").prepaidBalance.minorUnits == 1500)
        // A reversal that would take the balance below zero is refused; another one is booked once.
        await #expect(throws: LedgerError.insufficientFunds) { try await l.reversePrepaid(uuid: added.uuid, context: OperationContext()) }
        let reversed = try await l.reversePrepaid(uuid: byIdentifier.uuid, context: OperationContext())
        #expect(reversed.amount == 1000 && reversed.balanceAfter == 2500 && reversed.reversesUuid == byIdentifier.uuid)
        await #expect(throws: LedgerError.self) { try await l.reversePrepaid(uuid: byIdentifier.uuid, context: OperationContext()) }
        #expect(try l.outbox.depth(provider: "piggy") == (0, 0, 0))
        _ = try await l.prepaidTransaction(contactUuid: "contact-1", identifierValue: nil, shopUuid: "shop-1", amount: 300, context: OperationContext())
        let page1 = try await l.prepaidTransactions(contactUuid: "contact-1", shopUuid: nil, page: 1, perPage: 2)
        let page2 = try await l.prepaidTransactions(contactUuid: "contact-1", shopUuid: nil, page: 2, perPage: 2)
        #expect(page1.total == page2.total && page1.items.count == 2 && page1.lastPage == (page1.total + 1) / 2)
        #expect(Set(page1.items.map(\.uuid)).isDisjoint(with: page2.items.map(\.uuid)))
        #expect(try await l.prepaidBalance(contactUuid: "contact-1").prepaidBalance.minorUnits == rig.sim.prepaidBalance("contact-1"))
    }

    /// Each fault × each mutating operation: the card ends where the POS was told it is.
    @Test(arguments: [
        Fault.lateAnswer(ms: 2500), .resetAfterCommit, .resetBeforeCommit, .serverError, .malformedAfterCommit, .slow(ms: 100),
    ])
    func faultMatrix(_ fault: Fault) async throws {
        let rig = try await PiggyRig()
        let l = rig.ledger
        try await rig.sim.addContact("contact-f", balance: 4000)
        for (i, op) in ["sell", "reload", "redeem", "cash-out", "reverse", "prepaid"].enumerated() {
            let number = "70010000001000\(i)0"
            try await rig.sim.addCard(number, balance: op == "sell" ? 0 : 5000)
            var target: Int64?
            if op == "reverse" { target = try await l.execute(.redeem(card(number), amount: 700, tip: 0), context: OperationContext()).transaction.id }
            let before = op == "prepaid" ? try await rig.sim.prepaidBalance("contact-f") : try await rig.sim.balance(number)
            rig.sim.faults.inject(fault, on: op == "reverse" ? .reversals : .mutations)
            var told = "success"
            var expected = before
            do {
                switch op {
                case "prepaid":
                    expected = try await l.prepaidTransaction(contactUuid: "contact-f", identifierValue: nil, shopUuid: "shop-1", amount: -1500, context: OperationContext()).balanceAfter
                default:
                    let command: GiftCommand = switch op {
                    case "sell": .sell(card(number), amount: 2500)
                    case "reload": .reload(card(number), amount: 1500)
                    case "redeem": .redeem(card(number), amount: 1200, tip: 100)
                    case "cash-out": .cashOut(card(number))
                    default: .reverse(transactionId: target!)
                    }
                    expected = try await l.execute(command, context: OperationContext()).card.balance.minorUnits
                }
            } catch let e as LedgerError {
                told = e.code
                switch e {
                case .reversed: break
                case .pendingReversal: try await rig.drain()
                // A reversal whose answer was lost is sent again until it is done.
                case .alreadyReversed where op == "reverse": break
                default: Issue.record("\(op) under \(fault): unexpected \(e)")
                }
                if op == "reverse" { expected = before + 700 }
            }
            rig.sim.faults.clear()
            let after = op == "prepaid" ? try await rig.sim.prepaidBalance("contact-f") : try await rig.sim.balance(number)
            #expect(after == expected, "\(op) under \(fault): told \(told), balance \(after), expected \(expected)")
            if fault == .slow(ms: 100) { #expect(told == "success", "\(op)") } else {
                #expect(["reversed", "pending_reversal", op == "reverse" ? "already_reversed" : "-"].contains(told), "\(op) under \(fault): told \(told)")
            }
        }
        #expect(try l.outbox.depth(provider: "piggy") == (0, 0, 0))
    }

    /// The answer of a redeem is lost and its reversal fails; meanwhile the till books another
    /// redeem on the card. Piggy now refuses to reverse the lost one (not the last, 55025): the
    /// worker books a compensating transaction instead, once, even when it runs again.
    @Test func aLostRedeemUnderALaterOneIsCompensatedOnce() async throws {
        let rig = try await PiggyRig()
        try await rig.sim.addCard("7001000000000045", balance: 5000)
        rig.sim.faults.inject(.lateAnswer(ms: 2500))
        rig.sim.faults.inject(.serverError, on: .reversals, times: nil)
        await #expect(throws: LedgerError.self) {
            try await rig.ledger.execute(.redeem(card("7001000000000045"), amount: 1000, tip: 0), context: OperationContext(externalTransactionId: "pos-lost"))
        }
        rig.sim.faults.clear()
        try await Task.sleep(for: .milliseconds(800))
        #expect(try rig.ledger.outbox.depth(provider: "piggy").open == 1)
        _ = try await rig.ledger.execute(.redeem(card("7001000000000045"), amount: 300, tip: 0), context: OperationContext())
        #expect(try await rig.sim.balance("7001000000000045") == 3700)
        try await rig.drain()
        #expect(try await rig.sim.balance("7001000000000045") == 4700)
        let compensations = rig.sim.transactions("7001000000000045").filter { $0.attributes[Piggy.compensatesAttribute] == "pos-lost" }
        #expect(compensations.map(\.amount) == [1000])
        #expect(try rig.ledger.outbox.depth(provider: "piggy") == (0, 0, 0))
        // Resolving the same entry again finds the compensation and books nothing.
        let entry = try #require(try rig.ledger.outbox.entries(provider: "piggy", states: [.reversed]).first)
        #expect(await rig.ledger.resolve(entry) == .confirmed)
        #expect(try await rig.sim.balance("7001000000000045") == 4700)
    }

    @Test func restartWhileAReversalIsPending() async throws {
        let rig = try await PiggyRig()
        try await rig.sim.addCard("7001000000000052", balance: 5000)
        rig.sim.faults.inject(.resetAfterCommit)
        rig.sim.faults.inject(.serverError, on: .all, times: nil)
        await #expect(throws: LedgerError.pendingReversal(externalTransactionId: "pos-r")) {
            try await rig.ledger.execute(.redeem(card("7001000000000052"), amount: 1000, tip: 0), context: OperationContext(externalTransactionId: "pos-r"))
        }
        #expect(try await rig.sim.balance("7001000000000052") == 4000)
        let pending = try rig.ledger.outbox.entries(provider: "piggy", states: [.reversing])
        #expect(pending.map(\.maskedCardNumber) == ["700100******0052"])
        try await rig.restart()
        rig.sim.faults.clear()
        #expect(await rig.worker.runOnce(now: Date().addingTimeInterval(120)) == 1)
        #expect(try await rig.sim.balance("7001000000000052") == 5000)
        // The outbox file holds masked numbers and ids, never the card number.
        let file = try Data(contentsOf: URL(fileURLWithPath: rig.dir.file("outbox.sqlite")))
        #expect(file.range(of: Data("7001000000000052".utf8)) == nil)
    }

    /// A card is looked up by its number in the query (`?hash=`): a failing lookup names the
    /// path, never the number, to the POS, in /v1/health and in the outbox.
    @Test func aFailedLookupDoesNotCarryTheCardNumber() async throws {
        let rig = try await PiggyRig()
        try await rig.sim.addCard("7001000000000102", balance: 5000)
        rig.sim.faults.inject(.serverError, on: .reads, times: nil)
        do {
            _ = try await rig.ledger.balance(of: card("7001000000000102"), context: RequestContext())
            Issue.record("answered")
        } catch let e as LedgerError {
            #expect(e.code == "ledger_unavailable" && e.description.contains("giftcards/find-one-by-hash"), "\(e)")
            #expect(!e.description.contains("7001000000000102"))
        }
        #expect(rig.ledger.health().lastError?.contains("7001000000000102") == false)
    }

    /// A request that reached Piggy late may still book: "not found" means "never booked" only
    /// after the settle time.
    @Test func notFoundIsNotBookedOnlyAfterTheSettleTime() async throws {
        let rig = try await PiggyRig(settleSeconds: 30)
        try await rig.sim.addCard("7001000000000060", balance: 5000)
        rig.sim.faults.inject(.resetBeforeCommit)
        await #expect(throws: LedgerError.pendingReversal(externalTransactionId: "pos-s")) {
            try await rig.ledger.execute(.redeem(card("7001000000000060"), amount: 1000, tip: 0), context: OperationContext(externalTransactionId: "pos-s"))
        }
        let entry = try #require(try rig.ledger.outbox.entries(provider: "piggy", states: [.reversing]).first)
        guard case .retry = await rig.ledger.resolve(entry) else { Issue.record("concluded before the settle time"); return }
        var old = entry
        old.createdAt = Date().addingTimeInterval(-31)
        #expect(await rig.ledger.resolve(old) == .confirmed)
        #expect(try await rig.sim.balance("7001000000000060") == 5000)
        // The POS asking to reverse it by its external id hears what the outbox is doing.
        await #expect(throws: LedgerError.pendingReversal(externalTransactionId: "pos-s")) {
            try await rig.ledger.execute(.reverseExternal(externalTransactionId: "pos-s"), context: OperationContext())
        }
        await #expect(throws: LedgerError.transactionNotFound) {
            try await rig.ledger.execute(.reverseExternal(externalTransactionId: "never-sent"), context: OperationContext())
        }
    }
}
