import Foundation
import Testing

@testable import CardReading

@Suite struct BarcodeTests {
    let decoder = BarcodeDecoder()

    @Test func aimIdentifiersNameTheSymbology() throws {
        #expect(try decoder.decode("]E05018374827715").get().symbology == .ean13)
        #expect(try decoder.decode("]E0501837482771").get().symbology == .upcA)
        #expect(try decoder.decode("]E450183742").get().symbology == .ean8)
        #expect(try decoder.decode("]Q1TESTING").get().symbology == .qr)
        #expect(try decoder.decode("]Q1TESTING").get().data == "TESTING")
        #expect(try decoder.decode("]C0ABC-123").get().symbology == .code128)
        #expect(try decoder.decode("]A0CODE39").get().symbology == .code39)
        #expect(try decoder.decode("]L2PDF").get().symbology == .pdf417)
        #expect(try decoder.decode("]X0ODD").get().symbology == .other)
        let plain = try decoder.decode("6035710000000000\r\n").get()
        #expect(plain.symbology == .unknown)
        #expect(plain.aim == nil)
        #expect(plain.data == "6035710000000000")
    }

    @Test func gs1ElementStrings() throws {
        let c1 = try decoder.decode("]C1" + "0109506000134352" + "10ABC123" + "\u{1D}" + "17251231").get()
        #expect(c1.symbology == .gs1_128)
        #expect(c1.gs1 == [GS1Element(ai: "01", value: "09506000134352"), GS1Element(ai: "10", value: "ABC123"), GS1Element(ai: "17", value: "251231")])
        let dm = try decoder.decode("]d2011231231231233310ABC123\u{1D}99TESTING").get()
        #expect(dm.symbology == .gs1DataMatrix)
        #expect(dm.gs1 == [GS1Element(ai: "01", value: "12312312312333"), GS1Element(ai: "10", value: "ABC123"), GS1Element(ai: "99", value: "TESTING")])
        #expect(decoder.decode("]C1019506") == .failure(.malformedGS1("AI (01) needs 14 characters")))
        #expect(decoder.decode("]C1AB123") == .failure(.malformedGS1("AI must be digits")))
        #expect(decoder.decode("]C110\u{1D}") == .failure(.malformedGS1("AI (10) has no value")))
    }

    @Test func badScansAreTypedErrors() {
        #expect(decoder.decode("") == .failure(.empty))
        #expect(decoder.decode("\r\n") == .failure(.empty))
        #expect(decoder.decode("abc\u{07}def") == .failure(.badCharacter))
        #expect(decoder.decode(String(repeating: "9", count: 5000)) == .failure(.tooLong))
        #expect(BarcodeDecoder(prefix: "@@", suffix: "!!").decode("@@1234!!").map(\.data) == .success("1234"))
    }

    @Test func phoneNumbersFromTelURIs() throws {
        #expect(try decoder.decode("]Q1tel:+15551234567").get().phoneNumber == "+15551234567")
        #expect(try decoder.decode("TEL:+49-30-1234567?x=1").get().phoneNumber == "+49301234567")
        #expect(try decoder.decode("]Q1https://example.com").get().phoneNumber == nil)
    }

    @Test func normalizationRulesInOrder() throws {
        let n = Normalizer(rules: [
            try NormalizationRule(symbologies: [.code128], pattern: "^GC-(\\d{16})$", field: .printedCardNumber),
            try NormalizationRule(symbologies: [.qr], pattern: "^PX[A-Z0-9]{10}$", field: .accountToken),
        ])
        #expect(n.cardInfo(for: try decoder.decode("]C0GC-6035710000000000").get()) == CardInfo(printedCardNumber: "6035710000000000"))
        #expect(n.cardInfo(for: try decoder.decode("]Q1PXAB12CD34EF").get()) == CardInfo(accountToken: "PXAB12CD34EF"))
        #expect(n.cardInfo(for: try decoder.decode("]Q1tel:+15551234567").get()) == CardInfo(phoneNumber: "+15551234567"))
        // A rule for another symbology does not apply; the default is the barcode field.
        #expect(n.cardInfo(for: try decoder.decode("]Q1GC-6035710000000000").get()) == CardInfo(barcode: "GC-6035710000000000"))
        #expect(throws: NormalizationRule.PatternError.self) { try NormalizationRule(pattern: "([", field: .barcode) }
    }
}

@Suite struct WalletPassTests {
    @Test func markedPassesGoToTheirPayloadField() throws {
        let apple = try WalletPassDecoder().decode(Array("Amember-4821\r\n".utf8)).get()
        #expect(apple.kind == .appleVAS)
        #expect(apple.payload == Array("member-4821".utf8))
        #expect(apple.cardInfo == CardInfo(appleNfcVasPayload: "bWVtYmVyLTQ4MjE="))
        let google = try WalletPassDecoder(separator: "|").decode(Array("G|123456789".utf8)).get()
        #expect(google.cardInfo == CardInfo(googleNfcVasPayload: Data("123456789".utf8).base64EncodedString()))
        // Raw bytes survive as they are (the payload need not be text).
        let binary = try WalletPassDecoder().decode([0x41, 0x00, 0xFF, 0x10]).get()
        #expect(binary.payload == [0x00, 0xFF, 0x10])
        #expect(binary.base64 == "AP8Q")
        #expect(WalletPassDecoder().decode(Array("Xabc".utf8)) == .failure(.unknownMarker))
        #expect(WalletPassDecoder().decode(Array("A".utf8)) == .failure(.empty))
        #expect(try WalletPassDecoder(unmarkedKind: .googleSmartTap).decode(Array("plain".utf8)).get().kind == .googleSmartTap)
    }
}
