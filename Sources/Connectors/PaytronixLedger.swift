import CardReading
import ConnectorCore
import Foundation
import Ledger
import NIOHTTP1

/// The Paytronix gift service as a ledger: every mutation carries an `externalTransactionId`
/// and goes through the outbox, so that one whose answer never came is reversed by that id.
public final class PaytronixLedger: RemoteLedger {
    public let provider = Paytronix.provider
    public let transport: ProviderTransport
    public let outbox: OutboxStore
    let settings: Paytronix.Settings

    public init(transport: ProviderTransport, outbox: OutboxStore, settings: Paytronix.Settings) throws {
        self.transport = transport
        self.outbox = outbox
        self.settings = settings
        try outbox.recover(provider: provider, now: Date())
    }

    enum Reply { case success(Paytronix.Success), refused(LedgerError) }

    /// Sends a request and reads the reply; an unreadable reply is an unknown outcome.
    private func call(_ request: Paytronix.Request) async throws -> Reply {
        let reply = try await transport.send(.POST, request.path, body: request.body)
        do {
            switch try Paytronix.parseReply(reply.body, settings: settings) {
            case .success(let s): return .success(s)
            case .failure(let e): return .refused(e)
            }
        } catch {
            transport.recordMalformed("\(error)")
            throw TransportFailure.outcomeUnknown("\(error) (HTTP \(reply.status))")
        }
    }

    public func balance(of card: CardInfo, context: RequestContext) async throws -> GiftCardState {
        do {
            switch try await call(Paytronix.balanceRequest(card, context: context, settings: settings)) {
            case .success(let s): return Paytronix.cardState(s)
            case .refused(let e): throw e
            }
        } catch let failure as TransportFailure {
            throw LedgerError.storageFailure("\(provider): \(failure)")
        }
    }

    public func execute(_ command: GiftCommand, context: OperationContext) async throws -> GiftResult {
        try context.validate()
        if case .reverseLast = command { throw unsupported("reversal of the card's last transaction only (reverse by transactionId instead)") }
        // The provider keeps no idempotency record: a retried request would be booked again.
        // Refused rather than booked twice; an externalTransactionId (reversible by it) is the way.
        if context.idempotency != nil {
            throw unsupported("idempotency keys (a retried request would be booked twice; send an externalTransactionId and reverse by it instead)")
        }
        let external: String? = switch command {
        case .reverse, .reverseLast, .reverseExternal: nil
        default: Self.externalId(context)
        }
        let request = Paytronix.request(command, context: context, externalId: external, settings: settings)
        let (operation, card, amount, reference) = Self.describe(command)
        let entry = OutboxEntry(
            provider: provider, operation: operation, externalId: external ?? "gb-" + UUID().uuidString.lowercased(),
            action: reference == nil ? .undo : .redo, reference: reference, maskedCardNumber: card?.maskedCardNumber, amount: amount,
            createdAt: Date())
        return try await guarded(entry) {
            switch try await call(request) {
            case .success(let s): return Paytronix.result(s, command: command, context: context, externalId: external, createdAt: LedgerTime.timestamp(Date()))
            case .refused(let e): throw e
            }
        }
    }

    static func describe(_ c: GiftCommand) -> (String, CardInfo?, Int64?, String?) {
        switch c {
        case .sell(let card, let a): ("sell", card, a, nil)
        case .reload(let card, let a): ("reload", card, a, nil)
        case .redeem(let card, let a, let tip): ("redeem", card, a + tip, nil)
        case .cashOut(let card): ("cash-out", card, nil, nil)
        case .exchange(let card, _): ("exchange", card, nil, nil)
        case .reverse(let id), .reverseLast(let id): ("reverse", nil, nil, "px:\(id)")
        case .reverseExternal(let ext): ("reverse", nil, nil, "ext:\(ext)")
        }
    }

    public func resolve(_ entry: OutboxEntry) async -> ReversalOutcome {
        let request: Paytronix.Request
        switch (entry.action, entry.reference) {
        case (.redo, let ref?) where ref.hasPrefix("px:"):
            guard let id = Int64(ref.dropFirst(3)) else { return .refused("bad reference \(ref)") }
            request = Paytronix.request(.reverse(transactionId: id), context: OperationContext(), externalId: nil, settings: settings)
        case (.redo, let ref?) where ref.hasPrefix("ext:"):
            request = Paytronix.reversal(externalId: String(ref.dropFirst(4)), settings: settings)
        case (.undo, _):
            request = Paytronix.reversal(externalId: entry.externalId, settings: settings)
        default:
            return .refused("cannot resolve \(entry.action.rawValue) \(entry.reference ?? "")")
        }
        do {
            switch try await call(request) {
            case .success: return .confirmed
            case .refused(.alreadyReversed): return .confirmed
            // Reversed by external id before it booked: Paytronix keeps the id, the late request is refused.
            case .refused(.transactionNotFound) where request.body["externalTransactionId"] != nil: return .confirmed
            case .refused(let e): return .refused("\(e.code): \(e.description)")
            }
        } catch {
            return .retry("\(error)")
        }
    }

    // Paytronix has no transaction lookup, holds or prepaid balances (RemoteLedger's default).

    public func transaction(id: Int64) async throws -> TransactionRecord { throw unsupported("transaction lookup") }
}
