import CardReading
import ConnectorCore
import Foundation
import Ledger
import NIOHTTP1

/// Piggy as a ledger: giftcard transactions for sell, reload, redeem (with tip), cash-out and the
/// reversal of a card's last transaction; prepaid transactions for contacts. Every mutation goes
/// through the outbox.
///
/// Piggy has no external transaction id, so an answer that never came is resolved by looking:
///
/// ```
/// unknown outcome of "create ±X" (sent with custom attribute giftbridge_external_id = E)
///   └─ list the card's newest transactions
///        ├─ E found, and its undo (a reversal copies E, or a compensation names E) too ─▶ reversed
///        ├─ E found, it is the card's last transaction ─▶ POST …/reverse ─▶ reversed
///        ├─ E found, later ones on top (55025) ─▶ compensate: create ∓X naming E ─▶ reversed
///        │                                        (refused, e.g. 5006 digital card) ─▶ stuck
///        └─ E not found ─▶ younger than settle-seconds: try again later
///                          older: it never booked ─▶ reversed (nothing to undo)
/// ```
///
/// A prepaid transaction carries no attribute: its unknown outcome is resolved by the contact's
/// transactions of that amount at this shop since the request; exactly one → reversed by its
/// uuid; several → stuck (a person must look); none → as above.
public final class PiggyLedger: RemoteLedger {
    public let provider = Piggy.provider
    public let transport: ProviderTransport
    public let outbox: OutboxStore
    let settings: Piggy.Settings

    public init(transport: ProviderTransport, outbox: OutboxStore, settings: Piggy.Settings) throws {
        self.transport = transport
        self.outbox = outbox
        self.settings = settings
        try outbox.recover(provider: provider, now: Date())
    }

    var currency: Currency { settings.currency }

    enum Reply { case data(JSONValue), refused(LedgerError) }

    /// Sends a request; an unreadable reply (or Piggy's 1000) is an unknown outcome.
    private func call(_ r: Piggy.Request) async throws -> Reply {
        let method: HTTPMethod = r.method == .GET ? .GET : .POST
        let reply = try await transport.send(method, r.path, body: r.body ?? (r.method == .POST ? .object([]) : nil))
        do {
            switch try Piggy.parseReply(status: reply.status, body: reply.body) {
            case .success(let d): return .data(d)
            case .failure(let e): return .refused(e)
            }
        } catch {
            transport.recordMalformed("\(error)")
            throw TransportFailure.outcomeUnknown("\(error)")
        }
    }

    /// A read: a refusal is thrown as is, a failure of the provider as `ledger_unavailable`.
    private func read<T>(_ r: Piggy.Request, _ parse: (JSONValue) throws(Piggy.MalformedReply) -> T) async throws -> T {
        do {
            switch try await call(r) {
            case .data(let d): return try parse(d)
            case .refused(let e): throw e
            }
        } catch let failure as TransportFailure {
            throw LedgerError.storageFailure("\(provider): \(failure)")
        } catch let malformed as Piggy.MalformedReply {
            throw LedgerError.storageFailure("\(provider): \(malformed)")
        }
    }

    func find(_ card: CardInfo) async throws -> Piggy.Giftcard {
        let number = try CardKeyer.cardNumber(in: card)
        return try await read(Piggy.findCard(hash: number), Piggy.giftcard)
    }

    public func balance(of card: CardInfo, context: RequestContext) async throws -> GiftCardState {
        Piggy.cardState(try await find(card), currency: currency)
    }

