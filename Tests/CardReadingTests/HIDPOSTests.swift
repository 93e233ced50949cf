import Testing

@testable import CardReading

/// Report descriptors as scanners in HID POS mode send them.
enum HIDPOSFixtures {
    /// The layout Honeywell scanners use: report 2 = length byte, three AIM bytes, 56 data bytes,
    /// two vendor code-id bytes, then a byte of flags whose bit 0 is "decode data continued".
    static let honeywell: [UInt8] = [
        0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01,  // Usage Page (Bar Code Scanner), Usage (Bar Code Scanner), Collection (Application)
        0x09, 0x12, 0xA1, 0x02,  // Usage (Scanned Data Report), Collection (Logical)
        0x85, 0x02, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,  // Report ID 2, Logical 0…255, Report Size 8
        0x95, 0x01, 0x09, 0x00, 0x81, 0x02,  // 1 × length byte
        0x95, 0x03, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,  // 3 × symbology identifier
        0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01,  // 56 × decoded data (buffered bytes)
        0x06, 0x66, 0xFF, 0x95, 0x02, 0x09, 0x04, 0x09, 0x00, 0x81, 0x02,  // vendor page: 2 × code id
        0x05, 0x8C, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x09, 0xFF, 0x81, 0x02,  // 8 bits, decode data continued
        0xC0, 0xC0,
        // A trigger report (id 4) on top, which the decoder must leave alone.
        0x09, 0x14, 0xA1, 0x02, 0x85, 0x04, 0x75, 0x08, 0x95, 0x01, 0x09, 0x00, 0x81, 0x02, 0xC0,
    ]

    static func honeywellReport(aim: String, data: String, continued: Bool) -> [UInt8] {
        var r: [UInt8] = [0x02, UInt8(data.utf8.count)] + Array(aim.utf8)
        var d = Array(data.utf8)
        d += [UInt8](repeating: 0, count: 56 - d.count)
        r += d + [0x00, 0x00, continued ? 1 : 0]
        return r
    }

    /// No report ids, symbology and data in separate fields, a 1-bit flag and 7 bits of padding.
    static let plain: [UInt8] = [
        0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x75, 0x08, 0x95, 0x01, 0x15, 0x00, 0x26, 0xFF, 0x00,
        0x09, 0xFB, 0x81, 0x02, 0x09, 0xFC, 0x81, 0x02, 0x09, 0xFD, 0x81, 0x02,
        0x95, 0x20, 0x09, 0xFE, 0x82, 0x02, 0x01,
        0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x09, 0xFF, 0x81, 0x02, 0x75, 0x07, 0x81, 0x03,
        0xC0,
    ]
}

@Suite struct HIDPOSTests {
    @Test func theDescriptorGivesTheReportLayout() throws {
        let d = try HIDReportDescriptor.parse(HIDPOSFixtures.honeywell).get()
        #expect(d.usesReportIds)
        #expect(d.inputReportLengths == [2: 64, 4: 2])
        let scanner = try HIDPOSScanner(descriptor: HIDPOSFixtures.honeywell)
        #expect(scanner.reportId == 2)
        #expect(scanner.symbologyOffsets == [8, 16, 24])
        #expect(scanner.dataOffset == 32)
        #expect(scanner.dataLength == 56)
        #expect(scanner.continuedOffset == 496)
        #expect(try HIDReportDescriptor.parse(HIDPOSFixtures.plain).get().inputReportLengths == [0: 36])
    }

    @Test func oneReportIsOneScan() throws {
        let scanner = try HIDPOSScanner(descriptor: HIDPOSFixtures.honeywell)
        let part = try #require(scanner.part(of: HIDPOSFixtures.honeywellReport(aim: "]C0", data: "6006491000000000018", continued: false)))
        #expect(part == .init(aim: "]C0", data: Array("6006491000000000018".utf8), continued: false))
        var assembler = HIDPOSAssembler()
        let fed = assembler.feed(part)
        let out = try #require(fed)
        #expect(out == .scan(Array("]C06006491000000000018".utf8)))
        // The text goes through the same barcode decoder as a keyboard-mode scan.
        guard case .scan(let bytes) = out else { return }
        let read = try BarcodeDecoder().decode(String(decoding: bytes, as: UTF8.self)).get()
        #expect(read.symbology == .code128)
        #expect(read.data == "6006491000000000018")
        // Other reports (the trigger report) are not scans.
        #expect(scanner.part(of: [0x04, 0x01]) == nil)
        #expect(scanner.part(of: []) == nil)
    }

