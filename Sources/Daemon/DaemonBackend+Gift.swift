import CardReading
import ESCPOS
import Foundation
import Hummingbird
import Ledger
import LedgerSQLite
import LocalAPI

/// Gift operations, holds and card administration on the local API.
extension DaemonBackend {
    func gift(_ operation: GiftOperation, _ request: GiftOperationRequest) async throws(APIError) -> TransactionReply {
        let command = try command(operation, request)
        let context = operationContext(
            operation: "gift/\(operation.rawValue)", request: request, idempotencyKey: request.idempotencyKey,
            storeCode: request.storeCode, terminalId: request.terminalId, cashier: request.cashier, checkNumber: request.checkNumber,
            external: operation == .reverse ? nil : request.externalTransactionId, currency: request.currency)
        let result: GiftResult
        do { result = try await ledger.execute(command, context: context) } catch { throw Self.apiError(error) }
        if let id = request.readId { pipeline.reads.consume(id) }
        let reply = Self.transactionReply(result.transaction, card: result.card, counterpart: result.counterpart, locale: config.shop.locale)
        events.publish("gift.transaction", TransactionEvent(reply))
        return reply
    }

    private func command(_ operation: GiftOperation, _ r: GiftOperationRequest) throws(APIError) -> GiftCommand {
        func amount(_ value: Int64?) throws(APIError) -> Int64 {
            guard let value else { throw APIError(.badRequest, "missing_field", "field 'amount' is required (integer minor units)") }
            guard value > 0 else { throw APIError(.badRequest, "invalid_amount", "field 'amount' must be more than zero") }
            return value
        }
        func refuse(_ names: [String: Bool]) throws(APIError) {
            if let name = names.filter(\.value).keys.sorted().first {
                throw APIError(.badRequest, "unexpected_field", "field '\(name)' does not apply to \(operation.rawValue)")
            }
        }
        switch operation {
        case .sell, .reload:
            try refuse(["tip": r.tip != nil, "newCardInfo": r.newCardInfo != nil, "transactionId": r.transactionId != nil, "lastTransactionOnly": r.lastTransactionOnly != nil])
            let card = try resolveCard(r.cardInfo, readId: r.readId)
            let a = try amount(r.amount)
            return operation == .sell ? .sell(card, amount: a) : .reload(card, amount: a)
        case .redeem:
            try refuse(["newCardInfo": r.newCardInfo != nil, "transactionId": r.transactionId != nil, "lastTransactionOnly": r.lastTransactionOnly != nil])
            let tip = r.tip ?? 0
            guard tip >= 0 else { throw APIError(.badRequest, "invalid_amount", "field 'tip' must not be negative") }
            return .redeem(try resolveCard(r.cardInfo, readId: r.readId), amount: try amount(r.amount), tip: tip)
        case .cashOut:
            try refuse(["amount": r.amount != nil, "tip": r.tip != nil, "newCardInfo": r.newCardInfo != nil, "transactionId": r.transactionId != nil, "lastTransactionOnly": r.lastTransactionOnly != nil])
            return .cashOut(try resolveCard(r.cardInfo, readId: r.readId))
        case .exchange:
            try refuse(["amount": r.amount != nil, "tip": r.tip != nil, "transactionId": r.transactionId != nil, "lastTransactionOnly": r.lastTransactionOnly != nil])
            guard let new = r.newCardInfo else { throw APIError(.badRequest, "missing_field", "field 'newCardInfo' is required: the inactive card that takes the balance") }
            try refusePaymentCard(new, field: "newCardInfo")
            return .exchange(try resolveCard(r.cardInfo, readId: r.readId), to: new)
        case .reverse:
            try refuse(["amount": r.amount != nil, "tip": r.tip != nil, "cardInfo": r.cardInfo != nil, "readId": r.readId != nil, "newCardInfo": r.newCardInfo != nil])
            switch (r.transactionId, r.externalTransactionId) {
            case (let id?, nil): return r.lastTransactionOnly == true ? .reverseLast(transactionId: id) : .reverse(transactionId: id)
            case (nil, let ext?):
                guard r.lastTransactionOnly != true else {
                    throw APIError(.badRequest, "unexpected_field", "lastTransactionOnly reverses by transactionId")
                }
                return .reverseExternal(externalTransactionId: ext)
            default: throw APIError(.badRequest, "missing_field", "give exactly one of transactionId and externalTransactionId")
            }
        }
    }