    public func execute(_ command: GiftCommand, context: OperationContext) async throws -> GiftResult {
        try context.validate()
        if context.idempotency != nil {
            throw unsupported("idempotency keys (Piggy keeps no idempotency record; a retried request would be booked twice)")
        }
        switch command {
        case .sell(let card, let amount), .reload(let card, let amount):
            guard amount > 0 else { throw LedgerError.invalidAmount("amount must be above zero") }
            let kind: TransactionKind = if case .sell = command { .sell } else { .reload }
            return try await book(try await find(card), amount: amount, kind: kind, tip: 0, context: context)
        case .redeem(let card, let amount, let tip):
            guard amount > 0, tip >= 0 else { throw LedgerError.invalidAmount("amount must be above zero and tip not negative") }
            return try await book(try await find(card), amount: -(amount + tip), kind: .redeem, tip: tip, context: context)
        case .cashOut(let card):
            // Composed: the balance Piggy reports, taken off. Should another till change it in
            // between, Piggy refuses (5003) or leaves the difference on the card; never overdraws.
            let c = try await find(card)
            guard c.balance > 0 else { throw LedgerError.invalidAmount("the card holds nothing to cash out") }
            return try await book(c, amount: -c.balance, kind: .cashOut, tip: 0, context: context)
        case .exchange:
            throw unsupported("card exchange (two separate transactions at Piggy could leave the value on neither card)")
        case .reverse(let id), .reverseLast(let id):
            guard let uuid = try? outbox.remoteId(provider: provider, localId: id) else { throw LedgerError.transactionNotFound }
            return try await reverse(uuid: uuid, localId: id)
        case .reverseExternal(let external):
            if let uuid = try? outbox.remoteId(provider: provider, externalId: external) { return try await reverse(uuid: uuid, localId: nil) }
            // Its answer never came: the outbox is already undoing it.
            switch (try? outbox.entries(provider: provider))?.last(where: { $0.externalId == external })?.state {
            case .reversed?: throw LedgerError.alreadyReversed
            case .reversing?, .sending?: throw LedgerError.pendingReversal(externalTransactionId: external)
            case .stuck?, .done?, nil: throw LedgerError.transactionNotFound
            }
        }
    }

    /// Books `amount` (signed) on the card, through the outbox.
    private func book(_ c: Piggy.Giftcard, amount: Int64, kind: TransactionKind, tip: Int64, context: OperationContext) async throws -> GiftResult {
        let external = Self.externalId(context)
        let entry = OutboxEntry(
            provider: provider, operation: Self.operation(kind), externalId: external, action: .undo, reference: "card:\(c.uuid)",
            maskedCardNumber: PAN.mask(c.hash), amount: amount, createdAt: Date())
        let request = Piggy.createTransaction(cardUuid: c.uuid, amount: amount, attributes: [(Piggy.externalIdAttribute, external)], settings: settings)
        return try await guarded(entry) {
            switch try await call(request) {
            case .refused(let e): throw e
            case .data(let d):
                let t: Piggy.Transaction
                do { t = try Piggy.transaction(d) } catch { throw TransportFailure.outcomeUnknown("\(error)") }
                try? outbox.remember(provider: provider, localId: t.id, remoteId: t.uuid, externalId: external)
                return await result(t, card: c, kind: kind, tip: tip, context: context, externalId: external, reverses: nil)
            }
        }
    }

    /// Reverses a transaction giftbridge booked (Piggy allows only the card's last one: 55025).
    /// The card is read first (reads, nothing booked if they fail), so the reply's balance is
    /// Piggy's, or the one before plus the reversal's amount.
    private func reverse(uuid: String, localId: Int64?) async throws -> GiftResult {
        let original = try await read(Piggy.transaction(uuid: uuid), Piggy.transaction)
        let card = try await read(Piggy.card(uuid: original.cardUuid), Piggy.giftcard)
        let entry = OutboxEntry(
            provider: provider, operation: "reverse", externalId: "gb-" + UUID().uuidString.lowercased(), action: .redo, reference: "tx:\(uuid)",
            maskedCardNumber: PAN.mask(card.hash), createdAt: Date())
        return try await guarded(entry) {
            switch try await call(Piggy.reverseTransaction(uuid: uuid)) {
            case .refused(let e): throw e
            case .data(let d):
                let t: Piggy.Transaction
                do { t = try Piggy.transaction(d) } catch { throw TransportFailure.outcomeUnknown("\(error)") }
                try? outbox.remember(provider: provider, localId: t.id, remoteId: t.uuid, externalId: nil)
                return await result(t, card: card, kind: .reversal, tip: 0, context: OperationContext(), externalId: nil, reverses: localId)
            }
        }
    }

