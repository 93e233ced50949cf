import Testing

@testable import ESCPOS

/// Rows of a matrix as strings of "#" (dark) and "." (light).
func qrRows(_ code: QRCode) -> [String] {
    (0..<code.size).map { y in String((0..<code.size).map { code[x: $0, y: y] ? "#" : "." }) }
}

/// The 15 format bits read back from the copy around the top-left finder (bit 0 at (8, 0)).
func formatBits(_ rows: [String]) -> Int {
    func dark(_ x: Int, _ y: Int) -> Bool { Array(rows[y])[x] == "#" }
    var info = 0
    for i in 0...5 where dark(8, i) { info |= 1 << i }
    if dark(8, 7) { info |= 1 << 6 }
    if dark(8, 8) { info |= 1 << 7 }
    if dark(7, 8) { info |= 1 << 8 }
    for i in 9..<15 where dark(14 - i, 8) { info |= 1 << i }
    return info
}

@Suite struct QRCodeTests {
    @Test func codewordCounts() {
        // ISO/IEC 18004 table 1: total codewords per version.
        let totals = [1: 26, 2: 44, 3: 70, 4: 100, 5: 134, 6: 172, 7: 196, 10: 346, 14: 581, 20: 1085, 32: 2465, 35: 2876, 40: 3706]
        for (v, total) in totals { #expect(QRCode.totalCodewords(version: v) == total, "version \(v)") }
        // Byte-mode capacities (table 7).
        #expect(QRCode.byteCapacity(version: 1, errorCorrection: .low) == 17)
        #expect(QRCode.byteCapacity(version: 1, errorCorrection: .medium) == 14)
        #expect(QRCode.byteCapacity(version: 1, errorCorrection: .quartile) == 11)
        #expect(QRCode.byteCapacity(version: 1, errorCorrection: .high) == 7)
        #expect(QRCode.byteCapacity(version: 10, errorCorrection: .medium) == 213)
        #expect(QRCode.byteCapacity(version: 40, errorCorrection: .low) == 2953)
        #expect(QRCode.byteCapacity(version: 40, errorCorrection: .medium) == 2331)
        #expect(QRCode.byteCapacity(version: 40, errorCorrection: .quartile) == 1663)
        #expect(QRCode.byteCapacity(version: 40, errorCorrection: .high) == 1273)
    }

    @Test func reedSolomonHelloWorld1M() {
        // "HELLO WORLD" 1-M in alphanumeric mode: the 16 data codewords and their 10
        // error-correction codewords (worked example in the QR literature, e.g. thonky.com).
        let data: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        let ec = ReedSolomon.remainder(data, generator: ReedSolomon.generator(degree: 10))
        #expect(ec == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    }

    @Test func formatAndVersionInformation() {
        // ISO/IEC 18004 annex C: format information for mask 0 at each level, version 7 and 40.
        #expect(QRCode.formatInformation(.low, mask: 0) == 0b111011111000100)
        #expect(QRCode.formatInformation(.medium, mask: 0) == 0b101010000010010)
        #expect(QRCode.formatInformation(.quartile, mask: 0) == 0b011010101011111)
        #expect(QRCode.formatInformation(.high, mask: 0) == 0b001011010001001)
        #expect(QRCode.formatInformation(.high, mask: 7) == 0b000100000111011)
        #expect(QRCode.versionInformation(7) == 0b000111110010010100)
        #expect(QRCode.versionInformation(40) == 0b101000110001101001)
    }

    @Test func alignmentCentres() {
        // Annex E.
        #expect(QRCode.alignmentCentres(version: 1) == [])
        #expect(QRCode.alignmentCentres(version: 2) == [6, 18])
        #expect(QRCode.alignmentCentres(version: 7) == [6, 22, 38])
        #expect(QRCode.alignmentCentres(version: 15) == [6, 26, 48, 70])
        #expect(QRCode.alignmentCentres(version: 32) == [6, 34, 60, 86, 112, 138])
        #expect(QRCode.alignmentCentres(version: 36) == [6, 24, 50, 76, 102, 128, 154])
        #expect(QRCode.alignmentCentres(version: 40) == [6, 30, 58, 86, 114, 142, 170])
    }

    @Test func dataCodewordsAreModeCountDataTerminatorPadding() {
        // "A" in 1-L byte mode: 0100 00000001 01000001 0000, then pad EC 11 …
        let cw = QRCode.dataCodewords([0x41], version: 1, errorCorrection: .low)
        #expect(cw.count == 19)
        #expect(Array(cw.prefix(4)) == [0x40, 0x14, 0x10, 0xEC])
        #expect(cw[4] == 0x11 && cw[17] == 0xEC && cw[18] == 0x11)
    }

    @Test func penaltyRules() {
        // A checkerboard has no runs, no blocks, no finder patterns and exactly 50 % dark.
        let n = 21
        let board = (0..<(n * n)).map { ($0 / n + $0 % n) % 2 == 0 }
        #expect(QRCode.penalty(board, size: n) == 0)
        // All light: 2×21 runs of 21 (19 each), 20×20 blocks (3 each), 100 % off by 50 % (10 steps).
        let light = [Bool](repeating: false, count: n * n)
        #expect(QRCode.penalty(light, size: n) == 42 * 19 + 400 * 3 + 100)
        // 11×11, light except row 0 = 1011101 0000 (a finder-like pattern, light after it),
        // compared with row 0 = 1000001 0000. N3: +40 for the pattern. N1: the plain row has a run
        // of 5 light (+3) and its columns 2–4 runs of 11 instead of 10 (+1 each). N2: the plain
        // row leaves 4 more light 2×2 blocks (+12). N4: 5 vs 2 dark of 121, both 9 steps off.
        let m = 11
        var grid = [Bool](repeating: false, count: m * m)
        for (i, d) in [true, false, true, true, true, false, true].enumerated() { grid[i] = d }
        var plain = grid
        plain[2] = false; plain[3] = false; plain[4] = false
        #expect(QRCode.penalty(grid, size: m) - QRCode.penalty(plain, size: m) == 40 - 3 - 3 - 12)
    }

    @Test func chooseSmallestVersionAndRejectTooLong() throws {
        #expect(try QRCode(bytes: [UInt8](repeating: 0x41, count: 17), errorCorrection: .low).version == 1)
        #expect(try QRCode(bytes: [UInt8](repeating: 0x41, count: 18), errorCorrection: .low).version == 2)
        #expect(try QRCode("x", minimumVersion: 5).version == 5)
        #expect(try QRCode(bytes: [UInt8](repeating: 0, count: 1273), errorCorrection: .high).version == 40)
        #expect(throws: QRCode.Error.dataTooLong(bytes: 1274, capacity: 1273)) {
            try QRCode(bytes: [UInt8](repeating: 0, count: 1274), errorCorrection: .high)
        }
        #expect(throws: QRCode.Error.invalidParameter) { try QRCode("x", mask: 8) }
        #expect(throws: QRCode.Error.invalidParameter) { try QRCode("x", minimumVersion: 41) }
    }

    @Test func formatBitsInMatrixMatchLevelAndMask() throws {
        for level in QRCode.ErrorCorrection.allCases {
            for mask in 0..<8 {
                let code = try QRCode("giftbridge", errorCorrection: level, mask: mask)
                #expect(formatBits(qrRows(code)) == QRCode.formatInformation(level, mask: mask))
                #expect(code.mask == mask)
            }
        }
    }
}
