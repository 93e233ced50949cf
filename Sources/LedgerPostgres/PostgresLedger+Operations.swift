import CardReading
import Foundation
import Ledger
import PostgresNIO

/// Gift operations, holds, prepaid balances and checks on PostgreSQL.
extension PostgresLedger {
    /// A mutation with its idempotency record in the same transaction. Requests with one key are
    /// serialized by an advisory lock on the key.
    func mutate<T: Codable & Sendable>(_ context: OperationContext, _ body: @escaping @Sendable (PostgresConnection, String) async throws -> T) async throws -> T {
        try context.validate()
        let now = LedgerTime.timestamp(clock())
        return try await transaction { conn in
            if let idem = context.idempotency {
                try await self.exec(conn, "SELECT pg_advisory_xact_lock(hashtextextended(\(idem.scope + "\u{1F}" + idem.key), 0))")
                if let row = try await self.one(conn, "SELECT request_hash, response FROM idempotency WHERE scope = \(idem.scope) AND key = \(idem.key)") {
                    guard idem.matches(stored: try row["request_hash"].decode(String.self)) else { throw LedgerError.idempotencyConflict }
                    return try JSONDecoder().decode(T.self, from: Data(try row["response"].decode(String.self).utf8))
                }
            }
            let result = try await body(conn, now)
            if let idem = context.idempotency {
                let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
                try await self.exec(conn, "INSERT INTO idempotency (scope, key, request_hash, response, created_at) VALUES (\(idem.scope), \(idem.key), \(idem.requestHash), \(json), \(now))")
            }
            return result
        }
    }

    public func execute(_ command: GiftCommand, context: OperationContext) async throws -> GiftResult {
        do {
            return try await mutate(context) { conn, now in try await self.run(conn, command, context, now) }
        } catch LedgerError.transactionNotFound {
            guard case .reverseExternal(let external) = command else { throw LedgerError.transactionNotFound }
            // The original may still arrive: record that it was reversed, so it is refused then.
            let now = LedgerTime.timestamp(clock())
            let recorded = try await transaction { conn in
                try await self.exec(conn, "SELECT pg_advisory_xact_lock(hashtextextended(\(external), 1))")
                if try await self.one(conn, "SELECT 1 AS x FROM gift_txn WHERE external_txn_id = \(external)") != nil { return false }
                try await self.exec(conn, "INSERT INTO external_tombstone (external_txn_id, created_at) VALUES (\(external), \(now)) ON CONFLICT DO NOTHING")
                return true
            }
            if recorded { throw LedgerError.transactionNotFound }
            return try await mutate(context) { conn, now in try await self.run(conn, command, context, now) }
        }
    }

    private func run(_ conn: PostgresConnection, _ command: GiftCommand, _ ctx: OperationContext, _ now: String) async throws -> GiftResult {
        let today = String(now.prefix(10))
        func money(_ minor: Int64, _ card: GiftCardState) -> Money { Money(minorUnits: minor, currency: card.balance.currency) }
        func single(_ info: CardInfo, _ rule: (GiftCardState) throws -> CardChange) async throws -> GiftResult {
            try await refuseTakenExternalId(conn, ctx.externalTransactionId)
            let card = try await lockCard(conn, info, now: now)
            try ctx.requireCurrency(of: card)
            let change = try rule(card)
            let txn = try await book(conn, change, ctx, now: now, external: ctx.externalTransactionId)
            return GiftResult(transaction: txn, card: change.card)
        }
        switch command {
        case .sell(let info, let amount):
            return try await single(info) { try Rules.sell($0, amount: money(amount, $0), today: today) }
        case .reload(let info, let amount):
            return try await single(info) { try Rules.reload($0, amount: money(amount, $0), today: today) }
        case .redeem(let info, let amount, let tip):
            return try await single(info) { try Rules.redeem($0, amount: money(amount, $0), tip: money(tip, $0), today: today) }
        case .cashOut(let info):
            return try await single(info) { try Rules.cashOut($0, today: today) }
        case .exchange(let oldInfo, let newInfo):
            try await refuseTakenExternalId(conn, ctx.externalTransactionId)
            // Lock both cards in id order, so two exchanges cannot deadlock.
            let oldKey = keyer.key(forCardNumber: try CardKeyer.cardNumber(in: oldInfo))
            let newKey = keyer.key(forCardNumber: try CardKeyer.cardNumber(in: newInfo))
            _ = try await all(conn, "SELECT id FROM card WHERE number_key IN (\(oldKey), \(newKey)) ORDER BY id FOR UPDATE")
            let old = try await lockCard(conn, oldInfo, now: now)
            let new = try await lockCard(conn, newInfo, now: now)
            try ctx.requireCurrency(of: old)
            let (out, into) = try Rules.exchange(from: old, to: new, today: today)
            let outTxn = try await book(conn, out, ctx, now: now, external: ctx.externalTransactionId)
            let inTxn = try await book(conn, into, ctx, now: now, external: nil)
            return GiftResult(transaction: inTxn, card: into.card, counterpart: outTxn)
        case .reverse(let id):
            return try await reverse(conn, targetId: id, piggy: false, ctx, now: now)
        case .reverseLast(let id):
            return try await reverse(conn, targetId: id, piggy: true, ctx, now: now)
        case .reverseExternal(let external):
            guard let row = try await one(conn, "SELECT id FROM gift_txn WHERE external_txn_id = \(external)") else {
                throw LedgerError.transactionNotFound  // execute(_:context:) records the tombstone
            }
            return try await reverse(conn, targetId: try row["id"].decode(Int64.self), piggy: false, ctx, now: now)
        }
    }

