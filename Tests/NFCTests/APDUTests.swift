import Testing
@testable import NFC

@Suite struct APDUTests {
    @Test func responseSplitsStatusWords() {
        let r = APDUResponse(raw: [0x01, 0x02, 0x90, 0x00])
        #expect(r?.data == [0x01, 0x02])
        #expect(r?.isSuccess == true)
        #expect(APDUResponse(raw: [0x90]) == nil)
    }

    @Test func hexRoundTripsAndRefusesJunk() {
        #expect(Hex.bytes("FF CA 00:00 00") == [0xFF, 0xCA, 0x00, 0x00, 0x00])
        #expect(Hex.bytes("ffca") == [0xFF, 0xCA])
        #expect(Hex.bytes("F") == nil)
        #expect(Hex.bytes("F F") == nil)
        #expect(Hex.bytes("GG") == nil)
        #expect(Hex.string([0x0A, 0xB1]) == "0AB1")
    }

    @Test func tlvParsesNestedTemplatesAndRefusesOverruns() {
        let inner = TLV(tag: 0x9F27, value: [1, 2, 3]).encoded
        let outer = TLV(tag: 0x70, value: inner).encoded
        #expect(outer == [0x70, 0x06, 0x9F, 0x27, 0x03, 1, 2, 3])
        #expect(TLV.find(0x9F27, in: outer) == [1, 2, 3])
        #expect(TLV.parse([0x9F, 0x27, 0x05, 1, 2]) == nil)
        #expect(TLV.parse([0x9F]) == nil)
        #expect(TLV.parse([0x5A, 0x84, 0, 0, 0, 1, 0]) == nil)
        let long = TLV(tag: 0x53, value: [UInt8](repeating: 7, count: 300))
        #expect(TLV.parse(long.encoded) == [long])
    }

    @Test func getVASDataCarriesThePassTypeHashAndMode() {
        let hash = [UInt8](repeating: 0xAB, count: 32)
        let full = VAS.getVASData(passTypeIdHash: hash, url: nil)
        #expect(Array(full.prefix(4)) == [0x80, 0xCA, 0x01, 0x01])
        #expect(Int(full[4]) == full.count - 6)
        #expect(full.last == 0x00)
        #expect(TLV.find(0x9F25, in: Array(full[5..<(full.count - 1)])) == hash)
        #expect(TLV.find(0x9F22, in: Array(full[5..<(full.count - 1)])) == [0x01, 0x00])
        let urlOnly = VAS.getVASData(passTypeIdHash: nil, url: "https://shop.example/join")
        #expect(urlOnly[3] == 0x00)
        #expect(TLV.find(0x9F29, in: Array(urlOnly[5..<(urlOnly.count - 1)])) == Array("https://shop.example/join".utf8))
    }
}
