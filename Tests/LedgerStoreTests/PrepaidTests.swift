import Foundation
import Ledger
import Testing

@testable import LedgerSQLite

@Suite struct PrepaidTests {
    func fixture(_ kind: StoreKind) async throws -> OpsFixture {
        let f = try await OpsFixture.make(kind)
        try await f.ledger.addShop(Shop(uuid: "shop-1", name: "Krusty Krab"))
        try await f.ledger.addShop(Shop(uuid: "shop-2", name: "Chum Bucket"))
        try await f.ledger.addContact(Contact(uuid: "c-1", email: "sb@example.com", identifierValue: "7890UIOL", identifierName: "Krabby Membership", prepaidBalance: .zero(.eur)))
        try await f.ledger.addContact(Contact(uuid: "c-2", prepaidBalance: .zero(.eur)))
        return f
    }

    @Test(arguments: StoreKind.available) func transactionsChangeTheContactsBalanceAndNeverBelowZero(_ kind: StoreKind) async throws {
        let f = try await fixture(kind)
        let up = try await f.ledger.prepaidTransaction(contactUuid: "c-1", identifierValue: nil, shopUuid: "shop-1", amount: 5000, context: .init())
        #expect(up.balanceAfter == 5000)
        let down = try await f.ledger.prepaidTransaction(contactUuid: nil, identifierValue: "7890UIOL", shopUuid: "shop-1", amount: -1000, context: .init())
        #expect(down.balanceAfter == 4000)
        #expect(down.contact.uuid == "c-1")
        #expect(Money(minorUnits: down.balanceAfter, currency: .eur).displayString == "€40.00")
        await #expect(throws: LedgerError.insufficientFunds) {
            try await f.ledger.prepaidTransaction(contactUuid: "c-1", identifierValue: nil, shopUuid: "shop-1", amount: -4001, context: .init())
        }
        await #expect(throws: LedgerError.invalidAmount("amount must not be zero")) {
            try await f.ledger.prepaidTransaction(contactUuid: "c-1", identifierValue: nil, shopUuid: "shop-1", amount: 0, context: .init())
        }
        await #expect(throws: LedgerError.contactNotFound) {
            try await f.ledger.prepaidTransaction(contactUuid: "nobody", identifierValue: nil, shopUuid: "shop-1", amount: 1, context: .init())
        }
        await #expect(throws: LedgerError.shopNotFound) {
            try await f.ledger.prepaidTransaction(contactUuid: "c-1", identifierValue: nil, shopUuid: "nowhere", amount: 1, context: .init())
        }
        #expect(try await f.ledger.prepaidBalance(contactUuid: "c-1").prepaidBalance.minorUnits == 4000)
    }

    @Test(arguments: StoreKind.available) func reversalNegatesOnceAndNotAReversal(_ kind: StoreKind) async throws {
        let f = try await fixture(kind)
        let t = try await f.ledger.prepaidTransaction(contactUuid: "c-1", identifierValue: nil, shopUuid: "shop-1", amount: 2500, context: .init())
        let r = try await f.ledger.reversePrepaid(uuid: t.uuid, context: .init())
        #expect(r.amount == -2500)
        #expect(r.balanceAfter == 0)
        #expect(r.reversesUuid == t.uuid)
        await #expect(throws: LedgerError.alreadyReversed) { try await f.ledger.reversePrepaid(uuid: t.uuid, context: .init()) }
        await #expect(throws: LedgerError.notReversible("a reversal cannot be reversed")) { try await f.ledger.reversePrepaid(uuid: r.uuid, context: .init()) }
        await #expect(throws: LedgerError.transactionNotFound) { try await f.ledger.reversePrepaid(uuid: "nope", context: .init()) }
        // Reversing a top-up that was already spent would overdraw: refused.
        let top = try await f.ledger.prepaidTransaction(contactUuid: "c-2", identifierValue: nil, shopUuid: "shop-1", amount: 1000, context: .init())
        _ = try await f.ledger.prepaidTransaction(contactUuid: "c-2", identifierValue: nil, shopUuid: "shop-1", amount: -600, context: .init())
        await #expect(throws: LedgerError.insufficientFunds) { try await f.ledger.reversePrepaid(uuid: top.uuid, context: .init()) }
    }

    @Test(arguments: StoreKind.available) func listsArePagedAndFiltered(_ kind: StoreKind) async throws {
        let f = try await fixture(kind)
        for i in 1...7 {
            _ = try await f.ledger.prepaidTransaction(contactUuid: i % 2 == 0 ? "c-2" : "c-1", identifierValue: nil, shopUuid: i <= 5 ? "shop-1" : "shop-2", amount: Int64(i * 100), context: .init())
        }
        let all = try await f.ledger.prepaidTransactions(contactUuid: nil, shopUuid: nil, page: 1, perPage: 3)
        #expect(all.total == 7)
        #expect(all.lastPage == 3)
        #expect(all.items.map(\.amount) == [700, 600, 500])
        #expect(all.from == 1 && all.to == 3)
        let last = try await f.ledger.prepaidTransactions(contactUuid: nil, shopUuid: nil, page: 3, perPage: 3)
        #expect(last.items.map(\.amount) == [100])
        #expect(last.from == 7)
        let beyond = try await f.ledger.prepaidTransactions(contactUuid: nil, shopUuid: nil, page: 9, perPage: 3)
        #expect(beyond.items.isEmpty && beyond.from == nil)
        let c1 = try await f.ledger.prepaidTransactions(contactUuid: "c-1", shopUuid: nil, page: 1, perPage: 10)
        #expect(c1.items.map(\.amount) == [700, 500, 300, 100])
        let c1shop2 = try await f.ledger.prepaidTransactions(contactUuid: "c-1", shopUuid: "shop-2", page: 1, perPage: 10)
        #expect(c1shop2.items.map(\.amount) == [700])
        #expect(c1shop2.items.first?.shop.name == "Chum Bucket")
    }

    @Test(arguments: StoreKind.available) func idempotentTopUp(_ kind: StoreKind) async throws {
        let f = try await fixture(kind)
        let ctx = OperationContext(idempotency: Idempotency(scope: "t", key: "k", requestHash: "h"))
        let a = try await f.ledger.prepaidTransaction(contactUuid: "c-1", identifierValue: nil, shopUuid: "shop-1", amount: 100, context: ctx)
        let b = try await f.ledger.prepaidTransaction(contactUuid: "c-1", identifierValue: nil, shopUuid: "shop-1", amount: 100, context: ctx)
        #expect(a == b)
        #expect(try await f.ledger.prepaidBalance(contactUuid: "c-1").prepaidBalance.minorUnits == 100)
    }
}