    private func reverse(_ conn: PostgresConnection, targetId: Int64, piggy: Bool, _ ctx: OperationContext, now: String) async throws -> GiftResult {
        guard let row = try await one(conn, "SELECT card_id, kind, amount, balance_before FROM gift_txn WHERE id = \(targetId)") else {
            throw LedgerError.transactionNotFound
        }
        guard let kind = TransactionKind(rawValue: try row["kind"].decode(String.self)) else { throw LedgerError.storageFailure("unknown kind") }
        let card = try await lockCard(conn, id: try row["card_id"].decode(Int64.self), now: now)
        try ctx.requireCurrency(of: card)
        let reversed = try await one(conn, "SELECT 1 AS x FROM gift_txn WHERE reverses_id = \(targetId)") != nil
        let target = ReversalTarget(
            id: targetId, kind: kind, amount: try row["amount"].decode(Int64.self), alreadyReversed: reversed,
            balanceBefore: try row["balance_before"].decode(Int64.self))
        let change = try Rules.reverse(
            card, target: target,
            piggy: piggy, today: String(now.prefix(10)))
        let txn = try await book(conn, change, ctx, now: now, external: nil, reverses: targetId)
        return GiftResult(transaction: txn, card: change.card)
    }

    private func refuseTakenExternalId(_ conn: PostgresConnection, _ external: String?) async throws {
        guard let external else { return }
        if try await one(conn, "SELECT 1 AS x FROM gift_txn WHERE external_txn_id = \(external)") != nil { throw LedgerError.duplicateExternalTransactionId }
        if try await one(conn, "SELECT 1 AS x FROM external_tombstone WHERE external_txn_id = \(external)") != nil { throw LedgerError.alreadyReversed }
    }

    /// Writes a transaction and the card's new state (the card row is locked).
    func book(
        _ conn: PostgresConnection, _ change: CardChange, _ ctx: OperationContext, now: String, external: String?,
        reverses: Int64? = nil, holdId: String? = nil, metadata: [String: String]? = nil
    ) async throws -> TransactionRecord {
        let c = change.card
        let record = TransactionRecord(
            id: LedgerTime.newTransactionId(), cardId: c.id, maskedCardNumber: c.maskedNumber, kind: change.kind,
            currency: c.balance.currency, amount: change.amount, tip: change.tip, balanceBefore: change.balanceBefore,
            balanceAfter: change.balanceAfter, authCode: LedgerTime.newAuthCode(), externalTransactionId: external,
            reversesId: reverses, holdId: holdId, metadata: metadata, storeCode: ctx.storeCode, terminalId: ctx.terminalId,
            cashier: ctx.cashier, checkNumber: ctx.checkNumber, requestedBy: ctx.requestedBy, createdAt: now)
        let metadataJSON = try metadata.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        _ = try await conn.execute(Prepared.InsertTransaction(record: record, metadataJSON: metadataJSON), logger: logger)
        var updated: Int64?
        for try await id in try await conn.execute(Prepared.UpdateCard(card: c, transactionId: record.id, balanceBefore: change.balanceBefore), logger: logger) {
            updated = id
        }
        guard updated != nil else { throw LedgerError.storageFailure("card \(c.id) changed under its lock") }
        return record
    }

