import CardReading
import ConnectorCore
import Foundation
import Ledger
import NIOHTTP1
import Synchronization

/// The zmyle POS API as a ledger: holds are zmyle's transaction intents, a redemption is an
/// intent confirmed at once. Everything that moves funds goes through the outbox (action
/// `cancel`, the intent id in `reference`); zmyle has no balance enquiry, sale, reload,
/// cash-out, exchange, reversal, refund or transaction lookup in this API, so those answer
/// ``LedgerError/unsupportedByLedger(provider:operation:)``.
///
/// A redemption (`amount + tip` as one intent), and what the POS is told:
///
/// ```
///  outbox: sending (Idempotency-Key = the entry's external id, written before anything leaves)
///     │ PUT intent ──refused──▶ done; the refusal (insufficient_funds, card_not_found, …)
///     │ PUT unknown (deadline, reset, 5xx, unreadable, not sent)
///     │     └─▶ PUT again with the same key (the same intent, or a new one) ─▶ cancel ─▶ reversed
///     ▼ intent id ─▶ reference
///  POST confirm ──SUCCEEDED──▶ done; success
///     │ refused ──▶ cancel (best effort) ──▶ done; the refusal
///     │ unknown
///     ▼
///  GET intent ──SUCCEEDED──▶ done; success (the confirm arrived)
///     │ NEEDS_CONFIRMATION, or no answer
///     ▼
///  reversing: POST cancel ──CANCELLED / EXPIRED / no such intent──▶ reversed; POS: reversed
///     │ no answer ──▶ POS: pending_reversal; OutboxWorker cancels with back-off, across restarts
///     │ SUCCEEDED (the confirm landed after all) ──▶ stuck: zmyle's API has no refund, a person
///     │     must look (`/v1/health` counts it in outboxStuck)
/// ```
///
/// A create whose id never came back is repeated with the same key only while the daemon
/// runs: the body holds the card's access token, which is never written down. After a
/// restart such an entry waits until zmyle has released the intent by itself
/// (`intentLifetime`, 30 min + 5 min of margin) and then counts as reversed.
///
/// A POS idempotency key becomes zmyle's `Idempotency-Key` (hashed with its till), so a
/// retried hold or redemption finds the same intent rather than reserving twice.
public final class ZmyleLedger: RemoteLedger {
    public let provider = Zmyle.provider
    public let transport: ProviderTransport
    public let outbox: OutboxStore
    let currency: Currency
    let intentLifetime: TimeInterval
    /// Create requests (with the access token) whose outcome is still unknown: in memory only.
    private let pendingCreates = Mutex<[String: Zmyle.Request]>([:])

    public init(transport: ProviderTransport, outbox: OutboxStore, currency: Currency, intentLifetime: TimeInterval = 35 * 60) throws {
        self.transport = transport
        self.outbox = outbox
        self.currency = currency
        self.intentLifetime = intentLifetime
        try outbox.recover(provider: provider, now: Date())
    }

    /// Sends a request and reads the answer; an unreadable answer is an unknown outcome.
    private func call(_ r: Zmyle.Request) async throws(TransportFailure) -> Result<Zmyle.Intent, LedgerError> {
        let reply = try await transport.send(
            HTTPMethod(rawValue: r.method), r.path, body: r.body, headers: r.idempotencyKey.map { [(Zmyle.idempotencyHeader, $0)] } ?? [])
        do { return try Zmyle.parseReply(status: reply.status, body: reply.body) } catch {
            transport.recordMalformed("\(error)")
            throw .outcomeUnknown("\(error) (HTTP \(reply.status))")
        }
    }

    /// A read: a refusal is thrown as it is, no answer as the ledger being unavailable.
    private func read(_ intentId: String) async throws -> Zmyle.Intent {
        guard Zmyle.isIntentId(intentId) else { throw LedgerError.holdNotFound }
        do { return try await call(Zmyle.retrieve(intentId)).get() } catch let failure as TransportFailure {
            throw LedgerError.storageFailure("\(provider): \(failure)")
        }
    }

    // MARK: Holds

    public func reserveHold(_ card: CardInfo, amount: Int64, metadata: [String: String], context: OperationContext) async throws -> HoldRecord {
        let intent = try await create(card, amount: amount, metadata: metadata, operation: "hold", context: context) { intent, _ in intent }
        return Zmyle.hold(intent, currency: currency)
    }

    public func hold(id: String) async throws -> HoldRecord { Zmyle.hold(try await read(id), currency: currency) }

