/// Piggy-style prepaid balances: a small wallet per contact, changed by prepaid transactions
/// that are made at a shop.

public struct Shop: Sendable, Codable, Equatable {
    public var uuid: String
    public var name: String
    public var reference: String?

    public init(uuid: String, name: String, reference: String? = nil) {
        self.uuid = uuid
        self.name = name
        self.reference = reference
    }
}

public struct Contact: Sendable, Codable, Equatable {
    public var uuid: String
    public var email: String?
    /// A value that identifies the contact (a membership card number, a QR token).
    public var identifierValue: String?
    public var identifierName: String?
    public var identifierActive: Bool
    public var prepaidBalance: Money

    public init(uuid: String, email: String? = nil, identifierValue: String? = nil, identifierName: String? = nil, identifierActive: Bool = true, prepaidBalance: Money) {
        self.uuid = uuid
        self.email = email
        self.identifierValue = identifierValue
        self.identifierName = identifierName
        self.identifierActive = identifierActive
        self.prepaidBalance = prepaidBalance
    }
}

public struct PrepaidTransaction: Sendable, Codable, Equatable {
    public var uuid: String
    public var amount: Int64
    public var balanceAfter: Int64
    public var currency: Currency
    public var contact: Contact
    public var shop: Shop
    public var reversesUuid: String?
    public var createdAt: String

    public init(uuid: String, amount: Int64, balanceAfter: Int64, currency: Currency, contact: Contact, shop: Shop, reversesUuid: String?, createdAt: String) {
        self.uuid = uuid
        self.amount = amount
        self.balanceAfter = balanceAfter
        self.currency = currency
        self.contact = contact
        self.shop = shop
        self.reversesUuid = reversesUuid
        self.createdAt = createdAt
    }
}

/// One page of a list, with Piggy's pagination meta.
public struct Page<Item: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
    public var items: [Item]
    public var currentPage: Int
    public var perPage: Int
    public var total: Int

    public init(items: [Item], currentPage: Int, perPage: Int, total: Int) {
        self.items = items
        self.currentPage = currentPage
        self.perPage = perPage
        self.total = total
    }

    public var lastPage: Int { max(1, (total + perPage - 1) / perPage) }
    /// 1-based index of the first item on this page, nil for an empty page.
    public var from: Int? { items.isEmpty ? nil : (currentPage - 1) * perPage + 1 }
    public var to: Int? { items.isEmpty ? nil : (currentPage - 1) * perPage + items.count }
}

extension Rules {
    /// A prepaid transaction: positive adds, negative takes; the balance never goes negative.
    public static func prepaid(balance: Int64, amount: Int64) throws(LedgerError) -> Int64 {
        guard amount != 0 else { throw .invalidAmount("amount must not be zero") }
        let (after, overflow) = balance.addingReportingOverflow(amount)
        guard !overflow else { throw .maximumBalanceExceeded }
        guard after >= 0 else { throw .insufficientFunds }
        return after
    }
}
