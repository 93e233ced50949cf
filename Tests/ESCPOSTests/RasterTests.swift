import Testing

@testable import ESCPOS

/// Reads `GS v 0` commands (mode 0) back into one bitmap; nil if the bytes are anything else.
func parseRaster(_ bytes: ArraySlice<UInt8>) -> Bitmap? {
    var p = bytes.startIndex
    var width = 0
    var rows: [UInt8] = []
    var height = 0
    while p < bytes.endIndex {
        guard bytes.endIndex - p >= 8, Array(bytes[p..<(p + 4)]) == [0x1D, 0x76, 0x30, 0x00] else { return nil }
        let x = Int(bytes[p + 4]) | Int(bytes[p + 5]) << 8
        let y = Int(bytes[p + 6]) | Int(bytes[p + 7]) << 8
        guard width == 0 || width == x, bytes.endIndex - (p + 8) >= x * y else { return nil }
        width = x
        rows += bytes[(p + 8)..<(p + 8 + x * y)]
        height += y
        p += 8 + x * y
    }
    return try? Bitmap(width: width * 8, height: height, packedRows: rows)
}

@Suite struct BitmapTests {
    @Test func packingAndPadding() throws {
        var b = try Bitmap(width: 10, height: 2)
        #expect(b.bytesPerRow == 2 && b.data == [0, 0, 0, 0])
        b[x: 0, y: 0] = true
        b[x: 9, y: 0] = true
        b[x: 8, y: 1] = true
        b[x: 10, y: 0] = true  // outside: ignored
        b[x: -1, y: 0] = true
        #expect(b.data == [0x80, 0x40, 0x00, 0x80])
        #expect(b[x: 9, y: 0] && !b[x: 8, y: 0] && !b[x: 100, y: 100])
        // Padding bits of given rows are cleared.
        let c = try Bitmap(width: 10, height: 1, packedRows: [0xFF, 0xFF])
        #expect(c.data == [0xFF, 0xC0])
        #expect(throws: ImageError.sizeMismatch(expected: 2, actual: 3)) { try Bitmap(width: 10, height: 1, packedRows: [1, 2, 3]) }
        #expect(throws: ImageError.invalidDimensions(width: 0, height: 1)) { try Bitmap(width: 0, height: 1) }
        #expect(throws: ImageError.invalidDimensions(width: 4097, height: 1)) { try Bitmap(width: 4097, height: 1) }
    }