    /// The common result; the balance after is read back from Piggy (its transaction reply
    /// carries none), or worked out from the balance before when that read fails.
    private func result(
        _ t: Piggy.Transaction, card c: Piggy.Giftcard, kind: TransactionKind, tip: Int64, context ctx: OperationContext, externalId: String?,
        reverses: Int64?
    ) async -> GiftResult {
        var card = c
        if let now = try? await read(Piggy.card(uuid: c.uuid), Piggy.giftcard) { card = now } else { card.balance = c.balance + t.amount }
        let txn = TransactionRecord(
            id: t.id, cardId: card.id, maskedCardNumber: PAN.mask(card.hash), kind: kind, currency: currency,
            amount: t.amount, tip: tip, balanceBefore: card.balance - t.amount, balanceAfter: card.balance, authCode: String(t.uuid.prefix(8)),
            externalTransactionId: externalId, reversesId: reverses, storeCode: ctx.storeCode, terminalId: ctx.terminalId, cashier: ctx.cashier,
            checkNumber: ctx.checkNumber, createdAt: t.createdAt.isEmpty ? LedgerTime.timestamp(Date()) : t.createdAt)
        return GiftResult(transaction: txn, card: Piggy.cardState(card, currency: currency, lastTransactionId: t.id))
    }

    static func operation(_ kind: TransactionKind) -> String {
        switch kind {
        case .sell: "sell"
        case .reload: "reload"
        case .redeem: "redeem"
        case .cashOut: "cash-out"
        default: "\(kind)"
        }
    }

    // MARK: Resolving unknown outcomes

    public func resolve(_ entry: OutboxEntry) async -> ReversalOutcome {
        let ref = entry.reference ?? ""
        do {
            if entry.action == .undo, ref.hasPrefix("card:") { return try await undoGiftcard(entry, cardUuid: String(ref.dropFirst(5))) }
            if entry.action == .redo, ref.hasPrefix("tx:") { return try await redoReversal(uuid: String(ref.dropFirst(3))) }
            if entry.action == .undo, ref.hasPrefix("contact:") { return try await undoPrepaid(entry, contactUuid: String(ref.dropFirst(8))) }
            if entry.action == .redo, ref.hasPrefix("prepaid:") {
                switch try await call(Piggy.reversePrepaid(uuid: String(ref.dropFirst(8)))) {
                case .data: return .confirmed
                case .refused(let e): return .refused("\(e.code): \(e.description)")
                }
            }
            return .refused("cannot resolve \(entry.action.rawValue) \(ref)")
        } catch let e as LedgerError {
            if case .storageFailure(let why) = e { return .retry(why) }
            return .refused("\(e.code): \(e.description)")
        } catch {
            return .retry("\(error)")
        }
    }

    /// The card's newest transactions (the hash is read from Piggy and kept only here).
    private func recent(cardUuid: String) async throws -> [Piggy.Transaction] {
        let card = try await read(Piggy.card(uuid: cardUuid), Piggy.giftcard)
        return try await read(Piggy.recentTransactions(hash: card.hash)) { d throws(Piggy.MalformedReply) in
            guard let items = d.arrayValue else { throw Piggy.MalformedReply(why: "the list is not an array") }
            var out: [Piggy.Transaction] = []
            for item in items { out.append(try Piggy.transaction(item)) }
            return out
        }
    }

