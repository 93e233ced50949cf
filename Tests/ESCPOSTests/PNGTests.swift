import Testing

@testable import ESCPOS

@Suite struct PNGDecoderTests {
    /// What the fixture generator put at (x, y), as 8-bit RGBA (see PNGFixtures.swift).
    static func expectedRGBA(colorType: UInt8, depth d: Int, transparency: Bool, x: Int, y: Int) -> [UInt8] {
        func sample(_ x: Int, _ y: Int, _ c: Int) -> Int { (x * 7 + y * 13 + c * 29 + x * y) % (1 << d) }
        func eight(_ v: Int) -> UInt8 { d == 16 ? UInt8(v >> 8) : d == 8 ? UInt8(v) : UInt8(v * 255 / ((1 << d) - 1)) }
        let s = (0..<4).map { sample(x, y, $0) }
        switch colorType {
        case 0:
            let a: UInt8 = transparency && s[0] == sample(1, 0, 0) ? 0 : 255
            return [eight(s[0]), eight(s[0]), eight(s[0]), a]
        case 2:
            let key = (0..<3).map { sample(1, 0, $0) }
            let a: UInt8 = transparency && Array(s[0..<3]) == key ? 0 : 255
            return [eight(s[0]), eight(s[1]), eight(s[2]), a]
        case 3:
            let i = s[0]
            let a: UInt8 = transparency && i < 4 ? UInt8(i * 50) : 255
            return [UInt8(i * 3 % 256), UInt8(i * 5 % 256), UInt8(i * 7 % 256), a]
        case 4: return [eight(s[0]), eight(s[0]), eight(s[0]), eight(s[1])]
        default: return [eight(s[0]), eight(s[1]), eight(s[2]), eight(s[3])]
        }
    }

    @Test func everyColourTypeBitDepthAndInterlace() throws {
        #expect(PNGFixtures.all.count == 30)
        for f in PNGFixtures.all {
            let label = "colour type \(f.colorType), depth \(f.bitDepth), interlaced \(f.interlaced)"
            let image = try PNG.decode(f.bytes)
            #expect(image.width == 11 && image.height == 7, "\(label)")
            #expect(image.colorType.rawValue == f.colorType && image.bitDepth == f.bitDepth && image.interlaced == f.interlaced)
            var expected: [UInt8] = []
            for y in 0..<7 {
                for x in 0..<11 {
                    expected += Self.expectedRGBA(colorType: f.colorType, depth: f.bitDepth, transparency: f.transparency, x: x, y: y)
                }
            }
            #expect(image.rgba == expected, "\(label)")
        }
    }

