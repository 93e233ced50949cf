import Testing

@testable import ESCPOS

@Suite struct Code128Tests {
    func payload(_ s: String, _ choice: Code128.CodeSetChoice = .automatic) throws -> [UInt8] {
        try Code128(s, codeSet: choice).payload
    }

    @Test func explicitSets() throws {
        // Set B as python-escpos sends it (research notes §3.8), verified there with zbarimg.
        #expect(try payload("GC-4821", .only(.b)) == [0x7B, 0x42, 0x47, 0x43, 0x2D, 0x34, 0x38, 0x32, 0x31])
        // Set C: binary pairs.
        #expect(try payload("123456", .only(.c)) == [0x7B, 0x43, 12, 34, 56])
        #expect(try payload("0099", .only(.c)) == [0x7B, 0x43, 0, 99])
        // Set A carries control characters as they are.
        #expect(try payload("AB\t\r", .only(.a)) == [0x7B, 0x41, 0x41, 0x42, 0x09, 0x0D])
        // "{" in set B is doubled.
        #expect(try payload("a{b", .only(.b)) == [0x7B, 0x42, 0x61, 0x7B, 0x7B, 0x62])
    }

    @Test func explicitSetsRejectWhatTheyCannotHold() {
        #expect(throws: Code128.Error.unencodable(byte: 0x62, index: 1, codeSet: .a)) { try Code128("Ab", codeSet: .only(.a)) }
        #expect(throws: Code128.Error.unencodable(byte: 0x09, index: 0, codeSet: .b)) { try Code128("\tb", codeSet: .only(.b)) }
        #expect(throws: Code128.Error.unencodable(byte: 0x41, index: 2, codeSet: .c)) { try Code128("12A4", codeSet: .only(.c)) }
        #expect(throws: Code128.Error.oddDigitCount) { try Code128("123", codeSet: .only(.c)) }
        #expect(throws: Code128.Error.empty) { try Code128("") }
        #expect(throws: Code128.Error.notASCII(index: 2)) { try Code128("ab€") }
        #expect(throws: Code128.Error.notASCII(index: 1)) { try Code128([0x41, 0xE9]) }
    }

    @Test func automaticChoice() throws {
        // Text, then a run of 4 digits in C.
        #expect(try payload("GC-4821") == [0x7B, 0x42, 0x47, 0x43, 0x2D, 0x7B, 0x43, 48, 21])
        // Only an even number of digits: all C, even just two.
        #expect(try payload("12") == [0x7B, 0x43, 12])
        #expect(try payload("00123456") == [0x7B, 0x43, 0, 12, 34, 56])
        // Odd run opening the data: pairs first, the odd digit in B after them.
        #expect(try payload("12345") == [0x7B, 0x43, 12, 34, 0x7B, 0x42, 0x35])
        #expect(try payload("12345ab") == [0x7B, 0x43, 12, 34, 0x7B, 0x42, 0x35, 0x61, 0x62])
        // Odd run after text: the odd digit stays in the current set, then pairs.
        #expect(try payload("ab12345") == [0x7B, 0x42, 0x61, 0x62, 0x31, 0x7B, 0x43, 23, 45])
        // Short runs stay in B.
        #expect(try payload("ab123cd") == Array("{Bab123cd".utf8))
        #expect(try payload("1") == Array("{B1".utf8))
        #expect(try payload("123") == Array("{B123".utf8))
        // Control characters select A; lower case goes back to B.
        #expect(try payload("AB\tx") == [0x7B, 0x41, 0x41, 0x42, 0x09, 0x7B, 0x42, 0x78])
        // Upper case before a control character is already in A (no later switch).
        #expect(try payload("X\r") == [0x7B, 0x41, 0x58, 0x0D])
        // Digits between text and C: "A" B, then "1234" C, then "\n" A.
        #expect(try payload("A1234\n") == [0x7B, 0x41, 0x41, 0x7B, 0x43, 12, 34, 0x7B, 0x41, 0x0A])
        #expect(try payload("x{") == [0x7B, 0x42, 0x78, 0x7B, 0x7B])
    }

    @Test func symbolCountAndWidth() throws {
        // start + G C - + switch + 2 pairs + check = 8 symbols; 8×11 + 13 modules.
        let s = try Code128("GC-4821")
        #expect(s.symbolCount == 8)
        #expect(s.moduleCount == 101)
        // The same data in B only: start + 7 + check.
        #expect(try Code128("GC-4821", codeSet: .only(.b)).symbolCount == 9)
    }