    private func undoGiftcard(_ entry: OutboxEntry, cardUuid: String) async throws -> ReversalOutcome {
        let ext = entry.externalId
        let list = try await recent(cardUuid: cardUuid)
        let mine = list.filter { $0.attributes[Piggy.externalIdAttribute] == ext || $0.attributes[Piggy.compensatesAttribute] == ext }
        guard let original = mine.last(where: { $0.attributes[Piggy.compensatesAttribute] == nil }) else {
            // Not booked, as far as Piggy shows. A request still on its way could book later:
            // only after the settle time is "never booked" the answer.
            if Date().timeIntervalSince(entry.createdAt) < settings.settleSeconds {
                return .retry("not visible at Piggy yet; looking again until \(Int(settings.settleSeconds)) s after the request")
            }
            return .confirmed
        }
        if mine.count >= 2, mine.reduce(0, { $0 + $1.amount }) == 0 { return .confirmed }
        if list.first?.uuid == original.uuid {
            switch try await call(Piggy.reverseTransaction(uuid: original.uuid)) {
            case .data: return .confirmed
            case .refused(.notLastTransaction): break  // another till booked in between
            case .refused(let e): return .refused("\(e.code): \(e.description)")
            }
        }
        let compensation = Piggy.createTransaction(
            cardUuid: cardUuid, amount: -original.amount, attributes: [(Piggy.compensatesAttribute, ext)], settings: settings)
        switch try await call(compensation) {
        case .data: return .confirmed
        case .refused(let e): return .refused("the card has later transactions and the compensating one was refused: \(e.code): \(e.description)")
        }
    }

    /// A reversal whose answer never came: sent again; if Piggy says the transaction is no longer
    /// the card's last, the reversal (a newer transaction of the opposite amount with the same
    /// attributes) may already be there.
    private func redoReversal(uuid: String) async throws -> ReversalOutcome {
        switch try await call(Piggy.reverseTransaction(uuid: uuid)) {
        case .data: return .confirmed
        case .refused(.notLastTransaction):
            let original = try await read(Piggy.transaction(uuid: uuid), Piggy.transaction)
            let list = try await recent(cardUuid: original.cardUuid)
            let reversed = list.contains { $0.uuid != original.uuid && $0.amount == -original.amount && $0.attributes == original.attributes && $0.createdAt >= original.createdAt }
            return reversed ? .confirmed : .refused("not the card's last transaction any more; reverse it by hand")
        case .refused(let e): return .refused("\(e.code): \(e.description)")
        }
    }

    private func undoPrepaid(_ entry: OutboxEntry, contactUuid: String) async throws -> ReversalOutcome {
        guard !contactUuid.isEmpty, let amount = entry.amount else {
            return .refused("a prepaid transaction by contact identifier cannot be looked up; check the contact's prepaid transactions by hand")
        }
        let page = try await read(Piggy.listPrepaid(contactUuid: contactUuid, shopUuid: settings.shopUuid, page: 1, limit: 100)) { d throws(Piggy.MalformedReply) in
            guard let items = d.arrayValue else { throw Piggy.MalformedReply(why: "the list is not an array") }
            var out: [PrepaidTransaction] = []
            for item in items { out.append(try Piggy.prepaidTransaction(item, contactUuid: contactUuid, currency: currency)) }
            return out
        }
        let since = LedgerTime.timestamp(entry.createdAt.addingTimeInterval(-1))
        let candidates = page.filter { $0.amount == amount && Self.after($0.createdAt, since) }
        let undone = page.filter { $0.amount == -amount && Self.after($0.createdAt, since) }
        switch (candidates.count, undone.count) {
        case (0, _):
            if Date().timeIntervalSince(entry.createdAt) < settings.settleSeconds { return .retry("not visible at Piggy yet") }
            return .confirmed
        case (1, 0):
            switch try await call(Piggy.reversePrepaid(uuid: candidates[0].uuid)) {
            case .data: return .confirmed
            case .refused(let e): return .refused("\(e.code): \(e.description)")
            }
        case (1, 1): return .confirmed
        default: return .refused("\(candidates.count) prepaid transactions of this amount since the request; which one is giftbridge's is unclear")
        }
    }

    static func after(_ createdAt: String, _ since: String) -> Bool {
        guard let a = LedgerTime.date(from: createdAt) ?? ISO8601DateFormatter().date(from: createdAt), let b = LedgerTime.date(from: since) else { return true }
        return a >= b
    }

    // MARK: Prepaid

