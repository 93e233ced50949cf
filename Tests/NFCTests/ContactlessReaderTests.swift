import CardReading
import Crypto
import Foundation
import Testing
import TestSupport
@testable import NFC

@Suite struct ContactlessReaderTests {
    let now = Date(timeIntervalSinceReferenceDate: 786_000_000)

    @Test func ntagWithAURIRecord() throws {
        let card = SimulatedCard.ntag(NDEF.encode([NDEF.uriRecord("https://shop.example/gc/6035710000000000")]))
        let read = try ContactlessReader().read(atr: card.atr, channel: card, now: now).get()
        #expect(read == .tag(TagRead(kind: .type2, uid: [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6], records: [.uri("https://shop.example/gc/6035710000000000")])))
        // UID, the CC read, then as many 16-byte reads as the TLV needs and no more.
        #expect(card.commands.first == APDU.getUID)
        #expect(card.commands.count == 4)
    }

    @Test func aNormalizationRuleTakesTheNumberOutOfTheURI() throws {
        let card = SimulatedCard.ntag(NDEF.encode([NDEF.uriRecord("https://shop.example/gc/6035710000000000")]))
        let read = try ContactlessReader().read(atr: card.atr, channel: card, now: now).get()
        let rule = try NormalizationRule(nfc: [.uri], pattern: "^https://shop\\.example/gc/([0-9]+)$", field: .printedCardNumber)
        #expect(NFCCard.cardInfo(read, normalizer: Normalizer(rules: [rule])) == CardInfo(printedCardNumber: "6035710000000000"))
        // No rule: the URI is the barcode; a UID-only tag gives its UID as the number.
        #expect(NFCCard.cardInfo(read, normalizer: Normalizer()) == CardInfo(barcode: "https://shop.example/gc/6035710000000000"))
        let blank = NFCRead.tag(TagRead(kind: .type2, uid: [0x04, 0x11, 0x22, 0x33], records: []))
        #expect(NFCCard.cardInfo(blank, normalizer: Normalizer()) == CardInfo(printedCardNumber: "04112233"))
        // A barcode rule never applies to NFC, nor an NFC rule to barcodes.
        let barcodeRule = try NormalizationRule(pattern: ".*", field: .accountToken)
        #expect(NFCCard.cardInfo(blank, normalizer: Normalizer(rules: [barcodeRule])) == CardInfo(printedCardNumber: "04112233"))
        let uidRule = try NormalizationRule(nfc: [.uid], pattern: ".*", field: .accountToken)
        #expect(NFCCard.cardInfo(blank, normalizer: Normalizer(rules: [uidRule])) == CardInfo(accountToken: "04112233"))
    }

    @Test func blankAndUnformattedType2Tags() throws {
        var memory = [UInt8](repeating: 0, count: 45 * 4)
        memory[12] = 0x00  // no NDEF capability container
        let plain = SimulatedCard(.type2(memory: memory))
        let read = try ContactlessReader().read(atr: plain.atr, channel: plain, now: now).get()
        #expect(read == .tag(TagRead(kind: .type2, uid: plain.uid, records: [])))
        let empty = SimulatedCard.ntag([])
        #expect(try ContactlessReader().read(atr: empty.atr, channel: empty, now: now).get() == .tag(TagRead(kind: .type2, uid: empty.uid, records: [])))
    }

    @Test func aType2TLVLongerThanTheDataAreaIsMalformed() {
        let message = NDEF.encode([NDEF.textRecord(String(repeating: "9", count: 40))])
        let card = SimulatedCard.ntag(message, capabilityBytes: 0x02)  // 16-byte data area
        #expect(ContactlessReader().read(atr: card.atr, channel: card, now: now) == .failure(.ndef(.malformed("the NDEF TLV runs past the tag's data area"))))
    }

    @Test func type4TagReadsInChunksOfItsMaximum() throws {
        let text = String(repeating: "6035710000000000", count: 8)
        let card = SimulatedCard(.type4(message: NDEF.encode([NDEF.textRecord(text)]), maxRead: 0x20))
        let read = try ContactlessReader().read(atr: card.atr, channel: card, now: now).get()
        #expect(read == .tag(TagRead(kind: .type4, uid: card.uid, records: [.text(text, language: "en")])))
        #expect(NFCCard.cardInfo(read, normalizer: Normalizer())?.printedCardNumber == text)
        #expect(card.commands.filter { $0.starts(with: [0x00, 0xB0]) }.count == 2 + (text.count + 7 + 31) / 32)
    }

    @Test(arguments: [1, 2, 3]) func aTagPulledAwayMidReadIsAnErrorNeverAHalfRead(after: Int) {
        let card = SimulatedCard.ntag(NDEF.encode([NDEF.textRecord(String(repeating: "7", count: 60))]))
        card.removeAfter = after
        #expect(ContactlessReader().read(atr: card.atr, channel: card, now: now) == .failure(.tagRemoved))
        let t4 = SimulatedCard(.type4(message: NDEF.encode([NDEF.textRecord("1234")]), maxRead: 0x10), removeAfter: after + 3)
        #expect(ContactlessReader().read(atr: t4.atr, channel: t4, now: now) == .failure(.tagRemoved))
    }