    public func transaction(id: Int64) async throws -> TransactionRecord {
        try await transaction { conn in
            guard let r = try await self.one(conn, "SELECT t.*, c.masked_number, c.currency FROM gift_txn t JOIN card c ON c.id = t.card_id WHERE t.id = \(id)") else {
                throw LedgerError.transactionNotFound
            }
            return try Self.transactionRecord(r)
        }
    }

    static func transactionRecord(_ r: PostgresRandomAccessRow) throws -> TransactionRecord {
        guard let kind = TransactionKind(rawValue: try r["kind"].decode(String.self)), let currency = Currency(code: try r["currency"].decode(String.self)) else {
            throw LedgerError.storageFailure("unreadable transaction row")
        }
        let metadata = try r["metadata"].decode(String?.self)
        return TransactionRecord(
            id: try r["id"].decode(Int64.self), cardId: try r["card_id"].decode(Int64.self), maskedCardNumber: try r["masked_number"].decode(String.self),
            kind: kind, currency: currency, amount: try r["amount"].decode(Int64.self), tip: try r["tip"].decode(Int64.self),
            balanceBefore: try r["balance_before"].decode(Int64.self), balanceAfter: try r["balance_after"].decode(Int64.self),
            authCode: try r["auth_code"].decode(String.self), externalTransactionId: try r["external_txn_id"].decode(String?.self),
            reversesId: try r["reverses_id"].decode(Int64?.self), holdId: try r["hold_id"].decode(String?.self),
            metadata: try metadata.map { try JSONDecoder().decode([String: String].self, from: Data($0.utf8)) },
            storeCode: try r["store_code"].decode(String?.self), terminalId: try r["terminal_id"].decode(String?.self),
            cashier: try r["cashier"].decode(String?.self), checkNumber: try r["check_number"].decode(String?.self),
            requestedBy: try r["requested_by"].decode(String?.self), createdAt: try r["created_at"].decode(String.self))
    }

    // MARK: Holds

    public func reserveHold(_ info: CardInfo, amount: Int64, metadata: [String: String], context: OperationContext) async throws -> HoldRecord {
        let expires = LedgerTime.timestamp(clock().addingTimeInterval(holdLifetime))
        return try await mutate(context) { conn, now in
            let card = try await self.lockCard(conn, info, now: now)
            try context.requireCurrency(of: card)
            let next = try Rules.reserve(card, amount: Money(minorUnits: amount, currency: card.balance.currency), today: String(now.prefix(10)))
            let hold = HoldRecord(
                id: LedgerTime.newHoldId(), cardId: card.id, maskedCardNumber: card.maskedNumber, currency: card.balance.currency,
                amount: amount, status: .needsConfirmation, metadata: metadata, createdAt: now, expiresAt: expires)
            let json = String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
            try await self.exec(conn, "INSERT INTO hold (id, card_id, amount, status, metadata, created_at, expires_at) VALUES (\(hold.id), \(card.id), \(amount), 'NEEDS_CONFIRMATION', \(json), \(now), \(expires))")
            try await self.exec(conn, "UPDATE card SET held = \(next.held.minorUnits) WHERE id = \(card.id)")
            return hold
        }
    }

    /// Loads a hold with its card locked (and the card's expired holds released).
    private func lockedHold(_ conn: PostgresConnection, _ id: String, now: String) async throws -> (HoldRecord, GiftCardState) {
        guard let row = try await one(conn, "SELECT card_id FROM hold WHERE id = \(id)") else { throw LedgerError.holdNotFound }
        let card = try await lockCard(conn, id: try row["card_id"].decode(Int64.self), now: now)
        return (try await loadHold(conn, id), card)
    }

