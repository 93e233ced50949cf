import Foundation

/// `POST /v1/prepaid/transactions`: Piggy's create prepaid transaction.
public struct PrepaidTransactionRequest: Codable, Sendable, Equatable, StrictlyDecodable {
    public var contactUuid: String?
    /// The contact's identifier value, instead of its uuid.
    public var contactIdentifierValue: String?
    /// Signed minor units: positive adds to the balance, negative takes from it.
    public var amount: Int64
    public var shopUuid: String
    public var idempotencyKey: String?

    public init(contactUuid: String? = nil, contactIdentifierValue: String? = nil, amount: Int64, shopUuid: String, idempotencyKey: String? = nil) {
        self.contactUuid = contactUuid
        self.contactIdentifierValue = contactIdentifierValue
        self.amount = amount
        self.shopUuid = shopUuid
        self.idempotencyKey = idempotencyKey
    }

    public static let fields: Set<String> = ["contactUuid", "contactIdentifierValue", "amount", "shopUuid", "idempotencyKey"]
    public static let nested: [String: Set<String>] = [:]
    public static let moneyFields: [String: MoneyLimits.Field] = ["amount": .nonZero]
}

extension PrepaidTransactionRequest: IdempotentRequest {}

public struct ShopReply: Codable, Sendable, Equatable {
    public var uuid: String
    public var name: String
    public var reference: String?

    public init(uuid: String, name: String, reference: String?) {
        self.uuid = uuid
        self.name = name
        self.reference = reference
    }
}

public struct ContactReply: Codable, Sendable, Equatable {
    public var uuid: String
    public var email: String?
    public var identifierName: String?
    public var identifierValue: String?
    public var identifierActive: Bool
    public var prepaidBalance: AmountReply

    public init(uuid: String, email: String?, identifierName: String?, identifierValue: String?, identifierActive: Bool, prepaidBalance: AmountReply) {
        self.uuid = uuid
        self.email = email
        self.identifierName = identifierName
        self.identifierValue = identifierValue
        self.identifierActive = identifierActive
        self.prepaidBalance = prepaidBalance
    }
}

public struct PrepaidTransactionReply: Codable, Sendable, Equatable {
    public var uuid: String
    public var amount: AmountReply
    public var prepaidBalance: AmountReply
    public var currency: String
    public var shop: ShopReply
    public var contact: ContactReply
    public var reversesUuid: String?
    public var createdAt: String

    public init(uuid: String, amount: AmountReply, prepaidBalance: AmountReply, currency: String, shop: ShopReply, contact: ContactReply, reversesUuid: String?, createdAt: String) {
        self.uuid = uuid
        self.amount = amount
        self.prepaidBalance = prepaidBalance
        self.currency = currency
        self.shop = shop
        self.contact = contact
        self.reversesUuid = reversesUuid
        self.createdAt = createdAt
    }
}

/// A page of a list, with Piggy's pagination meta.
public struct PageReply<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public struct Meta: Codable, Sendable, Equatable {
        public var currentPage: Int
        public var from: Int?
        public var to: Int?
        public var lastPage: Int
        public var perPage: Int
        public var total: Int

        public init(currentPage: Int, from: Int?, to: Int?, lastPage: Int, perPage: Int, total: Int) {
            self.currentPage = currentPage
            self.from = from
            self.to = to
            self.lastPage = lastPage
            self.perPage = perPage
            self.total = total
        }
    }

    public var data: [Item]
    public var meta: Meta

    public init(data: [Item], meta: Meta) {
        self.data = data
        self.meta = meta
    }
}

/// `POST /v1/contacts` (administration).
public struct NewContactRequest: Codable, Sendable, Equatable, StrictlyDecodable {
    public var uuid: String?
    public var email: String?
    public var identifierName: String?
    public var identifierValue: String?
    public var currency: String?

    public static let fields: Set<String> = ["uuid", "email", "identifierName", "identifierValue", "currency"]
    public static let nested: [String: Set<String>] = [:]
}

/// `POST /v1/shops` (administration).
public struct NewShopRequest: Codable, Sendable, Equatable, StrictlyDecodable {
    public var uuid: String?
    public var name: String
    public var reference: String?

    public static let fields: Set<String> = ["uuid", "name", "reference"]
    public static let nested: [String: Set<String>] = [:]
}