    /// The context of a mutation; the idempotency scope is the till (terminal id).
    func operationContext(
        operation: String, request: some Encodable, idempotencyKey: String?, storeCode: String? = nil, terminalId: String?,
        cashier: String? = nil, checkNumber: String? = nil, external: String? = nil, currency: String? = nil
    ) -> OperationContext {
        let terminal = terminalId ?? config.shop.terminal
        var idempotency: Idempotency?
        if let key = idempotencyKey {
            let (keyed, legacy) = keyer.fingerprints(operation: operation, request: request)
            idempotency = Idempotency(scope: terminal ?? "default", key: key, requestHash: keyed, legacyRequestHash: legacy)
        }
        return OperationContext(
            storeCode: storeCode, terminalId: terminal, cashier: cashier, checkNumber: checkNumber, externalTransactionId: external,
            currency: currency, requestedBy: APIPeer.current?.description, idempotency: idempotency)
    }

    func transaction(id: Int64) async throws(APIError) -> TransactionReply {
        do {
            return Self.transactionReply(try await ledger.transaction(id: id), card: nil, locale: config.shop.locale)
        } catch {
            throw Self.apiError(error)
        }
    }

    func reserveHold(_ request: HoldRequest) async throws(APIError) -> HoldReply {
        do { try Rules.requirePositive(request.amount) } catch { throw Self.apiError(error) }
        if let metadata = request.metadata, metadata.count > 50 || metadata.contains(where: { $0.key.count > 40 || $0.value.count > 500 }) {
            throw APIError(.badRequest, "invalid_field", "metadata: at most 50 keys of up to 40 characters, values up to 500")
        }
        let card = try resolveCard(request.cardInfo, readId: request.readId)
        let context = operationContext(operation: "holds", request: request, idempotencyKey: request.idempotencyKey, terminalId: request.terminalId, currency: request.currency)
        let hold: HoldRecord
        do { hold = try await ledger.reserveHold(card, amount: request.amount, metadata: request.metadata ?? [:], context: context) } catch {
            throw Self.apiError(error)
        }
        if let id = request.readId { pipeline.reads.consume(id) }
        holdTimer.reschedule()
        let reply = Self.holdReply(hold, locale: config.shop.locale)
        events.publish("hold.reserved", reply)
        return reply
    }

    func hold(id: String) async throws(APIError) -> HoldReply {
        do { return Self.holdReply(try await ledger.hold(id: id), locale: config.shop.locale) } catch { throw Self.apiError(error) }
    }

    func confirmHold(id: String, _ request: HoldActionRequest) async throws(APIError) -> TransactionReply {
        let context = operationContext(
            operation: "holds/\(id)/confirm", request: request, idempotencyKey: request.idempotencyKey, terminalId: request.terminalId,
            cashier: request.cashier, checkNumber: request.checkNumber)
        let result: GiftResult
        do { result = try await ledger.confirmHold(id: id, context: context) } catch { throw Self.apiError(error) }
        let reply = Self.transactionReply(result.transaction, card: result.card, locale: config.shop.locale)
        events.publish("hold.confirmed", TransactionEvent(reply))
        return reply
    }

    func cancelHold(id: String, _ request: HoldActionRequest) async throws(APIError) -> HoldReply {
        let context = operationContext(operation: "holds/\(id)/cancel", request: request, idempotencyKey: request.idempotencyKey, terminalId: request.terminalId)
        let hold: HoldRecord
        do { hold = try await ledger.cancelHold(id: id, context: context) } catch { throw Self.apiError(error) }
        let reply = Self.holdReply(hold, locale: config.shop.locale)
        events.publish("hold.cancelled", reply)
        return reply
    }