    @Test func rasterCommandsInBands() throws {
        let b = try Bitmap(width: 10, height: 3, packedRows: [0xAA, 0x80, 0x55, 0x40, 0xFF, 0xC0])
        #expect(b.rasterCommands() == [0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x03, 0x00, 0xAA, 0x80, 0x55, 0x40, 0xFF, 0xC0])
        #expect(b.rasterCommands(bandHeight: 2) == [
            0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xAA, 0x80, 0x55, 0x40,
            0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x01, 0x00, 0xFF, 0xC0,
        ])
        // 600 rows of 576 dots at the default 256: bands of 256, 256 and 88 rows, 72 bytes wide.
        let tall = try Bitmap(width: 576, height: 600)
        let out = tall.rasterCommands()
        #expect(out.count == 3 * 8 + 72 * 600)
        #expect(Array(out[0..<8]) == [0x1D, 0x76, 0x30, 0x00, 72, 0, 0x00, 0x01])
        #expect(Array(out[(8 + 72 * 256)..<(16 + 72 * 256)]) == [0x1D, 0x76, 0x30, 0x00, 72, 0, 0x00, 0x01])
        #expect(Array(out[(16 + 72 * 512)..<(24 + 72 * 512)]) == [0x1D, 0x76, 0x30, 0x00, 72, 0, 88, 0])
        #expect(parseRaster(out[...]) == tall)
    }

    @Test func writerImageAlignsAndFitsThePaper() throws {
        let b = try Bitmap(width: 10, height: 2, packedRows: [0xFF, 0xC0, 0x81, 0x40])
        var w = ESCPOSWriter(profile: .generic58mm)
        w.image(b)
        #expect(w.bytes == [0x1B, 0x61, 0x01, 0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xFF, 0xC0, 0x81, 0x40])
        var r = ESCPOSWriter(profile: .generic58mm)
        r.image(b, align: .right, bandHeight: 1)
        #expect(r.bytes == [0x1B, 0x61, 0x02, 0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x01, 0x00, 0xFF, 0xC0,
                            0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x01, 0x00, 0x81, 0x40])
        // 768 × 100 black on 384-dot paper: scaled to 384 × 50, still all black.
        var wide = try Bitmap(width: 768, height: 100)
        for y in 0..<100 { for x in 0..<768 { wide[x: x, y: y] = true } }
        var s = ESCPOSWriter(profile: .generic58mm)
        s.image(wide, align: .left)
        #expect(Array(s.bytes.prefix(11)) == [0x1B, 0x61, 0x00, 0x1D, 0x76, 0x30, 0x00, 48, 0, 50, 0])
        #expect(s.bytes.dropFirst(11).allSatisfy { $0 == 0xFF })
        #expect(s.bytes.count == 11 + 48 * 50)
    }

    @Test func writerGrayImageDithersAndFits() throws {
        let g = try GrayImage(width: 3, height: 2, pixels: [100, 100, 100, 100, 100, 100])
        var w = ESCPOSWriter(profile: .generic80mm)
        w.image(g)
        #expect(w.bytes == [0x1B, 0x61, 0x01, 0x1D, 0x76, 0x30, 0x00, 0x01, 0x00, 0x02, 0x00, 0xA0, 0xA0])
        var t = ESCPOSWriter(profile: .generic80mm)
        t.image(g, align: .left, dither: false)
        #expect(t.bytes == [0x1B, 0x61, 0x00, 0x1D, 0x76, 0x30, 0x00, 0x01, 0x00, 0x02, 0x00, 0xE0, 0xE0])
        // 1152 × 40 on 576-dot paper: 576 × 20, 72 bytes a row.
        let wide = try GrayImage(width: 1152, height: 40, pixels: [UInt8](repeating: 0, count: 1152 * 40))
        var s = ESCPOSWriter(profile: .generic80mm)
        s.image(wide)
        #expect(Array(s.bytes.prefix(11)) == [0x1B, 0x61, 0x01, 0x1D, 0x76, 0x30, 0x00, 72, 0, 20, 0])
        #expect(s.bytes.count == 11 + 72 * 20)
    }

    @Test func grayScalingIsAnAreaAverage() throws {
        let g = try GrayImage(width: 4, height: 2, pixels: [0, 100, 200, 255, 50, 50, 50, 50])
        let half = try g.scaled(toWidth: 2)
        #expect(half.width == 2 && half.height == 1)
        #expect(half.pixels == [50, 139])  // (0+100+50+50)/4, (200+255+50+50)/4 = 138.75
        // 3 → 2: each target covers 1.5 source pixels.
        let third = try GrayImage(width: 3, height: 1, pixels: [0, 255, 0]).scaled(toWidth: 2)
        #expect(third.pixels == [85, 85])
        // Growing by 2 repeats pixels.
        let double = try GrayImage(width: 2, height: 1, pixels: [10, 200]).scaled(toWidth: 4)
        #expect(double.height == 2 && double.pixels == [10, 10, 200, 200, 10, 10, 200, 200])
        #expect(throws: ImageError.invalidDimensions(width: 5000, height: 5000)) {
            try GrayImage(width: 2, height: 2, pixels: [0, 0, 0, 0]).scaled(toWidth: 5000)
        }
    }

    @Test func thresholdAndDither() throws {
        let g = try GrayImage(width: 3, height: 2, pixels: [100, 100, 100, 100, 100, 100])
        #expect(g.thresholded().data == [0xE0, 0xE0])
        #expect(g.thresholded(100).data == [0x00, 0x00])
        // Worked by hand (errors in 1/16, integer division): row 0 100→black, 143→white, 51→black;
        // row 1 110→black, 128→white, 54→black.
        #expect(g.dithered().data == [0xA0, 0xA0])
        // Flat gray levels come out with about the right share of black dots.
        for (level, blackShare) in [(0, 1.0), (64, 0.75), (128, 0.5), (192, 0.25), (255, 0.0)] {
            let flat = try GrayImage(width: 64, height: 64, pixels: [UInt8](repeating: UInt8(level), count: 64 * 64))
            let d = flat.dithered()
            let black = (0..<64).reduce(0) { sum, y in sum + (0..<64).filter { d[x: $0, y: y] }.count }
            #expect(abs(Double(black) / 4096 - blackShare) < 0.02, "level \(level): \(black) black")
        }
    }

    @Test func bitmapScalingKeepsSolidShapes() throws {
        var b = try Bitmap(width: 8, height: 4)
        for y in 0..<4 { for x in 0..<4 { b[x: x, y: y] = true } }  // left half black
        let s = try b.scaled(toWidth: 4)
        #expect(s.width == 4 && s.height == 2 && s.data == [0xC0, 0xC0])
        let up = try b.scaled(toWidth: 16)
        #expect(up.width == 16 && up.height == 8)
        #expect((0..<8).allSatisfy { up.data[$0 * 2] == 0xFF && up.data[$0 * 2 + 1] == 0x00 })
    }
}

