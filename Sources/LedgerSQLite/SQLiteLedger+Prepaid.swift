import Foundation
import GRDB
import Ledger

/// Piggy prepaid balances on SQLite: contacts, shops, prepaid transactions.
extension SQLiteLedger {
    public func addShop(_ shop: Shop) async throws {
        try await write { db in
            try db.cachedExecute(sql: "INSERT INTO shop (uuid, name, reference) VALUES (?, ?, ?)", arguments: [shop.uuid, shop.name, shop.reference])
        }
    }

    public func addContact(_ contact: Contact) async throws {
        try await write { db in
            try db.cachedExecute(
                sql: "INSERT INTO contact (uuid, email, identifier_value, identifier_name, identifier_active, currency, prepaid_balance) VALUES (?, ?, ?, ?, ?, ?, 0)",
                arguments: [contact.uuid, contact.email, contact.identifierValue, contact.identifierName, contact.identifierActive, contact.prepaidBalance.currency.code])
        }
    }

    /// A prepaid transaction for the contact with `contactUuid` or with `identifierValue`.
    public func prepaidTransaction(contactUuid: String?, identifierValue: String?, shopUuid: String, amount: Int64, context: OperationContext) async throws -> PrepaidTransaction {
        try await mutate(context) { db, now in
            let contact = try self.contact(db, uuid: contactUuid, identifierValue: identifierValue)
            let shop = try self.shop(db, shopUuid)
            let after = try Rules.prepaid(balance: contact.prepaidBalance.minorUnits, amount: amount)
            return try self.bookPrepaid(db, contact: contact, shop: shop, amount: amount, after: after, reverses: nil, context: context, now: now)
        }
    }

    /// Reverses a prepaid transaction: a new one with the negated amount, once, never of a reversal.
    public func reversePrepaid(uuid: String, context: OperationContext) async throws -> PrepaidTransaction {
        try await mutate(context) { db, now in
            guard let row = try db.cachedRow(sql: "SELECT * FROM prepaid_txn WHERE uuid = ?", arguments: [uuid]) else {
                throw LedgerError.transactionNotFound
            }
            guard (row["reverses_uuid"] as String?) == nil else { throw LedgerError.notReversible("a reversal cannot be reversed") }
            if try db.cachedValue(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM prepaid_txn WHERE reverses_uuid = ?)", arguments: [uuid]) == true {
                throw LedgerError.alreadyReversed
            }
            let contact = try self.contact(db, uuid: row["contact_uuid"], identifierValue: nil)
            let shop = try self.shop(db, row["shop_uuid"])
            let amount = -(row["amount"] as Int64)
            let after = try Rules.prepaid(balance: contact.prepaidBalance.minorUnits, amount: amount)
            return try self.bookPrepaid(db, contact: contact, shop: shop, amount: amount, after: after, reverses: uuid, context: context, now: now)
        }
    }

    public func prepaidBalance(contactUuid: String) async throws -> Contact {
        try await read { db in try self.contact(db, uuid: contactUuid, identifierValue: nil) }
    }

    /// Prepaid transactions, newest first, filtered by contact and/or shop.
    public func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, perPage: Int) async throws -> Page<PrepaidTransaction> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let contactUuid {
                conditions.append("t.contact_uuid = ?")
                arguments += [contactUuid]
            }
            if let shopUuid {
                conditions.append("t.shop_uuid = ?")
                arguments += [shopUuid]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try db.cachedValue(Int.self, sql: "SELECT count(*) FROM prepaid_txn t \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT t.* FROM prepaid_txn t \(filter) ORDER BY t.seq DESC LIMIT ? OFFSET ?",
                arguments: arguments + [perPage, (page - 1) * perPage])
            var contacts: [String: Contact] = [:]
            var shops: [String: Shop] = [:]
            let items = try rows.map { row -> PrepaidTransaction in
                let cu: String = row["contact_uuid"]
                let su: String = row["shop_uuid"]
                if contacts[cu] == nil { contacts[cu] = try self.contact(db, uuid: cu, identifierValue: nil) }
                if shops[su] == nil { shops[su] = try self.shop(db, su) }
                return Self.prepaidTransaction(row, contact: contacts[cu]!, shop: shops[su]!)
            }
            return Page(items: items, currentPage: page, perPage: perPage, total: total)
        }
    }

    private func bookPrepaid(_ db: Database, contact: Contact, shop: Shop, amount: Int64, after: Int64, reverses: String?, context: OperationContext, now: String) throws -> PrepaidTransaction {
        let uuid = UUID().uuidString.lowercased()
        try db.cachedExecute(
            sql: "INSERT INTO prepaid_txn (uuid, contact_uuid, shop_uuid, amount, balance_after, reverses_uuid, requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [uuid, contact.uuid, shop.uuid, amount, after, reverses, context.requestedBy, now])
        try db.cachedExecute(
            sql: "UPDATE contact SET prepaid_balance = ? WHERE uuid = ? AND prepaid_balance = ?",
            arguments: [after, contact.uuid, contact.prepaidBalance.minorUnits])
        guard db.changesCount == 1 else { throw LedgerError.storageFailure("contact \(contact.uuid) changed under the writer") }
        var updated = contact
        updated.prepaidBalance.minorUnits = after
        return PrepaidTransaction(
            uuid: uuid, amount: amount, balanceAfter: after, currency: contact.prepaidBalance.currency, contact: updated, shop: shop,
            reversesUuid: reverses, createdAt: now)
    }

    static func prepaidTransaction(_ row: Row, contact: Contact, shop: Shop) -> PrepaidTransaction {
        PrepaidTransaction(
            uuid: row["uuid"], amount: row["amount"], balanceAfter: row["balance_after"], currency: contact.prepaidBalance.currency,
            contact: contact, shop: shop, reversesUuid: row["reverses_uuid"], createdAt: row["created_at"])
    }

    func contact(_ db: Database, uuid: String?, identifierValue: String?) throws -> Contact {
        let row: Row?
        if let uuid {
            row = try db.cachedRow(sql: "SELECT * FROM contact WHERE uuid = ?", arguments: [uuid])
        } else if let identifierValue {
            row = try db.cachedRow(sql: "SELECT * FROM contact WHERE identifier_value = ?", arguments: [identifierValue])
        } else {
            throw LedgerError.invalidRequest("give contactUuid or contactIdentifierValue")
        }
        guard let row, let currency = Currency(code: row["currency"]) else { throw LedgerError.contactNotFound }
        return Contact(
            uuid: row["uuid"], email: row["email"], identifierValue: row["identifier_value"], identifierName: row["identifier_name"],
            identifierActive: row["identifier_active"], prepaidBalance: Money(minorUnits: row["prepaid_balance"], currency: currency))
    }

    func shop(_ db: Database, _ uuid: String) throws -> Shop {
        guard let row = try db.cachedRow(sql: "SELECT * FROM shop WHERE uuid = ?", arguments: [uuid]) else { throw LedgerError.shopNotFound }
        return Shop(uuid: row["uuid"], name: row["name"], reference: row["reference"])
    }

    /// A plain write (administration), with database errors as ledger errors.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let e as LedgerError {
            throw e
        } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw LedgerError.alreadyExists("a contact or shop with this uuid or identifier")
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
            throw LedgerError.invalidRequest("refused by the ledger's constraints: \(e.message ?? "")")
        } catch {
            throw LedgerError.storageFailure(Self.describe(error))
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let e as LedgerError {
            throw e
        } catch {
            throw LedgerError.storageFailure(Self.describe(error))
        }
    }
}