    func addCard(_ request: NewCardRequest) async throws(APIError) -> BalanceReply {
        let currency: Currency
        if let code = request.currency {
            guard let c = Currency(code: code) else { throw APIError(.badRequest, "invalid_field", "currency must be an ISO 4217 code") }
            currency = c
        } else {
            currency = config.currency
        }
        let number = PAN.withoutSeparators(request.number)
        guard number.count >= 6, Rules.isCardNumber(number) else {
            throw APIError(.badRequest, "invalid_field", "number must be 6 to 64 ASCII letters or digits")
        }
        do throws(CardRefusal) { try config.cardGuard.check(number: number, field: "number") } catch {
            throw APIError(.unprocessableContent, error.code, error.description)
        }
        guard let form = CardForm(rawValue: request.form ?? "physical") else {
            throw APIError(.badRequest, "invalid_field", "form must be physical or digital")
        }
        let balance = request.balance ?? 0
        guard balance >= 0 else { throw APIError(.badRequest, "invalid_amount", "balance must not be negative") }
        if let maximum = request.maximumBalance, maximum < balance {
            throw APIError(.badRequest, "invalid_amount", "maximumBalance must not be less than balance")
        }
        guard let status = CardStatus(rawValue: request.status ?? (balance > 0 ? "active" : "inactive")), status != .retired else {
            throw APIError(.badRequest, "invalid_field", "status must be inactive, active or blocked")
        }
        if let e = request.expiresOn, !Rules.isCalendarDate(e) {
            throw APIError(.badRequest, "invalid_field", "expiresOn must be a real date, YYYY-MM-DD")
        }
        do {
            try await ledger.addCard(
                number: number, form: form, status: status, balance: Money(minorUnits: balance, currency: currency),
                maximumBalance: request.maximumBalance.map { Money(minorUnits: $0, currency: currency) }, expiresOn: request.expiresOn,
                registrationCode: request.registrationCode)
            return Self.balanceReply(try await ledger.balance(of: CardInfo(printedCardNumber: number, cardRegCode: request.registrationCode), context: RequestContext()))
        } catch {
            throw Self.apiError(error)
        }
    }

    /// An amount for the API: minor units, the plain decimal, and the shop locale's form for people.
    static func amount(_ minor: Int64, _ currency: Currency, _ locale: ReceiptLocale) -> AmountReply {
        let m = Money(minorUnits: minor, currency: currency)
        return AmountReply(minor: minor, decimal: m.decimalString, display: locale.money(m))
    }

    static func transactionReply(_ t: TransactionRecord, card: GiftCardState?, counterpart: TransactionRecord? = nil, locale: ReceiptLocale) -> TransactionReply {
        func amount(_ minor: Int64, _ currency: Currency) -> AmountReply { DaemonBackend.amount(minor, currency, locale) }
        return TransactionReply(
            transactionId: t.id, authCode: t.authCode, kind: t.kind.rawValue, maskedCardNumber: t.maskedCardNumber, currency: t.currency.code,
            transactionAmount: amount(t.amount, t.currency), tip: amount(t.tip, t.currency),
            previousBalance: amount(t.balanceBefore, t.currency), currentBalance: amount(t.balanceAfter, t.currency),
            availableBalance: card.map { amount($0.available.minorUnits, t.currency) }, cardStatus: card?.status.rawValue,
            externalTransactionId: t.externalTransactionId, reversesTransactionId: t.reversesId, holdId: t.holdId, metadata: t.metadata,
            storeCode: t.storeCode, terminalId: t.terminalId, cashier: t.cashier, checkNumber: t.checkNumber, requestedBy: t.requestedBy, createdAt: t.createdAt,
            exchangedFrom: counterpart.map {
                .init(transactionId: $0.id, maskedCardNumber: $0.maskedCardNumber, transactionAmount: amount($0.amount, $0.currency))
            })
    }

    static func holdReply(_ h: HoldRecord, locale: ReceiptLocale) -> HoldReply {
        HoldReply(
            id: h.id, status: h.status.rawValue, maskedCardNumber: h.maskedCardNumber, currency: h.currency.code,
            amount: amount(h.amount, h.currency, locale), metadata: h.metadata, createdAt: h.createdAt, expiresAt: h.expiresAt,
            resolvedAt: h.resolvedAt, transactionId: h.transactionId)
    }
}

/// The event for a booked transaction: the reply without the POS's free-text fields.
struct TransactionEvent: Encodable {
    var transactionId: Int64
    var kind: String
    var maskedCardNumber: String
    var currency: String
    var amount: Int64
    var balance: Int64
    var terminalId: String?
    var holdId: String?

    init(_ r: TransactionReply) {
        transactionId = r.transactionId
        kind = r.kind
        maskedCardNumber = r.maskedCardNumber
        currency = r.currency
        amount = r.transactionAmount.minor
        balance = r.currentBalance.minor
        terminalId = r.terminalId
        holdId = r.holdId
    }
}
