import CardReading
import Foundation
import Testing

@testable import Ledger

/// A request as the API sends it to the fingerprint (the shape of the gift operation body).
private struct Request: Encodable {
    var cardInfo: CardInfo
    var amount: Int64
    var idempotencyKey: String
    var checkNumber: String?
}

@Suite struct FingerprintTests {
    let keyer = CardKeyer(key: Array("the installation's own 32-byte key".utf8))

    /// Random card numbers of 16 to 19 digits and random requests, from a seeded generator so a
    /// failure is repeatable.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func pan(_ g: inout Seeded) -> String {
        String((0..<Int.random(in: 16...19, using: &g)).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
    }

    /// For random card numbers and requests, the stored fingerprint lets no card number be
    /// found without the key: an attacker who knows everything but a few digits of the number
    /// (the masked number shows 6 + 4) and the key finds no candidate that matches, with any
    /// unkeyed hash or any other key; only the key itself singles the number out.
    @Test func nothingStoredFindsTheCardWithoutTheKey() {
        var g = Seeded(state: 0x6769_6674)
        for _ in 0..<8 {
            let pan = Self.pan(&g)
            let request = Request(
                cardInfo: CardInfo(printedCardNumber: pan, cardRegCode: Bool.random(using: &g) ? String(Int.random(in: 1000...9999, using: &g)) : nil),
                amount: Int64.random(in: 1...100_000, using: &g), idempotencyKey: "k-\(UInt32.random(in: 0...UInt32.max, using: &g))",
                checkNumber: Bool.random(using: &g) ? "chk-\(Int.random(in: 1...999, using: &g))" : nil)
            let stored = keyer.fingerprints(operation: "gift/redeem", request: request)
            #expect(stored.keyed.hasPrefix(CardKeyer.fingerprintPrefix) && stored.legacy.hasPrefix(CardKeyer.legacyFingerprintPrefix))
            // Two hidden digits in the middle of the number: 100 candidates (the masked number hides
            // 6 to 9; each more multiplies the work without the key, never with it).
            let digits = Array(pan)
            let hidden = 6..<8
            let wrongKey = CardKeyer(key: Array("another installation's 32 bytes!!".utf8))
            var matchesWithKey = 0
            for guess in 0..<100 {
                var candidate = digits
                let guessDigits = Array(String(format: "%02d", guess))
                for (i, p) in hidden.enumerated() { candidate[p] = guessDigits[i] }
                var r = request
                r.cardInfo.printedCardNumber = String(candidate)
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                let canonical = Array(try! encoder.encode(r))
                // Unkeyed: the request's SHA-256 (the old fingerprint) or the number's own.
                let unkeyed = [
                    SHA256.hash(Array("gift/redeem".utf8) + [0] + canonical).hexString, SHA256.hash(canonical).hexString,
                    SHA256.hash(Array(String(candidate).utf8)).hexString,
                ]
                for h in unkeyed {
                    #expect(!stored.keyed.contains(h) && !stored.legacy.contains(h))
                }
                #expect(wrongKey.fingerprints(operation: "gift/redeem", request: r) != stored)
                if keyer.fingerprints(operation: "gift/redeem", request: r) == stored { matchesWithKey += 1 }
            }
            #expect(matchesWithKey == 1, "with the key, the number itself is the one match")
            // What is hashed holds no card number at all: the cards are replaced by their keys.
            #expect(!keyer.cardFields(["printedCardNumber": pan]).values.contains { $0.contains(pan) })
        }
    }

    @Test func theFingerprintTellsRequestsApart() {
        let a = Request(cardInfo: CardInfo(printedCardNumber: "6035710000000000"), amount: 100, idempotencyKey: "k")
        var b = a
        b.amount = 101
        var c = a
        c.cardInfo.printedCardNumber = "6035710000000028"
        let fa = keyer.fingerprints(operation: "gift/redeem", request: a)
        #expect(fa == keyer.fingerprints(operation: "gift/redeem", request: a))
        #expect(fa.keyed != keyer.fingerprints(operation: "gift/redeem", request: b).keyed)
        #expect(fa.keyed != keyer.fingerprints(operation: "gift/redeem", request: c).keyed)
        #expect(fa.keyed != keyer.fingerprints(operation: "gift/reload", request: a).keyed)
        // A retry across the upgrade: the old hash as the migration keyed it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let old = SHA256.hash(Array("gift/redeem".utf8) + [0] + Array(try! encoder.encode(a))).hexString
        let idem = Idempotency(scope: "t", key: "k", requestHash: fa.keyed, legacyRequestHash: fa.legacy)
        #expect(idem.matches(stored: keyer.legacyFingerprint(unkeyedHash: old)))
        #expect(idem.matches(stored: fa.keyed))
        #expect(!idem.matches(stored: old), "an unkeyed hash is never taken as a match")
        #expect(!idem.matches(stored: keyer.legacyFingerprint(unkeyedHash: SHA256.hash(Array("other".utf8)).hexString)))
    }
}