    public func confirmHold(id: String, context: OperationContext) async throws -> GiftResult {
        try context.validate()
        guard Zmyle.isIntentId(id) else { throw LedgerError.holdNotFound }
        let entry = OutboxEntry(provider: provider, operation: "confirm", externalId: Self.newKey(), action: .cancel, reference: id, createdAt: Date())
        let intent = try await guarded(entry) { _ in try await confirmIntent(id) }
        return Zmyle.result(intent, kind: .holdCapture, tip: 0, context: context, currency: currency)
    }

    /// Cancels an intent; an unknown outcome is settled by cancelling again (the outbox).
    public func cancelHold(id: String, context: OperationContext) async throws -> HoldRecord {
        try context.validate()
        guard Zmyle.isIntentId(id) else { throw LedgerError.holdNotFound }
        let entry = OutboxEntry(provider: provider, operation: "cancel", externalId: Self.newKey(), action: .cancel, reference: id, createdAt: Date())
        do {
            return Zmyle.hold(try await guarded(entry) { _ in try await cancelIntent(id) }, currency: currency)
        } catch LedgerError.reversed {
            // The cancel's answer was lost, and cancelling again found the intent closed.
            return try await hold(id: id)
        }
    }

    /// zmyle releases unconfirmed intents by itself.

    // MARK: Redemption

    public func execute(_ command: GiftCommand, context: OperationContext) async throws -> GiftResult {
        try context.validate()
        switch command {
        case .redeem(let card, let amount, let tip):
            guard tip >= 0 else { throw LedgerError.invalidAmount("the tip must not be negative") }
            var metadata: [String: String] = [:]
            if tip > 0 { metadata["tip"] = String(tip) }
            return try await create(card, amount: amount + tip, metadata: metadata, operation: "redeem", context: context) { intent, entry in
                // A POS retry with the same idempotency key finds the intent it confirmed before.
                if intent.status == .confirmed { return Zmyle.result(intent, kind: .redeem, tip: tip, context: context, currency: currency) }
                let done: Zmyle.Intent
                do { done = try await confirmIntent(intent.id) } catch TransportFailure.notSent(let why) {
                    // The intent holds the funds: it must be cancelled, so the outbox takes it.
                    throw TransportFailure.outcomeUnknown("the confirm was not sent: \(why)")
                } catch let refusal as LedgerError {
                    if case .holdNotOpen(let status) = refusal {
                        // zmyle replays the first answer to a repeated key (NEEDS_CONFIRMATION);
                        // the POS's first request confirmed it.
                        if context.idempotency != nil, status == HoldStatus.confirmed.rawValue, let now = try? await read(intent.id) {
                            return Zmyle.result(now, kind: .redeem, tip: tip, context: context, currency: currency)
                        }
                    } else {
                        _ = try? await call(Zmyle.cancel(intent.id))
                    }
                    throw refusal
                }
                return Zmyle.result(done, kind: .redeem, tip: tip, context: context, currency: currency)
            }
        case .sell: throw unsupported("sale (card activation)")
        case .reload: throw unsupported("reload")
        case .cashOut: throw unsupported("cash-out")
        case .exchange: throw unsupported("card exchange")
        case .reverse, .reverseLast, .reverseExternal: throw unsupported("reversal (a confirmed transaction intent cannot be refunded through the API)")
        }
    }

    /// Creates an intent through the outbox and runs `then` with it (its id already recorded).
    private func create<T: Sendable>(
        _ card: CardInfo, amount: Int64, metadata: [String: String], operation: String, context: OperationContext,
        then: (Zmyle.Intent, OutboxEntry) async throws -> T
    ) async throws -> T {
        try context.validate()
        let (giftcardId, token) = try Zmyle.giftcard(card)
        guard amount > 0 else { throw LedgerError.invalidAmount("the amount must be more than zero") }
        if let c = context.currency, c.uppercased() != currency.code { throw LedgerError.currencyMismatch(card: currency.code, request: c.uppercased()) }
        var meta = metadata
        meta["giftbridgeOperation"] = operation
        if let v = context.externalTransactionId { meta["externalTransactionId"] = v }
        if let v = context.storeCode { meta["store"] = v }
        if let v = context.terminalId { meta["terminalId"] = v }
        if let v = context.cashier { meta["cashier"] = v }
        if let v = context.checkNumber { meta["receiptNumber"] = v }
        let key = context.idempotency.map { "gb-idem-" + String(SHA256.hash(Array(($0.scope + "\n" + $0.key).utf8)).hexString.prefix(40)) } ?? Self.newKey()
        let request = Zmyle.createIntent(giftcardId: giftcardId, accessToken: token, amount: amount, metadata: meta, idempotencyKey: key)
        let entry = OutboxEntry(
            provider: provider, operation: operation, externalId: key, action: .cancel, maskedCardNumber: PAN.mask(giftcardId), amount: amount,
            createdAt: Date())
        pendingCreates.withLock { $0[key] = request }
        defer { forgetCreateUnlessPending(key) }
        return try await guarded(entry) { e in
            let intent = try await call(request).get()
            try? outbox.setReference(intent.id, id: e.id)
            return try await then(intent, e)
        }
    }