    @Test func aGarbledExchangeWithTheCardGoneIsItsRemoval() {
        let card = SimulatedCard.ntag(NDEF.encode([NDEF.textRecord(String(repeating: "7", count: 60))]))
        card.silentAfter = 2
        #expect(ContactlessReader().read(atr: card.atr, channel: card, now: now) == .failure(.badAnswer("an answer of 0 bytes has no status word")))
        card.presentAfterFailure = false
        let gone = SimulatedCard.ntag(NDEF.encode([NDEF.textRecord(String(repeating: "7", count: 60))]))
        gone.silentAfter = 2
        gone.presentAfterFailure = false
        #expect(ContactlessReader().read(atr: gone.atr, channel: gone, now: now) == .failure(.tagRemoved))
    }

    @Test func aCardWithNothingToReadIsUnsupported() {
        let card = SimulatedCard(.type4(message: [], maxRead: 0x10), uid: nil)
        #expect(ContactlessReader().read(atr: [0x3B, 0x00], channel: NothingCard(), now: now) == .failure(.unsupportedCard))
        #expect(ContactlessReader().read(atr: card.atr, channel: card, now: now) == .failure(.ndef(.noMessage)))
    }

    @Test func aRandomUIDIsNoIdentifier() {
        // A phone without VAS configured, or a card with neither NDEF nor a fixed UID.
        let phone = SimulatedCard(.phone(passes: [:], tamper: false), uid: [0x08, 0x12, 0x34, 0x56])
        #expect(ContactlessReader().read(atr: phone.atr, channel: phone, now: now) == .failure(.unsupportedCard))
        let fixed = SimulatedCard(.phone(passes: [:], tamper: false), uid: [0x04, 0x12, 0x34, 0x56])
        #expect(ContactlessReader().read(atr: fixed.atr, channel: fixed, now: now) == .success(.tag(TagRead(kind: .other, uid: [0x04, 0x12, 0x34, 0x56], records: []))))
    }

    struct NothingCard: CardChannel {
        func transmit(_ command: [UInt8]) throws(ChannelError) -> [UInt8] { [0x6A, 0x81] }
    }

    @Test func aBadAnswerIsTypedNotACrash() {
        struct Short: CardChannel { func transmit(_ command: [UInt8]) throws(ChannelError) -> [UInt8] { [0x90] } }
        #expect(ContactlessReader().read(atr: SimulatedCard.storageATR, channel: Short(), now: now) == .failure(.badAnswer("an answer of 1 bytes has no status word")))
        struct Failing: CardChannel { func transmit(_ command: [UInt8]) throws(ChannelError) -> [UInt8] { throw .failed("SCardTransmit: boom") } }
        #expect(ContactlessReader().read(atr: SimulatedCard.storageATR, channel: Failing(), now: now) == .failure(.communication("SCardTransmit: boom")))
    }

    /// Answers of random bytes (a seeded generator: the same run each time): every read ends
    /// in a result or a typed error, never a crash or a loop.
    @Test func randomAnswersNeverCrashTheReadingLogic() throws {
        final class Noise: CardChannel {
            var rng: SeededGenerator
            var count = 0
            init(seed: UInt64) { rng = SeededGenerator(seed: seed) }
            func transmit(_ command: [UInt8]) throws(ChannelError) -> [UInt8] {
                count += 1
                let n = Int.random(in: 0...40, using: &rng)
                var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                // Mostly success status words, so that the logic goes deep.
                if n >= 2 && Bool.random(using: &rng) { bytes[n - 2] = 0x90; bytes[n - 1] = 0x00 }
                return bytes
            }
        }
        let merchant = VASMerchant(passTypeId: "pass.com.example.giftcard", privateKey: P256.KeyAgreement.PrivateKey())
        let reader = ContactlessReader(merchants: [merchant], vasURL: "https://shop.example/")
        for seed in 0..<3000 as Range<UInt64> {
            let noise = Noise(seed: seed)
            let atr = seed % 2 == 0 ? SimulatedCard.storageATR : SimulatedCard.iso14443_4ATR
            _ = reader.read(atr: atr, channel: noise, now: now)
            #expect(noise.count < 400, "seed \(seed): \(noise.count) commands")
        }
    }

    @Test func storageCardATRsArePCSCPart3Ones() {
        #expect(ContactlessReader.isStorageCard(atr: SimulatedCard.storageATR))
        #expect(!ContactlessReader.isStorageCard(atr: SimulatedCard.iso14443_4ATR))
        #expect(!ContactlessReader.isStorageCard(atr: []))
    }
}