    public func prepaidTransaction(contactUuid: String?, identifierValue: String?, shopUuid: String, amount: Int64, context: OperationContext) async throws -> PrepaidTransaction {
        try context.validate()
        guard amount != 0 else { throw LedgerError.invalidAmount("amount must not be zero") }
        guard (contactUuid == nil) != (identifierValue == nil) else { throw LedgerError.invalidRequest("give one of contactUuid and identifierValue") }
        let shop = shopUuid.isEmpty ? settings.shopUuid : shopUuid
        let entry = OutboxEntry(
            provider: provider, operation: "prepaid", externalId: Self.externalId(context), action: .undo, reference: "contact:\(contactUuid ?? "")",
            amount: amount, createdAt: Date())
        return try await guarded(entry) {
            switch try await call(Piggy.createPrepaid(contactUuid: contactUuid, identifierValue: identifierValue, shopUuid: shop, amount: amount)) {
            case .refused(let e): throw e
            case .data(let d):
                do { return try Piggy.prepaidTransaction(d, contactUuid: contactUuid, currency: currency) } catch {
                    throw TransportFailure.outcomeUnknown("\(error)")
                }
            }
        }
    }

    public func reversePrepaid(uuid: String, context: OperationContext) async throws -> PrepaidTransaction {
        let entry = OutboxEntry(
            provider: provider, operation: "prepaid-reverse", externalId: "gb-" + UUID().uuidString.lowercased(), action: .redo, reference: "prepaid:\(uuid)",
            createdAt: Date())
        return try await guarded(entry) {
            switch try await call(Piggy.reversePrepaid(uuid: uuid)) {
            case .refused(let e): throw e
            case .data(let d):
                do {
                    var t = try Piggy.prepaidTransaction(d, contactUuid: nil, currency: currency)
                    t.reversesUuid = uuid
                    return t
                } catch { throw TransportFailure.outcomeUnknown("\(error)") }
            }
        }
    }

    public func prepaidBalance(contactUuid: String) async throws -> Contact {
        let cents = try await read(Piggy.prepaidBalance(contactUuid: contactUuid)) { d throws(Piggy.MalformedReply) in
            guard let c = d["balance_in_cents"]?.int64Value else { throw Piggy.MalformedReply(why: "no balance_in_cents") }
            return c
        }
        return Contact(uuid: contactUuid, prepaidBalance: Money(minorUnits: cents, currency: currency))
    }

    public func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, perPage: Int) async throws -> Page<PrepaidTransaction> {
        let request = Piggy.listPrepaid(contactUuid: contactUuid, shopUuid: shopUuid, page: page, limit: perPage)
        let currency = self.currency
        let reply: ProviderReply
        do { reply = try await transport.send(.GET, request.path, body: nil) } catch { throw LedgerError.storageFailure("\(provider): \(error)") }
        let v: JSONValue
        do { v = try JSONValue.parse(reply.body) } catch { throw LedgerError.storageFailure("\(provider): \(error)") }
        if !(200..<300).contains(reply.status) {
            throw Piggy.ledgerError(code: Int(v["code"]?.int64Value ?? 1000), message: v["message"]?.stringValue ?? "") ?? .storageFailure("\(provider): internal error")
        }
        guard let items = v["data"]?.arrayValue else { throw LedgerError.storageFailure("\(provider): the list is not an array") }
        var out: [PrepaidTransaction] = []
        for item in items {
            do { out.append(try Piggy.prepaidTransaction(item, contactUuid: contactUuid, currency: currency)) } catch { throw LedgerError.storageFailure("\(provider): \(error)") }
        }
        let meta = v["meta"]
        return Page(
            items: out, currentPage: Int(meta?["current_page"]?.int64Value ?? Int64(page)), perPage: Int(meta?["per_page"]?.int64Value ?? Int64(perPage)),
            total: Int(meta?["total"]?.int64Value ?? Int64(out.count)))
    }

    // Piggy has no holds; its transaction lookup carries no balance.

    public func transaction(id: Int64) async throws -> TransactionRecord { throw unsupported("transaction lookup (a Piggy transaction carries no balance)") }
}