    @Test func grayscaleConversionCompositesOverWhite() throws {
        // Palette with tRNS, interlaced, depth 2: index 0 fully transparent → white.
        let f = try #require(PNGFixtures.all.first { $0.colorType == 3 && $0.bitDepth == 2 && $0.interlaced })
        let image = try PNG.decode(f.bytes)
        let gray = image.grayImage()
        // Pixel (0, 0) has index 0: alpha 0 → background.
        #expect(gray[x: 0, y: 0] == 255)
        #expect(image.grayImage(background: 0)[x: 0, y: 0] == 0)
        // Pixel (1, 0): index 7 mod 4 = 3, colour (9, 15, 21), alpha 150:
        // luma (299·9 + 587·15 + 114·21 + 500) / 1000 = 14; (14·150 + 255·105 + 127) / 255 = 113.
        #expect(gray[x: 1, y: 0] == 113)
    }

    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        PNG.chunk(type, body, into: &out)
        return out
    }

    func ihdr(width: UInt32 = 2, height: UInt32 = 2, depth: UInt8 = 8, colorType: UInt8 = 0, interlace: UInt8 = 0) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        return chunk("IHDR", be(width) + be(height) + [depth, colorType, 0, 0, interlace])
    }

    @Test func rejectsMalformedFiles() {
        let sig = PNG.signature
        let idat = chunk("IDAT", Zlib.compress([0, 1, 2, 0, 3, 4]))
        let iend = chunk("IEND", [])
        // The minimal valid file these variations start from.
        #expect((try? PNG.decode(sig + ihdr() + idat + iend))?.rgba == [1, 1, 1, 255, 2, 2, 2, 255, 3, 3, 3, 255, 4, 4, 4, 255])

        #expect(throws: ImageError.notThisFormat) { try PNG.decode(Array("GIF89a....".utf8)) }
        #expect(throws: ImageError.truncated) { try PNG.decode(Array(sig.prefix(5))) }
        #expect(throws: ImageError.truncated) { try PNG.decode(sig) }
        #expect(throws: ImageError.invalidDimensions(width: 5000, height: 2)) { try PNG.decode(sig + ihdr(width: 5000) + idat + iend) }
        #expect(throws: ImageError.invalidDimensions(width: 0, height: 2)) { try PNG.decode(sig + ihdr(width: 0) + idat + iend) }
        #expect(throws: ImageError.invalidDimensions(width: 2, height: 0xFFFF_FFFF)) { try PNG.decode(sig + ihdr(height: 0xFFFF_FFFF) + idat + iend) }
        #expect(throws: ImageError.malformed("bit depth 3 with colour type 0")) { try PNG.decode(sig + ihdr(depth: 3) + idat + iend) }
        #expect(throws: ImageError.malformed("bit depth 16 with colour type 3")) { try PNG.decode(sig + ihdr(depth: 16, colorType: 3) + idat + iend) }
        #expect(throws: ImageError.malformed("colour type 5")) { try PNG.decode(sig + ihdr(colorType: 5) + idat + iend) }
        #expect(throws: ImageError.unsupported("interlace method 2")) { try PNG.decode(sig + ihdr(interlace: 2) + idat + iend) }
        #expect(throws: ImageError.malformed("first chunk is IDAT, not IHDR")) { try PNG.decode(sig + idat + iend) }
        #expect(throws: ImageError.malformed("no IDAT")) { try PNG.decode(sig + ihdr() + iend) }
        #expect(throws: ImageError.truncated) { try PNG.decode(sig + ihdr() + idat) }
        #expect(throws: ImageError.unsupported("critical chunk ABCD")) { try PNG.decode(sig + ihdr() + chunk("ABCD", []) + idat + iend) }
        // An unknown ancillary chunk is skipped.
        #expect((try? PNG.decode(sig + ihdr() + chunk("abCD", [1]) + idat + iend)) != nil)
        // Palette: missing, index beyond it.
        #expect(throws: ImageError.malformed("palette image without PLTE")) { try PNG.decode(sig + ihdr(colorType: 3) + idat + iend) }
        #expect(throws: ImageError.malformed("palette index 2 out of range")) {
            try PNG.decode(sig + ihdr(colorType: 3) + chunk("PLTE", [0, 0, 0, 9, 9, 9]) + idat + iend)
        }
        #expect(throws: ImageError.malformed("PLTE in a grayscale image")) { try PNG.decode(sig + ihdr() + chunk("PLTE", [0, 0, 0]) + idat + iend) }
        // Filter type 5; image data one row short; more data than the image holds.
        #expect(throws: ImageError.malformed("filter type 5")) { try PNG.decode(sig + ihdr() + chunk("IDAT", Zlib.compress([5, 1, 2, 0, 3, 4])) + iend) }
        #expect(throws: ImageError.malformed("image data is 3 bytes, 6 expected")) { try PNG.decode(sig + ihdr() + chunk("IDAT", Zlib.compress([0, 1, 2])) + iend) }
        #expect(throws: ImageError.compression(.outputLimitExceeded(limit: 6))) {
            try PNG.decode(sig + ihdr() + chunk("IDAT", Zlib.compress([UInt8](repeating: 0, count: 1_000_000))) + iend)
        }
        // A damaged chunk fails its CRC.
        var damaged = sig + ihdr() + idat + iend
        damaged[sig.count + 8 + 13 - 1] ^= 1  // last IHDR byte
        #expect(throws: ImageError.checksumMismatch("IHDR")) { try PNG.decode(damaged) }
    }

    @Test func truncationsAndBitFlipsGiveErrorsNotTraps() {
        for f in PNGFixtures.all where f.interlaced {
            for n in 0..<f.bytes.count {
                #expect(throws: ImageError.self) { try PNG.decode(Array(f.bytes.prefix(n))) }
            }
            for i in stride(from: 8 * 8, to: f.bytes.count * 8, by: 5) {
                var bytes = f.bytes
                bytes[i / 8] ^= 1 << UInt8(i % 8)
                _ = try? PNG.decode(bytes)
            }
        }
        // Garbage after a valid signature, with and without a valid IHDR in front.
        var state: UInt64 = 1
        for round in 0..<2000 {
            var bytes = PNG.signature + (round % 2 == 0 ? ihdr(width: 3, height: 3, depth: 4, colorType: 3) : [])
            for _ in 0..<(round % 300) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            #expect(throws: ImageError.self) { try PNG.decode(bytes) }
        }
    }
}

@Suite struct PNGEncoderTests {
    @Test func crc32() {
        // Standard check value: CRC-32 of "123456789" is 0xCBF43926.
        #expect(PNG.crc32(Array("123456789".utf8)[...]) == 0xCBF4_3926)
        // The IEND chunk every PNG ends with: AE 42 60 82.
        #expect(PNG.crc32(Array("IEND".utf8)[...]) == 0xAE42_6082)
    }