@Suite struct QRPrintingTests {
    @Test func nativeQRBytes() throws {
        var w = ESCPOSWriter(profile: .generic80mm)
        let url = "https://example.com/gc/4821?b=40.00"
        try w.qr(url, size: 6, errorCorrection: .low)
        // The sequence python-escpos sends (research notes §3.7), rendered by emupos and read by zbarimg.
        #expect(w.bytes == [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
                            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06,
                            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x30,
                            0x1D, 0x28, 0x6B, 0x26, 0x00, 0x31, 0x50, 0x30] + Array(url.utf8)
                            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30])
        var h = ESCPOSWriter(profile: .generic80mm)
        try h.qr("x", size: 40, errorCorrection: .high)
        #expect(Array(h.bytes[17..<25]) == [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x33])
        #expect(h.bytes[16] == 16)  // module size clamped to 16
        // Store length above 255 bytes uses pH.
        var l = ESCPOSWriter(profile: .generic80mm)
        try l.qr(String(repeating: "a", count: 300))
        #expect(Array(l.bytes[25..<30]) == [0x1D, 0x28, 0x6B, 0x2F, 0x01])  // 303 = 0x012F
        var t = ESCPOSWriter(profile: .generic80mm)
        #expect(throws: QRCode.Error.dataTooLong(bytes: 1274, capacity: 1273)) {
            try t.qr(String(repeating: "a", count: 1274), errorCorrection: .high)
        }
        #expect(t.bytes.isEmpty)
    }

    @Test func rasterFallbackDrawsTheEncodedSymbol() throws {
        var profile = PrinterProfile.generic58mm
        profile.nativeQR = false
        var w = ESCPOSWriter(profile: profile)
        try w.qr("https://example.com/gc/4821?b=40.00", size: 4, errorCorrection: .quartile)
        let code = try QRCode("https://example.com/gc/4821?b=40.00", errorCorrection: .quartile)
        let printed = try #require(parseRaster(w.bytes[...]))
        let expected = try code.bitmap(moduleSize: 4)
        #expect(printed.height == expected.height)
        #expect((0..<printed.height).allSatisfy { y in (0..<printed.width).allSatisfy { printed[x: $0, y: y] == expected[x: $0, y: y] } })
        // A symbol too wide at 6 dots per module shrinks: version 40 at L is 177 + 8 modules,
        // 2 dots each on 384-dot paper.
        var big = ESCPOSWriter(profile: profile)
        try big.qr(String(repeating: "z", count: 2953), size: 6, errorCorrection: .low)
        let bigBitmap = try #require(parseRaster(big.bytes[...]))
        #expect(bigBitmap.height == 185 * 2)
    }
}