    func loadHold(_ conn: PostgresConnection, _ id: String) async throws -> HoldRecord {
        guard let r = try await one(conn, "SELECT h.*, c.masked_number, c.currency FROM hold h JOIN card c ON c.id = h.card_id WHERE h.id = \(id)") else {
            throw LedgerError.holdNotFound
        }
        guard let status = HoldStatus(rawValue: try r["status"].decode(String.self)), let currency = Currency(code: try r["currency"].decode(String.self)) else {
            throw LedgerError.storageFailure("unreadable hold \(id)")
        }
        return HoldRecord(
            id: try r["id"].decode(String.self), cardId: try r["card_id"].decode(Int64.self), maskedCardNumber: try r["masked_number"].decode(String.self),
            currency: currency, amount: try r["amount"].decode(Int64.self), status: status,
            metadata: try JSONDecoder().decode([String: String].self, from: Data(try r["metadata"].decode(String.self).utf8)),
            createdAt: try r["created_at"].decode(String.self), expiresAt: try r["expires_at"].decode(String.self),
            resolvedAt: try r["resolved_at"].decode(String?.self), transactionId: try r["txn_id"].decode(Int64?.self))
    }

    public func hold(id: String) async throws -> HoldRecord {
        let now = LedgerTime.timestamp(clock())
        return try await transaction { conn in try await self.lockedHold(conn, id, now: now).0 }
    }

    public func confirmHold(id: String, context: OperationContext) async throws -> GiftResult {
        try await mutate(context) { conn, now in
            let (hold, card) = try await self.lockedHold(conn, id, now: now)
            guard hold.status == .needsConfirmation else { throw LedgerError.holdNotOpen(status: hold.status.rawValue) }
            let change = try Rules.capture(card, held: hold.amount)
            let txn = try await self.book(conn, change, context, now: now, external: context.externalTransactionId, holdId: id, metadata: hold.metadata)
            try await self.exec(conn, "UPDATE hold SET status = 'CONFIRMED', resolved_at = \(now), txn_id = \(txn.id) WHERE id = \(id)")
            return GiftResult(transaction: txn, card: change.card)
        }
    }

    public func cancelHold(id: String, context: OperationContext) async throws -> HoldRecord {
        try await mutate(context) { conn, now in
            let (hold, card) = try await self.lockedHold(conn, id, now: now)
            guard hold.status == .needsConfirmation else { throw LedgerError.holdNotOpen(status: hold.status.rawValue) }
            let next = Rules.release(card, held: hold.amount)
            try await self.exec(conn, "UPDATE card SET held = \(next.held.minorUnits) WHERE id = \(card.id)")
            try await self.exec(conn, "UPDATE hold SET status = 'CANCELLED', resolved_at = \(now) WHERE id = \(id)")
            return try await self.loadHold(conn, id)
        }
    }

    public func releaseExpiredHolds() async throws -> [HoldRecord] {
        let now = LedgerTime.timestamp(clock())
        let due = try await transaction { conn in
            try await self.all(conn, "SELECT id FROM hold WHERE status = 'NEEDS_CONFIRMATION' AND expires_at <= \(now)").map { try $0["id"].decode(String.self) }
        }
        var released: [HoldRecord] = []
        for id in due {
            // Each in its own transaction with its card locked; another till may get there first.
            let hold = try await transaction { conn -> HoldRecord? in
                let (before, _) = try await self.lockedHold(conn, id, now: now)
                _ = before
                let after = try await self.loadHold(conn, id)
                return after.status == .expired && after.resolvedAt == now ? after : nil
            }
            if let hold { released.append(hold) }
        }
        return released
    }

    public func nextHoldExpiry() async throws -> Date? {
        let text = try await transaction { conn in
            try await self.one(conn, "SELECT min(expires_at) AS m FROM hold WHERE status = 'NEEDS_CONFIRMATION'")?["m"].decode(String?.self)
        }
        return text.flatMap(LedgerTime.date(from:))
    }

    // MARK: Prepaid

    public func addShop(_ shop: Shop) async throws {
        try await transaction { conn in
            try await self.exec(conn, "INSERT INTO shop (uuid, name, reference) VALUES (\(shop.uuid), \(shop.name), \(shop.reference))")
        }
    }

    public func addContact(_ contact: Contact) async throws {
        try await transaction { conn in
            try await self.exec(conn, """
                INSERT INTO contact (uuid, email, identifier_value, identifier_name, identifier_active, currency, prepaid_balance)
                VALUES (\(contact.uuid), \(contact.email), \(contact.identifierValue), \(contact.identifierName), \(contact.identifierActive), \(contact.prepaidBalance.currency.code), 0)
                """)
        }
    }