    @Test func oneBitFileLayout() throws {
        var b = try Bitmap(width: 10, height: 2)
        b[x: 0, y: 0] = true
        b[x: 9, y: 1] = true
        let png = PNG.encode(b)
        #expect(Array(png.prefix(8)) == PNG.signature)
        // IHDR: length 13, 10 × 2, depth 1, grayscale, no interlace.
        #expect(Array(png[8..<33]) == [0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 10, 0, 0, 0, 2, 1, 0, 0, 0, 0]
            + Array(png[29..<33]))
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
        // Inflated IDAT: filter byte 0 and inverted bits (PNG gray: 1 = white).
        let idatLength = Int(PNG.be32(png, 33))
        let raw = try Zlib.decompress(Array(png[41..<(41 + idatLength)]), maxOutput: 100)
        #expect(raw == [0, 0x7F, 0xFF, 0, 0xFF, 0xBF])
        // Read back: black stays black.
        let gray = try PNG.decode(png).grayImage()
        #expect(gray[x: 0, y: 0] == 0 && gray[x: 1, y: 0] == 255 && gray[x: 9, y: 1] == 0)
        #expect(gray.thresholded() == b)
    }

    @Test func eightBitRoundTripUsesFilters() throws {
        // A gradient (Sub and Up filters win) and noise (None wins): round trip exactly.
        var pixels: [UInt8] = []
        var state: UInt32 = 3
        for y in 0..<40 {
            for x in 0..<50 {
                if y < 20 { pixels.append(UInt8((x * 5 + y * 3) & 0xFF)) } else {
                    state = state &* 1103515245 &+ 12345
                    pixels.append(UInt8(truncatingIfNeeded: state >> 16))
                }
            }
        }
        let image = try GrayImage(width: 50, height: 40, pixels: pixels)
        let png = PNG.encode(image)
        let decoded = try PNG.decode(png)
        #expect(decoded.bitDepth == 8 && decoded.colorType == .grayscale)
        #expect(decoded.grayImage() == image)
        // The filter bytes actually vary.
        let raw = try Zlib.decompress(Array(png[41..<(41 + Int(PNG.be32(png, 33)))]), maxOutput: 51 * 40)
        let filters = Set(stride(from: 0, to: raw.count, by: 51).map { raw[$0] })
        #expect(filters.count >= 2 && filters.contains(0))
    }
}

@Suite struct PBMTests {
    @Test func plainAndRaw() throws {
        let p1 = Array("P1\n# a comment\n10 2\n1000000001\n0 1 0 0 0 0 0 0 0 0\n".utf8)
        let b = try PBM.decode(p1)
        #expect(b.width == 10 && b.height == 2 && b.data == [0x80, 0x40, 0x40, 0x00])
        let p4 = PBM.encode(b)
        #expect(p4 == Array("P4\n10 2\n".utf8) + [0x80, 0x40, 0x40, 0x00])
        #expect(try PBM.decode(p4) == b)
        // Comment between the numbers, padding bits set in the file are dropped.
        #expect(try PBM.decode(Array("P4 10#c\n 1\n".utf8) + [0xFF, 0xFF]).data == [0xFF, 0xC0])
    }

    @Test func rejectsMalformed() {
        #expect(throws: ImageError.notThisFormat) { try PBM.decode(Array("P2\n1 1\n0\n".utf8)) }
        #expect(throws: ImageError.truncated) { try PBM.decode(Array("P".utf8)) }
        #expect(throws: ImageError.truncated) { try PBM.decode(Array("P1\n3 3\n0 1 0\n1".utf8)) }
        #expect(throws: ImageError.truncated) { try PBM.decode(Array("P4\n16 2\n".utf8) + [1, 2, 3]) }
        #expect(throws: ImageError.malformed("byte 50 in a P1 raster")) { try PBM.decode(Array("P1 2 1 0 2".utf8)) }
        #expect(throws: ImageError.malformed("expected a number")) { try PBM.decode(Array("P1 x 1".utf8)) }
        #expect(throws: ImageError.malformed("number too long")) { try PBM.decode(Array("P4 99999999999 1 ".utf8)) }
        #expect(throws: ImageError.invalidDimensions(width: 5000, height: 5000)) { try PBM.decode(Array("P4 5000 5000 ".utf8)) }
        #expect(throws: ImageError.invalidDimensions(width: 0, height: 1)) { try PBM.decode(Array("P1 0 1 ".utf8)) }
        for n in 0..<12 {
            #expect(throws: ImageError.self) { try PBM.decode(Array(Array("P4\n10 2\n".utf8).prefix(n))) }
        }
    }
}
