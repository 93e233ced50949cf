import Testing

@testable import ESCPOS

@Suite struct ESCPOSWriterTests {
    func bytes(_ profile: PrinterProfile = .generic80mm, _ build: (inout ESCPOSWriter) -> Void) -> [UInt8] {
        var w = ESCPOSWriter(profile: profile)
        build(&w)
        return w.bytes
    }

    @Test func commands() {
        #expect(bytes { $0.initialize() } == [0x1B, 0x40])
        #expect(bytes { $0.bold(true); $0.bold(false) } == [0x1B, 0x45, 1, 0x1B, 0x45, 0])
        #expect(bytes { $0.underline(2); $0.underline(9) } == [0x1B, 0x2D, 2, 0x1B, 0x2D, 2])
        #expect(bytes { $0.align(.center) } == [0x1B, 0x61, 1])
        #expect(bytes { $0.size(width: 2, height: 2); $0.size() } == [0x1D, 0x21, 0x11, 0x1D, 0x21, 0x00])
        #expect(bytes { $0.size(width: 1, height: 2) } == [0x1D, 0x21, 0x01])
        #expect(bytes { $0.feed(lines: 3) } == [0x1B, 0x64, 3])
        #expect(bytes { $0.cut(.full) } == [0x1D, 0x56, 0x41, 3])
        #expect(bytes { $0.cut(.partial, feedDots: 0) } == [0x1D, 0x56, 0x42, 0])
        #expect(bytes { $0.kickDrawer() } == [0x1B, 0x70, 0, 25, 250])
        #expect(bytes { $0.kickDrawer(pin5: true, onMs: 100, offMs: 100) } == [0x1B, 0x70, 1, 50, 50])
    }

    @Test func euroPrintsOnEveryProfile() {
        // Epson and clones: CP858 slot 19, € = 0xD5.
        #expect(bytes { $0.text("€5") } == [0x1B, 0x74, 19, 0xD5, 0x35])
        // TM-m30 has no CP858 in the database: CP1252 slot 16, € = 0x80.
        #expect(bytes(.epsonTMm30) { $0.text("€") } == [0x1B, 0x74, 16, 0x80])
        // Star in ESC/POS mode selects tables with ESC GS t; CP858 is slot 4.
        #expect(bytes(.starESCPOS) { $0.text("€") } == [0x1B, 0x1D, 0x74, 4, 0xD5])
        for profile in PrinterProfile.all {
            let out = bytes(profile) { $0.text("€") }
            let page = profile.preference.first!
            #expect(page.scalar(for: out.last!) == "€", "profile \(profile.name)")
        }
    }

    @Test func codePagesSwitchOnlyWhenNeeded() {
        // ä and € are both on CP858: one switch.
        #expect(bytes { $0.text("ä€ä") } == [0x1B, 0x74, 19, 0x84, 0xD5, 0x84])
        // Cyrillic needs CP866, then € goes back to CP858.
        #expect(bytes { $0.text("Я€") } == [0x1B, 0x74, 17, 0x9F, 0x1B, 0x74, 19, 0xD5])
        // ESC @ resets the printer's page, so the writer switches again.
        #expect(bytes { $0.text("€"); $0.initialize(); $0.text("€") } == [0x1B, 0x74, 19, 0xD5, 0x1B, 0x40, 0x1B, 0x74, 19, 0xD5])
        // A character no page has becomes "?".
        #expect(bytes { $0.text("漢") } == [0x3F])
    }

    @Test func textCannotInjectCommands() {
        #expect(bytes { $0.text("a\u{1B}@b\u{1D}V\u{00}c\td\n") } == [0x61, 0x20, 0x40, 0x62, 0x20, 0x56, 0x20, 0x63, 0x20, 0x64, 0x0A])
    }

    @Test func columnsFillTheLine() {
        let out = bytes(.generic58mm) { $0.columns("Balance", "€25.00") }
        // 32 columns: 7 + 19 spaces + ESC t 19 + 6 characters, then LF.
        #expect(out.count == 7 + 19 + 3 + 6 + 1)
        #expect(Array(out[0..<7]) == Array("Balance".utf8))
        #expect(out.last == 0x0A)
        let long = bytes(.generic58mm) { $0.columns(String(repeating: "x", count: 40), "12.00") }
        #expect(long.count == 33)
        #expect(Array(long[26..<32]) == Array(" 12.00".utf8))
    }

    @Test func codePageTablesRoundTrip() {
        for page in CodePage.allCases {
            for b in UInt8(0x20)...UInt8(0xFF) where b != 0x7F {
                guard let s = page.scalar(for: b), s.value >= 0xA0 || s.value < 0x7F else { continue }
                #expect(page.byte(for: s) == b, "\(page) byte \(b)")
            }
        }
        #expect(CodePage.iso8859_15.byte(for: "€") == 0xA4)
        #expect(CodePage.cp437.byte(for: "€") == nil)
    }
}

@Suite struct BalanceReceiptTests {
    @Test func receiptHasInitialiseMaskedNumberBalanceAndCut() {
        let receipt = BalanceReceipt(
            shopName: "Café Zürich", headerLines: ["Bahnhofstrasse 1"], footerLines: ["Danke!"],
            maskedCardNumber: "603571******0000", balance: "€25.00", printedAt: "2026-11-21 10:00", terminal: "T1")
        let out = receipt.encode(profile: .generic80mm)
        #expect(Array(out.prefix(2)) == [0x1B, 0x40])
        #expect(Array(out.suffix(4)) == [0x1D, 0x56, 0x41, 3])
        #expect(out.contains(subsequence: Array("603571******0000".utf8)))
        // "é" switches to CP858 once; "€" later needs no second switch.
        #expect(out.contains(subsequence: Array("Caf".utf8) + [0x1B, 0x74, 19, 0x82]))
        #expect(out.contains(subsequence: [0xD5] + Array("25.00".utf8)))
        #expect(zip(out, out.dropFirst()).filter { $0 == (0x1B, 0x74) }.count == 1)
        #expect(!out.contains(subsequence: Array("6035710000000000".utf8)))
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}