    func contact(_ conn: PostgresConnection, uuid: String?, identifierValue: String?, lock: Bool) async throws -> Contact {
        let suffix = lock ? " FOR UPDATE" : ""
        let row: PostgresRandomAccessRow?
        if let uuid {
            row = try await one(conn, "SELECT * FROM contact WHERE uuid = \(uuid)\(unescaped: suffix)")
        } else if let identifierValue {
            row = try await one(conn, "SELECT * FROM contact WHERE identifier_value = \(identifierValue)\(unescaped: suffix)")
        } else {
            throw LedgerError.invalidRequest("give contactUuid or contactIdentifierValue")
        }
        guard let r = row, let currency = Currency(code: try r["currency"].decode(String.self)) else { throw LedgerError.contactNotFound }
        return Contact(
            uuid: try r["uuid"].decode(String.self), email: try r["email"].decode(String?.self),
            identifierValue: try r["identifier_value"].decode(String?.self), identifierName: try r["identifier_name"].decode(String?.self),
            identifierActive: try r["identifier_active"].decode(Bool.self),
            prepaidBalance: Money(minorUnits: try r["prepaid_balance"].decode(Int64.self), currency: currency))
    }

    func shop(_ conn: PostgresConnection, _ uuid: String) async throws -> Shop {
        guard let r = try await one(conn, "SELECT * FROM shop WHERE uuid = \(uuid)") else { throw LedgerError.shopNotFound }
        return Shop(uuid: try r["uuid"].decode(String.self), name: try r["name"].decode(String.self), reference: try r["reference"].decode(String?.self))
    }

    public func prepaidTransaction(contactUuid: String?, identifierValue: String?, shopUuid: String, amount: Int64, context: OperationContext) async throws -> PrepaidTransaction {
        try await mutate(context) { conn, now in
            let contact = try await self.contact(conn, uuid: contactUuid, identifierValue: identifierValue, lock: true)
            let shop = try await self.shop(conn, shopUuid)
            let after = try Rules.prepaid(balance: contact.prepaidBalance.minorUnits, amount: amount)
            return try await self.bookPrepaid(conn, contact: contact, shop: shop, amount: amount, after: after, reverses: nil, context: context, now: now)
        }
    }

    public func reversePrepaid(uuid: String, context: OperationContext) async throws -> PrepaidTransaction {
        try await mutate(context) { conn, now in
            guard let r = try await self.one(conn, "SELECT * FROM prepaid_txn WHERE uuid = \(uuid)") else { throw LedgerError.transactionNotFound }
            guard try r["reverses_uuid"].decode(String?.self) == nil else { throw LedgerError.notReversible("a reversal cannot be reversed") }
            let contact = try await self.contact(conn, uuid: try r["contact_uuid"].decode(String.self), identifierValue: nil, lock: true)
            if try await self.one(conn, "SELECT 1 AS x FROM prepaid_txn WHERE reverses_uuid = \(uuid)") != nil { throw LedgerError.alreadyReversed }
            let shop = try await self.shop(conn, try r["shop_uuid"].decode(String.self))
            let amount = -(try r["amount"].decode(Int64.self))
            let after = try Rules.prepaid(balance: contact.prepaidBalance.minorUnits, amount: amount)
            return try await self.bookPrepaid(conn, contact: contact, shop: shop, amount: amount, after: after, reverses: uuid, context: context, now: now)
        }
    }

    private func bookPrepaid(_ conn: PostgresConnection, contact: Contact, shop: Shop, amount: Int64, after: Int64, reverses: String?, context: OperationContext, now: String) async throws -> PrepaidTransaction {
        let uuid = UUID().uuidString.lowercased()
        try await exec(conn, """
            INSERT INTO prepaid_txn (uuid, contact_uuid, shop_uuid, amount, balance_after, reverses_uuid, requested_by, created_at)
            VALUES (\(uuid), \(contact.uuid), \(shop.uuid), \(amount), \(after), \(reverses), \(context.requestedBy), \(now))
            """)
        guard try await one(conn, "UPDATE contact SET prepaid_balance = \(after) WHERE uuid = \(contact.uuid) AND prepaid_balance = \(contact.prepaidBalance.minorUnits) RETURNING uuid") != nil else {
            throw LedgerError.storageFailure("contact \(contact.uuid) changed under its lock")
        }
        var updated = contact
        updated.prepaidBalance.minorUnits = after
        return PrepaidTransaction(uuid: uuid, amount: amount, balanceAfter: after, currency: contact.prepaidBalance.currency, contact: updated, shop: shop, reversesUuid: reverses, createdAt: now)
    }

