import CardReading
import Devices
import Foundation
import Metrics
import Connectors
import Hummingbird
import Ledger
import LedgerSQLite
import LocalAPI
import Synchronization

/// The state of one configured reader, as device threads report it.
final class ReaderStatus: Sendable {
    struct Snapshot { var state = "starting"; var detail: String?; var reads = 0; var errors = 0 }
    let config: ReaderConfig
    private let snapshot = Mutex(Snapshot())

    init(config: ReaderConfig) { self.config = config }

    func update(_ body: (inout Snapshot) -> Void) { snapshot.withLock { body(&$0) } }

    func info(withUdev: Bool) -> ReaderInfo {
        let s = snapshot.withLock { $0 }
        return ReaderInfo(
            id: config.id, kind: config.kind.rawValue, path: config.path, state: s.state, detail: s.detail,
            reads: s.reads, errors: s.errors, udev: withUdev ? UdevInfo.lookup(devicePath: config.path) : nil)
    }
}

/// The daemon's side of the local API.
struct DaemonBackend: APIBackend {
    let config: DaemonConfig
    let ledger: any LedgerStore
    /// Keys the fingerprints of idempotent requests (the installation's card key).
    let keyer: CardKeyer
    let pipeline: CardPipeline
    let readers: [ReaderStatus]
    let events: EventBus
    let holdTimer: HoldExpiryService
    let started: ContinuousClock.Instant
    static let version = "0.1.0"

    func health() async -> HealthReport {
        let ledgerHealth: LedgerHealth
        // The ledger as configured, under the measuring decorator.
        if let remote = ((ledger as? MeasuredLedger)?.base ?? ledger) as? any RemoteLedger {
            ledgerHealth = Self.connectorHealth(remote)
        } else {
            do {
                ledgerHealth = LedgerHealth(backend: ledger.backendName, ok: true, cards: try await ledger.cardCount())
            } catch {
                ledgerHealth = LedgerHealth(backend: ledger.backendName, ok: false, error: "\(error)")
            }
        }
        let printers = pipeline.spooler.map { [$0.info] } ?? []
        let readerInfos = readers.map { $0.info(withUdev: false) }
        let degraded = !ledgerHealth.ok || printers.contains { $0.state == "failing" || $0.state == "held" } || readerInfos.contains { $0.state != "attached" }
        return HealthReport(
            status: degraded ? "degraded" : "ok", version: Self.version, demo: config.demo,
            uptimeSeconds: Int((ContinuousClock.now - started).components.seconds),
            ledger: ledgerHealth, printers: printers, readers: readerInfos, eventSubscribers: events.subscriberCount)
    }

    /// Gauges are read now (queue depth, subscribers, readers, uptime); counters and latency
    /// histograms were recorded as things happened.
    func metrics() async -> String {
        if let spooler = pipeline.spooler {
            Gauge(label: "giftbridge_print_queue_depth", dimensions: [("printer", spooler.printerId)]).record(spooler.queued)
        }
        Gauge(label: "giftbridge_event_subscribers").record(events.subscriberCount)
        for reader in readers {
            let info = reader.info(withUdev: false)
            Gauge(label: "giftbridge_reader_attached", dimensions: [("reader", info.id)]).record(info.state == "attached" ? 1 : 0)
        }
        Gauge(label: "giftbridge_uptime_seconds").record(Int((ContinuousClock.now - started).components.seconds))
        return DaemonMetrics.render()
    }

    func devices() async -> DevicesReport {
        DevicesReport(
            readers: readers.map { $0.info(withUdev: true) },
            printers: pipeline.spooler.map { [$0.info] } ?? [],
            usb: USBBus.devices())
    }

    func balance(_ request: BalanceRequest) async throws(APIError) -> BalanceReply {
        let card = try resolveCard(request.cardInfo, readId: request.readId)
        let state: GiftCardState
        do {
            state = try await ledger.balance(of: card, context: RequestContext(
                storeCode: request.storeCode, terminalId: request.terminalId ?? config.shop.terminal,
                cashier: request.cashier, checkNumber: request.checkNumber))
        } catch {
            throw Self.apiError(error)
        }
        // A look-up leaves the read usable: the page that shows the balance of the card just
        // swiped can then book with the same read id.
        var jobId: Int?
        if request.printReceipt == true {
            guard pipeline.spooler != nil else { throw APIError(.conflict, "no_printer", "no printer is configured (printer.target)") }
            jobId = pipeline.printBalanceReceipt(state)
        }
        return Self.balanceReply(state, receiptJobId: jobId)
    }

