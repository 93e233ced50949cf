import Testing
@testable import NFC

@Suite struct NDEFTests {
    @Test func uriRecordAbbreviatesAndExpandsItsPrefix() throws {
        let record = NDEF.uriRecord("https://shop.example/gc/6035710000000000")
        #expect(record.payload.first == 0x04)
        let message = NDEF.encode([record])
        let parsed = try NDEF.parse(message).get()
        #expect(parsed.map(\.content) == [.uri("https://shop.example/gc/6035710000000000")])
    }

    @Test func textRecordsInUTF8AndUTF16() throws {
        #expect(NDEF.textRecord("6035710000000000", language: "en").content == .text("6035710000000000", language: "en"))
        // UTF-16 with a little-endian byte order mark.
        let utf16: [UInt8] = [0x82, 0x64, 0x65, 0xFF, 0xFE, 0x36, 0x00, 0x30, 0x00]
        #expect(NDEFRecord(tnf: 1, type: [0x54], payload: utf16).content == .text("60", language: "de"))
    }

    @Test func severalRecordsLongRecordsAndIds() throws {
        let long = NDEFRecord(tnf: 2, type: Array("text/plain".utf8), id: [0x01], payload: [UInt8](repeating: 0x41, count: 300))
        let message = NDEF.encode([long, NDEF.textRecord("X")])
        let parsed = try NDEF.parse(message).get()
        #expect(parsed.count == 2)
        #expect(parsed[0] == long)
        #expect(parsed[0].content == nil)
        #expect(parsed[1].content == .text("X", language: "en"))
    }

    @Test func malformedMessagesAreTypedErrors() {
        #expect(NDEF.parse([]) == .failure(.noMessage))
        // Payload length past the end.
        #expect(NDEF.parse([0xD1, 0x01, 0x20, 0x55, 0x04]) == .failure(.malformed("a record is longer than the message")))
        // No message-begin flag.
        #expect(NDEF.parse([0x11, 0x01, 0x01, 0x55, 0x04]) == .failure(.malformed("the first record has no message-begin flag")))
        // Chunked.
        #expect(NDEF.parse([0xB1, 0x01, 0x01, 0x55, 0x04]) == .failure(.unsupported("chunked records")))
        // No message-end record.
        #expect(NDEF.parse([0x91, 0x01, 0x01, 0x55, 0x04]) == .failure(.malformed("no message-end record")))
        // Truncated header.
        #expect(NDEF.parse([0xD1]) == .failure(.malformed("a record header ends early")))
    }

    @Test func type2TLVsSkipLockControlAndWaitForMoreBytes() throws {
        let message = NDEF.encode([NDEF.uriRecord("https://a.example/1")])
        let area: [UInt8] = [0x01, 0x03, 0xA0, 0x10, 0x44, 0x03, UInt8(message.count)] + message + [0xFE]
        #expect(NDEF.type2Message(inDataArea: area) == .success(message))
        #expect(NDEF.type2Message(inDataArea: Array(area.prefix(8))) == nil)
        #expect(NDEF.type2Message(inDataArea: [0xFE, 0x00]) == .failure(.noMessage))
        #expect(NDEF.type2Message(inDataArea: [0x03, 0x00, 0xFE]) == .failure(.noMessage))
        // A three-byte length form.
        let big = [UInt8](repeating: 0, count: 300)
        #expect(NDEF.type2Message(inDataArea: [0x03, 0xFF, 0x01, 0x2C] + big) == .success(big))
    }
}