    public func prepaidBalance(contactUuid: String) async throws -> Contact {
        try await transaction { conn in try await self.contact(conn, uuid: contactUuid, identifierValue: nil, lock: false) }
    }

    public func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, perPage: Int) async throws -> Page<PrepaidTransaction> {
        try await transaction { conn in
            // NULL filters match everything.
            let total = try await self.one(conn, """
                SELECT count(*) AS n FROM prepaid_txn
                WHERE (\(contactUuid)::text IS NULL OR contact_uuid = \(contactUuid)) AND (\(shopUuid)::text IS NULL OR shop_uuid = \(shopUuid))
                """)?["n"].decode(Int.self) ?? 0
            let rows = try await self.all(conn, """
                SELECT * FROM prepaid_txn
                WHERE (\(contactUuid)::text IS NULL OR contact_uuid = \(contactUuid)) AND (\(shopUuid)::text IS NULL OR shop_uuid = \(shopUuid))
                ORDER BY seq DESC LIMIT \(perPage) OFFSET \((page - 1) * perPage)
                """)
            var contacts: [String: Contact] = [:]
            var shops: [String: Shop] = [:]
            var items: [PrepaidTransaction] = []
            for r in rows {
                let cu = try r["contact_uuid"].decode(String.self)
                let su = try r["shop_uuid"].decode(String.self)
                if contacts[cu] == nil { contacts[cu] = try await self.contact(conn, uuid: cu, identifierValue: nil, lock: false) }
                if shops[su] == nil { shops[su] = try await self.shop(conn, su) }
                let contact = contacts[cu]!
                items.append(PrepaidTransaction(
                    uuid: try r["uuid"].decode(String.self), amount: try r["amount"].decode(Int64.self), balanceAfter: try r["balance_after"].decode(Int64.self),
                    currency: contact.prepaidBalance.currency, contact: contact, shop: shops[su]!,
                    reversesUuid: try r["reverses_uuid"].decode(String?.self), createdAt: try r["created_at"].decode(String.self)))
            }
            return Page(items: items, currentPage: page, perPage: perPage, total: total)
        }
    }

    // MARK: Checks

    public func verifyInvariants() async throws -> [String] {
        try await transaction { conn in
            var problems: [String] = []
            for r in try await self.all(conn, """
                SELECT c.id, c.balance, c.held,
                  (SELECT coalesce(sum(amount), 0) FROM gift_txn t WHERE t.card_id = c.id)::bigint AS txn_sum,
                  (SELECT coalesce(sum(amount), 0) FROM hold h WHERE h.card_id = c.id AND h.status = 'NEEDS_CONFIRMATION')::bigint AS hold_sum
                FROM card c
                """)
            {
                let id = try r["id"].decode(Int64.self)
                let balance = try r["balance"].decode(Int64.self)
                let held = try r["held"].decode(Int64.self)
                let txnSum = try r["txn_sum"].decode(Int64.self)
                let holdSum = try r["hold_sum"].decode(Int64.self)
                if balance != txnSum { problems.append("card \(id): balance \(balance) != sum of transactions \(txnSum)") }
                if held != holdSum { problems.append("card \(id): held \(held) != sum of open holds \(holdSum)") }
            }
            let broken = try await self.one(conn, """
                SELECT count(*) AS n FROM (
                  SELECT balance_after, lead(balance_before) OVER (PARTITION BY card_id ORDER BY seq) AS next_before FROM gift_txn) x
                WHERE next_before IS NOT NULL AND next_before != balance_after
                """)?["n"].decode(Int.self) ?? 0
            if broken > 0 { problems.append("\(broken) transactions do not chain (balance_before != previous balance_after)") }
            let prepaid = try await self.one(conn, """
                SELECT count(*) AS n FROM contact c
                WHERE c.prepaid_balance != (SELECT coalesce(sum(amount), 0) FROM prepaid_txn t WHERE t.contact_uuid = c.uuid)
                """)?["n"].decode(Int.self) ?? 0
            if prepaid > 0 { problems.append("\(prepaid) contacts' prepaid balance differs from their transactions") }
            return problems
        }
    }
}