    private func forgetCreateUnlessPending(_ key: String) {
        let open = (try? outbox.entries(provider: provider, states: [.sending, .reversing]).contains { $0.externalId == key && $0.reference == nil }) ?? false
        if !open { _ = pendingCreates.withLock { $0.removeValue(forKey: key) } }
    }

    /// Confirms; when the answer is lost, asks zmyle whether the confirm arrived.
    private func confirmIntent(_ id: String) async throws -> Zmyle.Intent {
        do { return try await act(Zmyle.confirm(id), on: id) } catch TransportFailure.outcomeUnknown(let why) {
            if case .success(let now)? = try? await call(Zmyle.retrieve(id)), now.status == .confirmed { return now }
            throw TransportFailure.outcomeUnknown(why)
        }
    }

    private func cancelIntent(_ id: String) async throws -> Zmyle.Intent { try await act(Zmyle.cancel(id), on: id) }

    /// A confirm or cancel; a refusal for the intent's state names the state it is in.
    private func act(_ request: Zmyle.Request, on id: String) async throws -> Zmyle.Intent {
        switch try await call(request) {
        case .success(let i): return i
        case .failure(.holdNotOpen):
            let now = try? await call(Zmyle.retrieve(id)).get()
            throw LedgerError.holdNotOpen(status: now.map { $0.status.rawValue } ?? "not NEEDS_CONFIRMATION")
        case .failure(let e): throw e
        }
    }

    // MARK: The outbox

    /// Cancels the entry's intent (learning its id first by repeating the create, if need be).
    public func resolve(_ entry: OutboxEntry) async -> ReversalOutcome {
        guard entry.action == .cancel else { return .refused("cannot resolve \(entry.action.rawValue) for zmyle") }
        let outcome = await cancel(entry)
        if case .retry = outcome {} else { _ = pendingCreates.withLock { $0.removeValue(forKey: entry.externalId) } }
        return outcome
    }

    private func cancel(_ entry: OutboxEntry) async -> ReversalOutcome {
        var intentId = entry.reference
        if intentId == nil {
            guard let create = pendingCreates.withLock({ $0[entry.externalId] }) else {
                // After a restart: the access token is gone, the id was never learnt; zmyle
                // releases an unconfirmed intent by itself.
                let released = entry.createdAt.addingTimeInterval(intentLifetime)
                if Date() >= released { return .confirmed }
                return .retry("the intent's id is unknown; zmyle releases it by itself by \(LedgerTime.timestamp(released))")
            }
            do {
                switch try await call(create) {
                case .success(let i):
                    intentId = i.id
                    try? outbox.setReference(i.id, id: entry.id)
                // Refused now with the same key: the first create never booked.
                case .failure: return .confirmed
                }
            } catch {
                return .retry("\(error)")
            }
        }
        guard let id = intentId, Zmyle.isIntentId(id) else { return .refused("bad intent id") }
        do {
            switch try await call(Zmyle.cancel(id)) {
            case .success, .failure(.holdNotFound): return .confirmed
            case .failure(.holdNotOpen):
                switch try await call(Zmyle.retrieve(id)) {
                case .success(let i) where i.status == .confirmed:
                    return .refused(
                        "the intent \(id) was confirmed at zmyle (giftcardTransactionId \(i.giftcardTransactionId ?? "?")) although the POS was not told so; zmyle's API has no refund: a person must look")
                case .success(let i) where i.status == .needsConfirmation: return .retry("the intent is still open")
                case .success: return .confirmed
                case .failure(.holdNotFound): return .confirmed
                case .failure(let e): return .refused("\(e.code): \(e.description)")
                }
            case .failure(let e): return .refused("\(e.code): \(e.description)")
            }
        } catch {
            return .retry("\(error)")
        }
    }

    static func newKey() -> String { "gb-" + UUID().uuidString.lowercased() }

    // MARK: What zmyle's POS API does not offer giftbridge

    public func balance(of card: CardInfo, context: RequestContext) async throws -> GiftCardState { throw unsupported("balance enquiry") }
    public func transaction(id: Int64) async throws -> TransactionRecord { throw unsupported("transaction lookup") }
}
