import CardReading
import Crypto
import Foundation
import Testing
@testable import NFC

@Suite struct VASTests {
    let passTypeId = "pass.com.example.giftcard"
    let now = Date(timeIntervalSinceReferenceDate: 786_000_000)

    /// A cryptogram made by Python's `cryptography` (an independent implementation) with a
    /// fixed merchant key: timestamp 786000000, message "6035710000000000".
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEjRWeJCrze8SNFZ4
        kKvN7xI0VniQq83vEjRWeJCrze+hRANCAARHHD51jEkEKFu6flMRjtD1JK3rB1fS
        W9L457DXbfpxTN1SD3rKiouResw39R3o8Mm7462Fg4LnAtwloS0J96hY
        -----END PRIVATE KEY-----
        """
    static let pythonCryptogram = Hex.bytes("9FAF97B3DFBF0D7F1A22633FA528A9F77E2EB2153F255F92FC93D8AAD6158F3FBFFCBDE3BA068B500EA15A70F32F480C27CE187C7A75D0F83116794A1E8DA626B935C35540413517")!

    @Test func decryptsACryptogramAnotherImplementationMade() throws {
        let merchant = try VASMerchant(passTypeId: passTypeId, pem: Self.pem)
        let message = try VAS.decrypt(Self.pythonCryptogram, merchant: merchant, now: now, toleranceSeconds: 60).get()
        #expect(message == VASMessage(timestamp: 786_000_000, message: Array("6035710000000000".utf8)))
    }

    @Test func aFlippedBitAnotherKeyOrPassTypeIsRefused() throws {
        let merchant = try VASMerchant(passTypeId: passTypeId, pem: Self.pem)
        var bad = Self.pythonCryptogram
        bad[bad.count - 1] ^= 0x80
        #expect(VAS.decrypt(bad, merchant: merchant, now: now, toleranceSeconds: 60) == .failure(.decryptionFailed))
        var badBody = Self.pythonCryptogram
        badBody[40] ^= 0x01
        #expect(VAS.decrypt(badBody, merchant: merchant, now: now, toleranceSeconds: 60) == .failure(.decryptionFailed))
        let other = VASMerchant(passTypeId: passTypeId, privateKey: P256.KeyAgreement.PrivateKey())
        #expect(VAS.decrypt(Self.pythonCryptogram, merchant: other, now: now, toleranceSeconds: 60) == .failure(.keyMismatch))
        let otherPass = try VASMerchant(passTypeId: "pass.com.example.other", pem: Self.pem)
        #expect(VAS.decrypt(Self.pythonCryptogram, merchant: otherPass, now: now, toleranceSeconds: 60) == .failure(.decryptionFailed))
        #expect(VAS.decrypt(Array(Self.pythonCryptogram.prefix(50)), merchant: merchant, now: now, toleranceSeconds: 60) == .failure(.badAnswer("a cryptogram of 50 bytes is too short")))
        var notAPoint = Self.pythonCryptogram
        notAPoint.replaceSubrange(4..<36, with: [UInt8](repeating: 0xFF, count: 32))
        #expect(VAS.decrypt(notAPoint, merchant: merchant, now: now, toleranceSeconds: 60) == .failure(.badEphemeralKey))
    }

    @Test func theTimestampIsCheckedAgainstTheTillsClock() throws {
        let merchant = try VASMerchant(passTypeId: passTypeId, pem: Self.pem)
        let later = now.addingTimeInterval(61)
        #expect(VAS.decrypt(Self.pythonCryptogram, merchant: merchant, now: later, toleranceSeconds: 60) == .failure(.staleTimestamp(ageSeconds: 61)))
        #expect(VAS.decrypt(Self.pythonCryptogram, merchant: merchant, now: now.addingTimeInterval(-90), toleranceSeconds: 60) == .failure(.staleTimestamp(ageSeconds: -90)))
        #expect((try? VAS.decrypt(Self.pythonCryptogram, merchant: merchant, now: later, toleranceSeconds: 61).get()) != nil)
    }

    @Test func keysThatAreNotPEMP256AreRefused() {
        #expect(throws: VASError.badKey("not a PEM P-256 private key")) { _ = try VASMerchant(passTypeId: passTypeId, pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
        #expect(throws: VASError.badKey("the pass type identifier is empty")) { _ = try VASMerchant(passTypeId: "", pem: Self.pem) }
    }

    @Test func aPhoneWithAPassThroughTheReadingLogic() throws {
        let merchant = try VASMerchant(passTypeId: passTypeId, pem: Self.pem)
        let other = VASMerchant(passTypeId: "pass.com.example.loyalty", privateKey: P256.KeyAgreement.PrivateKey())
        let pass: SimulatedCard.Pass = (merchant.privateKey.publicKey, Array("GC-6035710000000000".utf8), 786_000_000)
        let phone = SimulatedCard(.phone(passes: [passTypeId: pass], tamper: false))
        let reader = ContactlessReader(merchants: [other, merchant], timestampToleranceSeconds: 60)
        let read = try reader.read(atr: phone.atr, channel: phone, now: now).get()
        guard case .vasPass(let id, let message) = read else { Issue.record("not a pass: \(read)"); return }
        #expect(id == passTypeId)
        #expect(message.message == Array("GC-6035710000000000".utf8))
        // The first merchant's pass is missing (62 87), the second one answers.
        #expect(phone.commands.filter { $0.starts(with: [0x80, 0xCA]) }.count == 2)
        let rule = try NormalizationRule(nfc: [.vas], pattern: "^GC-([0-9]+)$", field: .printedCardNumber)
        let card = NFCCard.cardInfo(read, normalizer: Normalizer(rules: [rule]))
        #expect(card == CardInfo(printedCardNumber: "6035710000000000", appleNfcVasPayload: Data("GC-6035710000000000".utf8).base64EncodedString()))
        #expect(!NFCCard.summary(read).contains("6035710000000000"))
    }

    @Test func noPassURLOnlyAndABadTagFromAPhone() throws {
        let merchant = try VASMerchant(passTypeId: passTypeId, pem: Self.pem)
        let empty = SimulatedCard(.phone(passes: [:], tamper: false))
        #expect(ContactlessReader(merchants: [merchant]).read(atr: empty.atr, channel: empty, now: now) == .success(.vasNoPass))
        let urlOnly = SimulatedCard(.phone(passes: [:], tamper: false))
        #expect(ContactlessReader(vasURL: "https://shop.example/join").read(atr: urlOnly.atr, channel: urlOnly, now: now) == .success(.vasURLOnly))
        let pass: SimulatedCard.Pass = (merchant.privateKey.publicKey, Array("x".utf8), 786_000_000)
        let tampered = SimulatedCard(.phone(passes: [passTypeId: pass], tamper: true))
        #expect(ContactlessReader(merchants: [merchant]).read(atr: tampered.atr, channel: tampered, now: now) == .failure(.vas(.decryptionFailed)))
        // Without VAS configured the phone is not asked; it has no NDEF application.
        let phone = SimulatedCard(.phone(passes: [:], tamper: false), uid: nil)
        #expect(ContactlessReader().read(atr: phone.atr, channel: phone, now: now) == .failure(.unsupportedCard))
    }

    @Test func anAPDULogReplaysThroughTheSameLogic() throws {
        let card = SimulatedCard.ntag(NDEF.encode([NDEF.textRecord("6035710000000000")]))
        // Record the exchange as text, then decode it offline.
        var entries: [APDULog.Entry] = []
        final class Recorder: CardChannel {
            let inner: SimulatedCard
            var entries: [APDULog.Entry] = []
            init(_ inner: SimulatedCard) { self.inner = inner }
            func transmit(_ c: [UInt8]) throws(ChannelError) -> [UInt8] {
                entries.append(.command(c))
                let r = try inner.transmit(c)
                entries.append(.response(r))
                return r
            }
        }
        let recorder = Recorder(card)
        let live = try ContactlessReader().read(atr: card.atr, channel: recorder, now: now).get()
        entries = recorder.entries
        let text = APDULog(atr: card.atr, entries: entries).text
        let log = try APDULog.parse(text).get()
        let replay = ReplayChannel(log)
        #expect(try ContactlessReader().read(atr: log.atr, channel: replay, now: now).get() == live)
        #expect(replay.isExhausted)
        // A log cut short where the tag left: the same typed error as live.
        let cut = APDULog(atr: card.atr, entries: Array(entries.prefix(3)) + [.removed])
        #expect(ContactlessReader().read(atr: cut.atr, channel: ReplayChannel(cut), now: now) == .failure(.tagRemoved))
    }

    @Test func apduLogSyntaxErrorsNameTheLine() {
        #expect(APDULog.parse("> FF CA 00 00 00\n> FF CA 00 00 00\n") == .failure(.init(line: 2, message: "a command without an answer before it")))
        #expect(APDULog.parse("< 90 00\n") == .failure(.init(line: 1, message: "an answer without a command before it")))
        #expect(APDULog.parse("> FF ZZ\n") == .failure(.init(line: 1, message: "not hex")))
        #expect(APDULog.parse("hello\n") == .failure(.init(line: 1, message: "a line starts with '>', '<', 'atr', '!removed' or '#'")))
        #expect((try? APDULog.parse("# a comment\n\natr 3B 80 80 01 01\n> FF CA 00 00 00\n< 90 00\n").get())?.entries.count == 2)
    }
}
