import CardReading
import Foundation
import Ledger
import Metrics
import Prometheus
import Synchronization

/// The daemon's metrics in Prometheus' text format (`GET /metrics`), through swift-metrics:
/// parts record with `Counter`/`Timer`/`Gauge` wherever they are; this bootstraps the metrics
/// system once per process with a Prometheus registry and renders it. Labels carry configured
/// reader ids, operation names, printer ids and outcomes, never card data, and never a value a
/// client chose: every label has a fixed set of values, so the series stay few.
public enum DaemonMetrics {
    private static let registry = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Bootstraps swift-metrics with a Prometheus registry (once; later calls reuse it).
    public static func bootstrap() {
        registry.withLock { current in
            guard current == nil else { return }
            let r = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: r)
            // Till operations take 0.1–50 ms; the tail up to seconds shows a stalled store.
            factory.defaultDurationHistogramBuckets = [
                .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
            ]
            MetricsSystem.bootstrap(factory)
            current = r
        }
    }

    /// The text exposition; empty before ``bootstrap()``.
    public static func render() -> String {
        registry.withLock { $0?.emitToString() } ?? ""
    }

    /// One complete read from a reader: `ok` (a card.read) or `error` (a card.error). `reader`
    /// is a configured reader's id or `simulated` (``CardPipeline/metricLabel(_:)``).
    static func read(reader: String, ok: Bool) {
        Counter(label: "giftbridge_reads_total", dimensions: [("reader", reader), ("result", ok ? "ok" : "error")]).increment()
    }

    /// One attempt at printing a job and how it ended.
    static func printAttempt(printer: String, outcome: String) {
        Counter(label: "giftbridge_print_attempts_total", dimensions: [("printer", printer), ("outcome", outcome)]).increment()
    }

    /// Measures one ledger operation: its latency, and a count by result (`ok` or the error code).
    static func ledger<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let value = try await body()
            finish(operation, "ok", start)
            return value
        } catch let error as LedgerError {
            finish(operation, error.code, start)
            throw error
        } catch {
            finish(operation, "failed", start)
            throw error
        }
    }

    private static func finish(_ operation: String, _ result: String, _ start: ContinuousClock.Instant) {
        Timer(label: "giftbridge_ledger_operation_duration_seconds", dimensions: [("operation", operation)])
            .recordInterval(since: start)
        Counter(label: "giftbridge_ledger_operations_total", dimensions: [("operation", operation), ("result", result)]).increment()
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        recordNanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }
}

/// A ledger store that measures every operation (``DaemonMetrics/ledger(_:_:)``) and forwards it.
struct MeasuredLedger: LedgerStore {
    let base: any LedgerStore

    var backendName: String { base.backendName }

    func balance(of card: CardInfo, context: RequestContext) async throws -> GiftCardState {
        try await DaemonMetrics.ledger("balance") { try await base.balance(of: card, context: context) }
    }

    func execute(_ command: GiftCommand, context: OperationContext) async throws -> GiftResult {
        try await DaemonMetrics.ledger(command.operationName) { try await base.execute(command, context: context) }
    }

    func transaction(id: Int64) async throws -> TransactionRecord { try await base.transaction(id: id) }

    func reserveHold(_ card: CardInfo, amount: Int64, metadata: [String: String], context: OperationContext) async throws -> HoldRecord {
        try await DaemonMetrics.ledger("hold_reserve") { try await base.reserveHold(card, amount: amount, metadata: metadata, context: context) }
    }

    func hold(id: String) async throws -> HoldRecord { try await base.hold(id: id) }

    func confirmHold(id: String, context: OperationContext) async throws -> GiftResult {
        try await DaemonMetrics.ledger("hold_confirm") { try await base.confirmHold(id: id, context: context) }
    }

    func cancelHold(id: String, context: OperationContext) async throws -> HoldRecord {
        try await DaemonMetrics.ledger("hold_cancel") { try await base.cancelHold(id: id, context: context) }
    }

    func releaseExpiredHolds() async throws -> [HoldRecord] { try await base.releaseExpiredHolds() }
    func nextHoldExpiry() async throws -> Date? { try await base.nextHoldExpiry() }
    func addShop(_ shop: Shop) async throws { try await base.addShop(shop) }
    func addContact(_ contact: Contact) async throws { try await base.addContact(contact) }

    func prepaidTransaction(contactUuid: String?, identifierValue: String?, shopUuid: String, amount: Int64, context: OperationContext) async throws -> PrepaidTransaction {
        try await DaemonMetrics.ledger("prepaid_transaction") {
            try await base.prepaidTransaction(contactUuid: contactUuid, identifierValue: identifierValue, shopUuid: shopUuid, amount: amount, context: context)
        }
    }

    func reversePrepaid(uuid: String, context: OperationContext) async throws -> PrepaidTransaction {
        try await DaemonMetrics.ledger("prepaid_reverse") { try await base.reversePrepaid(uuid: uuid, context: context) }
    }

    func prepaidBalance(contactUuid: String) async throws -> Contact { try await base.prepaidBalance(contactUuid: contactUuid) }

    func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, perPage: Int) async throws -> Page<PrepaidTransaction> {
        try await base.prepaidTransactions(contactUuid: contactUuid, shopUuid: shopUuid, page: page, perPage: perPage)
    }

    @discardableResult
    func addCard(
        number: String, form: CardForm, status: CardStatus, balance: Money, maximumBalance: Money?, expiresOn: String?,
        registrationCode: String?
    ) async throws -> Int64 {
        try await base.addCard(
            number: number, form: form, status: status, balance: balance, maximumBalance: maximumBalance, expiresOn: expiresOn,
            registrationCode: registrationCode)
    }

    func cardCount() async throws -> Int { try await base.cardCount() }
    func verifyInvariants() async throws -> [String] { try await base.verifyInvariants() }
}

extension GiftCommand {
    /// A metric label: `sell`, `reload`, `redeem`, `cash_out`, `exchange`, `reverse`.
    var operationName: String {
        switch self {
        case .sell: "sell"
        case .reload: "reload"
        case .redeem: "redeem"
        case .cashOut: "cash_out"
        case .exchange: "exchange"
        case .reverse, .reverseExternal, .reverseLast: "reverse"
        }
    }
}
