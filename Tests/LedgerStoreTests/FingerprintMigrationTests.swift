import CardReading
import Foundation
import Ledger
import Testing

/// The idempotency fingerprints on both stores: keyed when written, and the unkeyed hashes an
/// earlier version stored keyed by the migration, with a retry across the upgrade still answered.
@Suite struct FingerprintMigrationTests {
    let card = CardInfo(printedCardNumber: "6035710000000000")

    @Test(arguments: StoreKind.available) func unkeyedHashesAreKeyedByTheMigration(_ kind: StoreKind) async throws {
        let f = try await OpsFixture.make(kind)
        try await f.addCard(number: "6035710000000000", balance: Money(minorUnits: 5000, currency: .eur))
        // What an earlier version stored: the request's plain SHA-256.
        let unkeyed = SHA256.hash(Array("gift/redeem\u{0}{\"amount\":1000}".utf8)).hexString
        let first = try await f.ledger.execute(
            .redeem(card, amount: 1000, tip: 0), context: OperationContext(idempotency: Idempotency(scope: "till-1", key: "old", requestHash: unkeyed)))
        // Back to before the migration, then a restart runs it.
        try await f.rawExecute(
            kind == .sqlite ? "DELETE FROM grdb_migrations WHERE identifier = 'v4-keyed-fingerprints'" : "DELETE FROM giftbridge_schema WHERE version = 2")
        let ledger = try await f.reopen()
        let stored = try await f.rawStrings("SELECT request_hash FROM idempotency")
        #expect(stored == [f.keyer.legacyFingerprint(unkeyedHash: unkeyed)])
        #expect(!stored.contains(unkeyed))
        // The same request again (its fingerprint now keyed, its old hash known as the legacy form).
        let retry = Idempotency(scope: "till-1", key: "old", requestHash: "v2:new-form", legacyRequestHash: f.keyer.legacyFingerprint(unkeyedHash: unkeyed))
        #expect(try await ledger.execute(.redeem(card, amount: 1000, tip: 0), context: OperationContext(idempotency: retry)) == first)
        // Another request under the key: a conflict, as before the upgrade.
        let other = Idempotency(scope: "till-1", key: "old", requestHash: "v2:other", legacyRequestHash: f.keyer.legacyFingerprint(unkeyedHash: "00"))
        await #expect(throws: LedgerError.idempotencyConflict) {
            try await ledger.execute(.redeem(card, amount: 2000, tip: 0), context: OperationContext(idempotency: other))
        }
        // The migration runs once: a keyed fingerprint is left as it is.
        _ = try await ledger.execute(
            .redeem(card, amount: 10, tip: 0), context: OperationContext(idempotency: Idempotency(scope: "till-1", key: "new", requestHash: "v2:abc")))
        _ = try await f.reopen()
        #expect(Set(try await f.rawStrings("SELECT request_hash FROM idempotency")) == [f.keyer.legacyFingerprint(unkeyedHash: unkeyed), "v2:abc"])
        #expect(try await ledger.balance(of: card, context: .init()).balance.minorUnits == 3990)
    }
}