    @Test func symbolValuesAndPatterns() throws {
        // Start B, G C -, Code C, 48 21, check (104 + 39 + 2·35 + 3·13 + 4·99 + 5·48 + 6·21) mod 103 = 87.
        #expect(try Code128("GC-4821").symbolValues == [104, 39, 35, 13, 99, 48, 21, 87])
        // Set A: control characters are 64 + byte. Start A, "A" 33, TAB 73, check (103 + 33 + 2·73) mod 103.
        #expect(try Code128("A\t").symbolValues == [103, 33, 73, (103 + 33 + 146) % 103])
        // Every pattern: 11 modules in 6 elements; stop 13 in 7.
        #expect(Code128.patterns.count == 107)
        for (value, p) in Code128.patterns.enumerated() {
            let widths = p.utf8.map { Int($0 - 0x30) }
            #expect(widths.reduce(0, +) == (value == 106 ? 13 : 11) && widths.count == (value == 106 ? 7 : 6), "value \(value)")
        }
        #expect(Set(Code128.patterns).count == 107)
        // The drawn symbol: quiet zone, then start B's 2-1-1-2-1-4 (bar first), 2 dots per module.
        let b = try Code128("GC-4821").bitmap(moduleWidth: 2, height: 3, quietZone: 10)
        #expect(b.width == (101 + 20) * 2 && b.height == 3)
        let row = (0..<b.width).map { b[x: $0, y: 1] ? "1" : "0" }.joined()
        #expect(row.hasPrefix(String(repeating: "0", count: 20) + "1111" + "00" + "11" + "0000" + "11" + "00000000"))
        #expect(row.hasSuffix("1111" + "000000" + "111111" + "00" + "11" + "00" + "1111" + String(repeating: "0", count: 20)))
    }

    @Test func lengthLimit() throws {
        // 253 characters + "{B" = 255 bytes: fits; one more does not.
        let ok = String(repeating: "x", count: 253)
        #expect(try Code128(ok).payload.count == 255)
        #expect(throws: Code128.Error.tooLong(bytes: 256)) { try Code128(ok + "x") }
        // "{" doubles, so 127 of them need 256 bytes.
        #expect(throws: Code128.Error.tooLong(bytes: 256)) { try Code128(String(repeating: "{", count: 127)) }
    }

    @Test func writerBytes() throws {
        var w = ESCPOSWriter(profile: .generic80mm)
        try w.barcode128("GC-4821")
        #expect(w.bytes == [0x1D, 0x48, 0x02, 0x1D, 0x68, 0x50, 0x1D, 0x77, 0x02,
                            0x1D, 0x6B, 0x49, 0x09, 0x7B, 0x42, 0x47, 0x43, 0x2D, 0x7B, 0x43, 0x30, 0x15])
        var v = ESCPOSWriter(profile: .generic80mm)
        try v.barcode128("GC-4821", codeSet: .only(.b), height: 0, moduleWidth: 5, hri: .both)
        #expect(v.bytes == [0x1D, 0x48, 0x03, 0x1D, 0x68, 0x01, 0x1D, 0x77, 0x05,
                            0x1D, 0x6B, 0x49, 0x09, 0x7B, 0x42, 0x47, 0x43, 0x2D, 0x34, 0x38, 0x32, 0x31])
        // Module width is clamped to 2…6.
        var u = ESCPOSWriter(profile: .generic80mm)
        try u.barcode128("12", height: 200, moduleWidth: 9, hri: .none)
        #expect(u.bytes == [0x1D, 0x48, 0x00, 0x1D, 0x68, 200, 0x1D, 0x77, 0x06, 0x1D, 0x6B, 0x49, 0x03, 0x7B, 0x43, 12])
    }

    @Test func writerRejectsWithoutWriting() {
        var w = ESCPOSWriter(profile: .generic58mm)
        #expect(throws: Code128.Error.notASCII(index: 0)) { try w.barcode128("ä") }
        // 30 letters: (1 + 30 + 1) × 11 + 13 = 365 modules; ×2 = 730 dots > 384.
        #expect(throws: Code128.Error.tooWide(dots: 730, available: 384)) {
            try w.barcode128(String(repeating: "A", count: 30))
        }
        #expect(w.bytes.isEmpty)
    }
}
