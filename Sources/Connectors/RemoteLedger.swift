import CardReading
import ConnectorCore
import Foundation
import Ledger

/// A gift ledger in a provider's cloud. It answers the same ``LedgerStore`` calls as the
/// embedded ledger; what the provider lacks answers ``LedgerError/unsupportedByLedger(provider:operation:)``.
public protocol RemoteLedger: LedgerStore {
    var provider: String { get }
    var transport: ProviderTransport { get }
    var outbox: OutboxStore { get }
    /// One attempt to undo (or finish) an entry whose outcome is unknown.
    func resolve(_ entry: OutboxEntry) async -> ReversalOutcome
}

/// A connector's state for `/v1/health`.
public struct ConnectorHealth: Sendable, Equatable {
    public var provider: String
    public var baseURL: String
    public var reachable: Bool
    public var lastError: String?
    public var lastSuccessAt: Date?
    /// Requests in flight and reversals not yet confirmed.
    public var outboxDepth: Int
    /// Of them, the reversals (answers that never came).
    public var pendingReversals: Int
    /// Reversals the provider refused for good: a person must look.
    public var outboxStuck: Int
}

extension RemoteLedger {
    public var backendName: String { provider }

    public func health() -> ConnectorHealth {
        let s = transport.connectorStatus
        let depth = (try? outbox.depth(provider: provider)) ?? (open: -1, reversing: -1, stuck: -1)
        return ConnectorHealth(
            provider: provider, baseURL: transport.endpoint.baseURL, reachable: s.reachable, lastError: s.lastError,
            lastSuccessAt: s.lastSuccessAt, outboxDepth: depth.open, pendingReversals: depth.reversing, outboxStuck: depth.stuck)
    }

    func unsupported(_ operation: String) -> LedgerError { .unsupportedByLedger(provider: provider, operation: operation) }

    /// Runs a mutating request through the outbox: written down before it leaves; an answer
    /// (success or refusal) closes the entry; an unknown outcome is reversed at once if the
    /// provider allows, else left to ``OutboxWorker``, and the POS is told which
    /// (``LedgerError/reversed(externalTransactionId:)`` or ``LedgerError/pendingReversal(externalTransactionId:)``).
    public func guarded<T: Sendable>(_ entry: OutboxEntry, _ send: () async throws -> T) async throws -> T {
        try await guarded(entry) { _ in try await send() }
    }

    /// The same, for a request of several steps: `send` gets the entry as written (its id), may
    /// record what it learns on the way (``OutboxStore/setReference(_:id:)``, e.g. a zmyle intent
    /// id), and the entry is read back before it is closed or resolved.
    public func guarded<T: Sendable>(_ entry: OutboxEntry, _ send: (OutboxEntry) async throws -> T) async throws -> T {
        var e: OutboxEntry
        do { e = try outbox.insert(entry) } catch {
            throw LedgerError.storageFailure("cannot write the outbox, the request was not sent: \(error)")
        }
        _ = outbox.claim(e.id)
        defer {
            outbox.release(e.id)
            // Not confirmed on the spot: the worker takes over.
            if e.state == .reversing { outbox.reversalLeft.fire() }
        }
        do {
            let result = try await send(e)
            e = (try? outbox.entry(id: e.id)) ?? e
            try? outbox.update(Outbox.answered(e, now: Date()))
            return result
        } catch let failure as TransportFailure {
            e = (try? outbox.entry(id: e.id)) ?? e
            switch failure {
            case .notSent(let why):
                try? outbox.update(Outbox.answered(e, now: Date()))
                throw LedgerError.storageFailure("\(provider) is unreachable, nothing was booked: \(why)")
            case .outcomeUnknown(let why):
                e = Outbox.outcomeUnknown(e, why: why, now: Date())
                try? outbox.update(e)
                e = Outbox.afterReversal(e, await resolve(e), now: Date())
                try? outbox.update(e)
                if e.action == .redo, e.state == .reversed { throw LedgerError.alreadyReversed }
                throw Outbox.posError(e)
            }
        } catch {
            e = (try? outbox.entry(id: e.id)) ?? e
            try? outbox.update(Outbox.answered(e, now: Date()))
            throw error
        }
    }

    /// A new external transaction id, unless the POS gave one.
    static func externalId(_ context: OperationContext) -> String {
        context.externalTransactionId ?? "gb-" + UUID().uuidString.lowercased()
    }

    // What no provider offers giftbridge: administration of the provider's cards, shops and contacts.

    public func addCard(
        number: String, form: CardForm, status: CardStatus, balance: Money, maximumBalance: Money?, expiresOn: String?, registrationCode: String?
    ) async throws -> Int64 { throw unsupported("card administration") }
    public func addShop(_ shop: Shop) async throws { throw unsupported("shop administration") }
    public func addContact(_ contact: Contact) async throws { throw unsupported("contact administration") }
    public func cardCount() async throws -> Int { throw unsupported("card count") }

    // Holds: only Zmyle has them (transaction intents, which Zmyle releases by itself, so
    // there is never anything for the daemon to release).

    public func reserveHold(_ card: CardInfo, amount: Int64, metadata: [String: String], context: OperationContext) async throws -> HoldRecord {
        throw unsupported("holds (transaction intents)")
    }
    public func hold(id: String) async throws -> HoldRecord { throw unsupported("holds (transaction intents)") }
    public func confirmHold(id: String, context: OperationContext) async throws -> GiftResult { throw unsupported("holds (transaction intents)") }
    public func cancelHold(id: String, context: OperationContext) async throws -> HoldRecord { throw unsupported("holds (transaction intents)") }
    public func releaseExpiredHolds() async throws -> [HoldRecord] { [] }
    public func nextHoldExpiry() async throws -> Date? { nil }

    // Prepaid balances: only Piggy has them (its connector implements these).

    public func prepaidTransaction(contactUuid: String?, identifierValue: String?, shopUuid: String, amount: Int64, context: OperationContext) async throws -> PrepaidTransaction {
        throw unsupported("prepaid balances")
    }
    public func reversePrepaid(uuid: String, context: OperationContext) async throws -> PrepaidTransaction { throw unsupported("prepaid balances") }
    public func prepaidBalance(contactUuid: String) async throws -> Contact { throw unsupported("prepaid balances") }
    public func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, perPage: Int) async throws -> Page<PrepaidTransaction> {
        throw unsupported("prepaid balances")
    }
    public func verifyInvariants() async throws -> [String] { [] }
}
