import ESCPOS
import Foundation
import Ledger
import LocalAPI

/// Piggy prepaid balances on the local API.
extension DaemonBackend {
    func prepaidTransaction(_ request: PrepaidTransactionRequest) async throws(APIError) -> PrepaidTransactionReply {
        guard (request.contactUuid == nil) != (request.contactIdentifierValue == nil) else {
            throw APIError(.badRequest, "missing_field", "give exactly one of contactUuid and contactIdentifierValue")
        }
        let context = operationContext(operation: "prepaid/transactions", request: request, idempotencyKey: request.idempotencyKey, terminalId: nil)
        do {
            let t = try await ledger.prepaidTransaction(
                contactUuid: request.contactUuid, identifierValue: request.contactIdentifierValue, shopUuid: request.shopUuid,
                amount: request.amount, context: context)
            let reply = Self.prepaidReply(t, locale: config.shop.locale)
            events.publish("prepaid.transaction", PrepaidEvent(uuid: t.uuid, contactUuid: t.contact.uuid, shopUuid: t.shop.uuid, amount: t.amount, balance: t.balanceAfter, currency: t.currency.code))
            return reply
        } catch {
            throw Self.apiError(error, prepaid: true)
        }
    }

    func reversePrepaid(uuid: String) async throws(APIError) -> PrepaidTransactionReply {
        do {
            let t = try await ledger.reversePrepaid(uuid: uuid, context: OperationContext(requestedBy: APIPeer.current?.description))
            events.publish("prepaid.transaction", PrepaidEvent(uuid: t.uuid, contactUuid: t.contact.uuid, shopUuid: t.shop.uuid, amount: t.amount, balance: t.balanceAfter, currency: t.currency.code))
            return Self.prepaidReply(t, locale: config.shop.locale)
        } catch {
            throw Self.apiError(error, prepaid: true)
        }
    }

    func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, limit: Int) async throws(APIError) -> PageReply<PrepaidTransactionReply> {
        do {
            let p = try await ledger.prepaidTransactions(contactUuid: contactUuid, shopUuid: shopUuid, page: page, perPage: limit)
            return PageReply(
                data: p.items.map { Self.prepaidReply($0, locale: config.shop.locale) },
                meta: .init(currentPage: p.currentPage, from: p.from, to: p.to, lastPage: p.lastPage, perPage: p.perPage, total: p.total))
        } catch {
            throw Self.apiError(error, prepaid: true)
        }
    }

    func prepaidBalance(contactUuid: String) async throws(APIError) -> ContactReply {
        do { return Self.contactReply(try await ledger.prepaidBalance(contactUuid: contactUuid), locale: config.shop.locale) } catch { throw Self.apiError(error, prepaid: true) }
    }

    func addContact(_ request: NewContactRequest) async throws(APIError) -> ContactReply {
        guard let currency = Currency(code: request.currency ?? config.currency.code) else {
            throw APIError(.badRequest, "invalid_field", "currency must be an ISO 4217 code")
        }
        let contact = Contact(
            uuid: request.uuid ?? UUID().uuidString.lowercased(), email: request.email, identifierValue: request.identifierValue,
            identifierName: request.identifierName, prepaidBalance: .zero(currency))
        do {
            try await ledger.addContact(contact)
            return Self.contactReply(contact, locale: config.shop.locale)
        } catch {
            throw Self.apiError(error, prepaid: true)
        }
    }

    func addShop(_ request: NewShopRequest) async throws(APIError) -> ShopReply {
        let shop = Shop(uuid: request.uuid ?? UUID().uuidString.lowercased(), name: request.name, reference: request.reference)
        do {
            try await ledger.addShop(shop)
            return ShopReply(uuid: shop.uuid, name: shop.name, reference: shop.reference)
        } catch {
            throw Self.apiError(error, prepaid: true)
        }
    }

    static func contactReply(_ c: Contact, locale: ReceiptLocale) -> ContactReply {
        ContactReply(
            uuid: c.uuid, email: c.email, identifierName: c.identifierName, identifierValue: c.identifierValue,
            identifierActive: c.identifierActive, prepaidBalance: amount(c.prepaidBalance.minorUnits, c.prepaidBalance.currency, locale))
    }

    static func prepaidReply(_ t: PrepaidTransaction, locale: ReceiptLocale) -> PrepaidTransactionReply {
        PrepaidTransactionReply(
            uuid: t.uuid, amount: amount(t.amount, t.currency, locale), prepaidBalance: amount(t.balanceAfter, t.currency, locale), currency: t.currency.code,
            shop: ShopReply(uuid: t.shop.uuid, name: t.shop.name, reference: t.shop.reference), contact: contactReply(t.contact, locale: locale),
            reversesUuid: t.reversesUuid, createdAt: t.createdAt)
    }
}

struct PrepaidEvent: Encodable {
    var uuid: String
    var contactUuid: String
    var shopUuid: String
    var amount: Int64
    var balance: Int64
    var currency: String
}