    @Test func longScansSpanReports() throws {
        let scanner = try HIDPOSScanner(descriptor: HIDPOSFixtures.honeywell)
        let text = "]Q1" + String(repeating: "0123456789", count: 12)  // 120 characters: 3 reports
        let data = Array(text.utf8.dropFirst(3))
        var assembler = HIDPOSAssembler()
        var outputs: [HIDPOSAssembler.Output] = []
        for (n, start) in stride(from: 0, to: data.count, by: 56).enumerated() {
            let chunk = String(decoding: data[start..<min(data.count, start + 56)], as: UTF8.self)
            let report = HIDPOSFixtures.honeywellReport(aim: "]Q1", data: chunk, continued: start + 56 < data.count)
            #expect(n < 3)
            let part = try #require(scanner.part(of: report))
            if let o = assembler.feed(part) { outputs.append(o) }
        }
        #expect(outputs == [.scan(Array(text.utf8))])
        #expect(!assembler.hasPartialScan)
        // A scan whose last part never came is delivered by the idle timeout.
        let first = try #require(scanner.part(of: HIDPOSFixtures.honeywellReport(aim: "]E0", data: "40123455", continued: true)))
        let none = assembler.feed(first)
        #expect(none == nil)
        #expect(assembler.hasPartialScan)
        let flushed = assembler.flush()
        #expect(flushed == .scan(Array("]E040123455".utf8)))
        let again = assembler.flush()
        #expect(again == nil)
    }

    @Test func layoutsWithoutReportIdsAndWithBitFlags() throws {
        let scanner = try HIDPOSScanner(descriptor: HIDPOSFixtures.plain)
        var report = Array("]E0".utf8) + Array("9781234567897".utf8)
        report += [UInt8](repeating: 0, count: 32 - 13) + [0x01]
        #expect(scanner.part(of: report) == .init(aim: "]E0", data: Array("9781234567897".utf8), continued: true))
        report[report.count - 1] = 0xFE  // padding bits set, flag clear
        #expect(scanner.part(of: report)?.continued == false)
        // Scanners that send no identifier leave the bytes 0.
        var noAim = [UInt8](repeating: 0, count: 3) + Array("12345".utf8)
        noAim += [UInt8](repeating: 0, count: 28)
        #expect(scanner.part(of: noAim) == .init(aim: nil, data: Array("12345".utf8), continued: false))
    }

    @Test func badDescriptorsAreTypedErrors() throws {
        #expect(HIDReportDescriptor.parse([0x05]) == .failure(.truncated(offset: 0)))
        #expect(HIDReportDescriptor.parse([0xC0]) == .failure(.unbalancedCollection(offset: 0)))
        #expect(HIDReportDescriptor.parse([0x75, 0x40, 0x81, 0x02]) == .failure(.tooLarge(offset: 2)))
        // A keyboard's descriptor is not a scanner's.
        let keyboard: [UInt8] = [0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01,
                                 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x03, 0xC0]
        #expect(throws: HIDPOSScanner.LayoutError.notAScanner) { try HIDPOSScanner(descriptor: keyboard) }
        #expect(try HIDReportDescriptor.parse(keyboard).get().fields.first?.usages.count == 8)
    }

    @Test func overlongScansAreRefused() throws {
        var assembler = HIDPOSAssembler()
        let part = HIDPOSScanner.Part(aim: nil, data: [UInt8](repeating: 0x31, count: 56), continued: true)
        for _ in 0..<80 { _ = assembler.feed(part) }
        let refused = assembler.feed(.init(aim: nil, data: [0x31], continued: false))
        #expect(refused == .overflow)
        let next = assembler.feed(.init(aim: nil, data: [0x31], continued: false))
        #expect(next == .scan([0x31]))
    }

    @Test func arbitraryBytesNeverCrash() throws {
        var g = SystemRandomNumberGenerator()
        let scanner = try HIDPOSScanner(descriptor: HIDPOSFixtures.honeywell)
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...120, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            _ = HIDReportDescriptor.parse(bytes)
            _ = try? HIDPOSScanner(descriptor: bytes)
            _ = scanner.part(of: bytes)
        }
    }
}