    static func balanceReply(_ state: GiftCardState, receiptJobId: Int? = nil) -> BalanceReply {
        BalanceReply(
            maskedCardNumber: state.maskedNumber, currency: state.balance.currency.code,
            currentBalance: state.balance.decimalString, currentBalanceMinor: state.balance.minorUnits,
            availableBalance: state.available.decimalString, availableBalanceMinor: state.available.minorUnits,
            cardStatus: state.status.rawValue, cardForm: state.form.rawValue, expiresOn: state.expiresOn,
            cardTemplateCode: state.templateCode, cardTemplateName: state.templateName,
            tierCode: state.tierCode, tierName: state.tierName, receiptJobId: receiptJobId)
    }

    /// The card a request names: its `cardInfo`, or the card of a recent read.
    func resolveCard(_ cardInfo: CardInfo?, readId: String?, field: String = "cardInfo") throws(APIError) -> CardInfo {
        switch (cardInfo, readId) {
        case (let c?, nil):
            try refusePaymentCard(c, field: field)
            return c
        case (nil, let id?):
            guard let c = pipeline.reads.card(id) else {
                throw APIError(.notFound, "read_not_found", "read id \(id) is unknown, already used or expired")
            }
            return c
        case (_?, _?): throw APIError(.badRequest, "ambiguous_card", "give either \(field) or readId, not both")
        case (nil, nil): throw APIError(.badRequest, "missing_field", "give \(field) or readId")
        }
    }

    /// A payment card named by the POS goes to no ledger: 422 `payment_card`, with only its
    /// masked number (422 `not_a_gift_card` outside the shop's `cards.ranges`).
    func refusePaymentCard(_ card: CardInfo, field: String) throws(APIError) {
        do throws(CardRefusal) { try config.cardGuard.check(card, field: field) } catch {
            throw APIError(.unprocessableContent, error.code, error.description)
        }
    }

    func simulateSwipe(_ request: SimulateSwipeRequest) async throws(APIError) -> SimulateSwipeReply {
        guard config.allowSimulate else {
            throw APIError(.forbidden, "simulation_disabled", "simulated reads are off; set api.simulate: true (demo mode has it on)")
        }
        guard request.text.utf8.count <= 1024 else { throw APIError(.badRequest, "invalid_field", "text is longer than 1024 bytes") }
        return SimulateSwipeReply(events: await pipeline.handleRead(.bytes(Array(request.text.utf8)), reader: request.reader ?? "simulated"))
    }

    /// `prepaid`: the refusal of a prepaid route, with Piggy's prepaid codes.
    static func apiError(_ error: any Error, prepaid: Bool = false) -> APIError {
        guard let error = error as? LedgerError else {
            return APIError(.serviceUnavailable, "ledger_unavailable", "the ledger failed: \(error)")
        }
        let status: HTTPResponse.Status = switch error {
        case .cardNotFound, .transactionNotFound, .holdNotFound, .contactNotFound, .shopNotFound: .notFound
        case .registrationCodeMismatch: .forbidden
        case .invalidAmount, .invalidRequest: .badRequest
        case .alreadyReversed, .duplicateExternalTransactionId, .idempotencyConflict, .holdNotOpen, .notLastTransaction,
            .cardAlreadyActive, .holdsOpen, .alreadyExists:
            .conflict
        case .cardInactive, .cardBlocked, .cardRetired, .cardExpired, .insufficientFunds, .maximumBalanceExceeded,
            .cardCannotBeLoaded, .notReversible, .unsupportedIdentifier, .currencyMismatch:
            .unprocessableContent
        case .storageFailure: .serviceUnavailable
        // Remote ledgers (Connectors).
        case .unsupportedByLedger: .notImplemented
        case .providerRefused, .reversalRefused: .badGateway
        case .reversed, .pendingReversal: .gatewayTimeout
        }
        var vendor: [String: String] = [:]
        vendor["piggy"] = error.piggyCode(prepaid: prepaid).map(String.init)
        vendor["zmyle"] = error.zmyleCode
        return APIError(status, error.code, error.description, vendorCodes: vendor.isEmpty ? nil : vendor)
    }
}
