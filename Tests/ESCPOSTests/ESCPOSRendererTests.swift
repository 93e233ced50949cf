import Testing

@testable import ESCPOS
import TestSupport

/// Dark dots of a bitmap in a band of rows: count and horizontal extent.
struct Ink: Equatable {
    var count = 0
    var minX = Int.max
    var maxX = Int.min
    var minY = Int.max
    var maxY = Int.min

    init(_ b: Bitmap, rows: Range<Int>? = nil, columns: Range<Int>? = nil) {
        let rows = rows ?? 0..<b.height
        let columns = columns ?? 0..<b.width
        for y in rows where y < b.height {
            for x in columns where b[x: x, y: y] {
                count += 1
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
    }
}

func render(_ bytes: [UInt8], _ profile: PrinterProfile = .generic80mm) throws -> ESCPOSRenderer.Rendering {
    try ESCPOSRenderer(profile: profile).render(bytes)
}

@Suite struct ESCPOSRendererTextTests {
    @Test(arguments: [(PrinterProfile.generic80mm, 576), (.generic58mm, 384), (.epsonTMT88V, 512), (.starESCPOS, 576)])
    func widthIsThePapers(profile: PrinterProfile, dots: Int) throws {
        let receipt = BalanceReceipt(
            shopName: "Gift Shop", headerLines: ["Main Street 1"], footerLines: ["Thank you"],
            maskedCardNumber: "**** 4821", balance: "€40.00", cardStatus: "active",
            printedAt: "2026-08-20 14:03", terminal: "T1")
        let r = try render(receipt.encode(profile: profile), profile)
        #expect(r.bitmap.width == dots)
        // Title, 2 header lines, blank, "Gift card balance", rule, 4 rows, rule, balance,
        // blank, footer, 3 feeds, cut: well over 15 lines of 30 dots.
        #expect(r.bitmap.height > 15 * 30)
        #expect(r.notes.contains { if case .cut(partial: false, _) = $0.kind { return true } else { return false } })
        #expect(!r.clipped)
        // Font A fills the line: the dashed rule spans (almost) the whole width.
        let ruleRow = Ink(r.bitmap)
        #expect(ruleRow.minX < 12 && ruleRow.maxX > dots - 13)
    }

    @Test func fontAColumns() {
        // 42 columns on 512 dots, 48 on 576, as the profiles say.
        #expect(ReceiptFont.a.width * 42 <= 512 && ReceiptFont.a.width * 48 == 576)
        #expect(ReceiptFont.a.height == 24 && ReceiptFont.b.width == 9 && ReceiptFont.b.height == 17)
    }

    @Test func alignmentPlacesText() throws {
        let profile = PrinterProfile.generic80mm
        for (alignment, expected) in [(ESCPOSWriter.Alignment.left, 0..<60), (.center, 258..<318), (.right, 516..<576)] {
            var w = ESCPOSWriter(profile: profile)
            w.initialize()
            w.align(alignment)
            w.line("HELLO")
            let b = try render(w.bytes, profile).bitmap
            let ink = Ink(b)
            #expect(ink.count > 0)
            #expect(expected.contains(ink.minX) && expected.contains(ink.maxX), "\(alignment): \(ink.minX)…\(ink.maxX)")
            // The right-aligned line: nothing in the left 500 dots.
            if alignment == .right { #expect(Ink(b, columns: 0..<500).count == 0) }
        }
    }

    @Test func boldIsDarker() throws {
        var plain = ESCPOSWriter(profile: .generic80mm)
        plain.line("Balance 40.00")
        var bold = ESCPOSWriter(profile: .generic80mm)
        bold.bold(true)
        bold.line("Balance 40.00")
        let a = Ink(try render(plain.bytes).bitmap).count, b = Ink(try render(bold.bytes).bitmap).count
        #expect(b > a + a / 4, "plain \(a), bold \(b)")
    }

    @Test func doubleSizeScalesTheGlyphs() throws {
        var normal = ESCPOSWriter(profile: .generic80mm)
        normal.line("Gift 40")
        let n = try render(normal.bytes).bitmap
        for (sw, sh) in [(2, 1), (1, 2), (2, 2), (3, 4)] {
            var big = ESCPOSWriter(profile: .generic80mm)
            big.size(width: sw, height: sh)
            big.line("Gift 40")
            let b = try render(big.bytes).bitmap
            let ni = Ink(n), bi = Ink(b)
            #expect(bi.maxX - bi.minX + 1 == sw * (ni.maxX - ni.minX + 1))
            // Dot for dot: the big line is the normal one scaled (both start at row 0).
            for y in 0..<(24 * sh) {
                for x in 0..<(7 * 12 * sw) where b[x: x, y: y] != n[x: x / sw, y: y / sh] {
                    Issue.record("size \(sw)×\(sh): dot (\(x), \(y)) differs")
                    return
                }
            }
            // Line feed: the taller of the line spacing and the characters.
            #expect(b.height == max(30, 24 * sh))
        }
    }

    @Test func escBangMatchesTheSeparateCommands() throws {
        // ESC ! 0x38: emphasized, double height, double width = ESC E 1 + GS ! 0x11.
        let a = try render([0x1B, 0x21, 0x38] + Array("Ab1".utf8) + [0x0A]).bitmap
        let b = try render([0x1B, 0x45, 0x01, 0x1D, 0x21, 0x11] + Array("Ab1".utf8) + [0x0A]).bitmap
        #expect(a == b)
        // ESC ! 0x01: font B; 0x80: underline.
        let fontB = try render([0x1B, 0x21, 0x81, 0x41, 0x0A]).bitmap
        #expect(Ink(fontB).maxX < 9)
        #expect(Ink(fontB, rows: 16..<17).count == 9)
    }

    @Test func tabsAndPositions() throws {
        // HT to column 8 (96 dots), ESC D 3 0 sets one stop at column 3, ESC $ 300 0.
        let t = try render([0x41, 0x09, 0x42, 0x0A, 0x1B, 0x44, 3, 0, 0x09, 0x43, 0x0A, 0x1B, 0x24, 44, 1, 0x44, 0x0A]).bitmap
        #expect(Ink(t, rows: 0..<24, columns: 12..<96).count == 0)
        #expect(Ink(t, rows: 0..<24, columns: 96..<108).count > 0)
        #expect(Ink(t, rows: 30..<54).minX >= 36 && Ink(t, rows: 30..<54).maxX < 48)
        #expect(Ink(t, rows: 60..<84).minX >= 300 && Ink(t, rows: 60..<84).maxX < 312)
    }

    @Test func underlineAndReverse() throws {
        var w = ESCPOSWriter(profile: .generic80mm)
        w.underline(2)
        w.line("ab")
        let b = try render(w.bytes).bitmap
        // Two full rows under the two cells.
        #expect(Ink(b, rows: 22..<24).count == 2 * 24)
        var r = ESCPOSWriter(profile: .generic80mm)
        r.raw([0x1D, 0x42, 0x01])
        r.line("ab")
        let rb = try render(r.bytes).bitmap
        #expect(Ink(rb, rows: 0..<24, columns: 0..<24).count > 24 * 24 / 2)
        #expect(Ink(rb, columns: 24..<576).count == 0)
    }

    @Test func fontBAndWrapping() throws {
        var w = ESCPOSWriter(profile: .generic58mm)
        w.raw([0x1B, 0x4D, 0x01])
        w.line(String(repeating: "x", count: 42))  // 384 / 9 = 42 columns in font B
        w.raw([0x1B, 0x4D, 0x00])
        w.line(String(repeating: "x", count: 33))  // 32 columns in font A: one wraps
        let b = try render(w.bytes, .generic58mm).bitmap
        // Line 1 (font B, 17 high, 30 spacing), line 2 and the wrapped line 3.
        #expect(b.height == 90)
        #expect(Ink(b, rows: 0..<30).maxX >= 41 * 9)
        #expect(Ink(b, rows: 60..<90).maxX < 12)
    }

    /// "€" as CP858 byte D5 after `ESC t 19`: the glyph of U+20AC.
    @Test func euroThroughCP858() throws {
        let euro = ReceiptFont.a.bitmap(for: "€")
        #expect(Ink(euro).count > 20)
        #expect(ReceiptFont.hasGlyph("€"))
        let cases: [(PrinterProfile, [UInt8])] = [
            (.epsonTMT88V, [0x1B, 0x40, 0x1B, 0x74, 19, 0xD5, 0x0A]),
            (.epsonTMT88V, [0x1B, 0x74, 16, 0x80, 0x0A]),   // WPC1252
            (.epsonTMT88V, [0x1B, 0x74, 40, 0xA4, 0x0A]),   // ISO 8859-15
            (.starESCPOS, [0x1B, 0x1D, 0x74, 4, 0xD5, 0x0A]),  // Star: ESC GS t, slot 4
        ]
        for (profile, bytes) in cases {
            let b = try render(bytes, profile).bitmap
            for y in 0..<24 {
                for x in 0..<12 where b[x: x, y: y] != euro[x: x, y: y] {
                    Issue.record("\(profile.name) \(bytes): dot (\(x), \(y)) differs")
                }
            }
            #expect(Ink(b, columns: 12..<b.width).count == 0)
        }
        // The writer's own choice of page for "€" lands on the same glyph.
        var w = ESCPOSWriter(profile: .epsonTMT88V)
        w.initialize()
        w.line("€")
        #expect(w.bytes == [0x1B, 0x40, 0x1B, 0x74, 19, 0xD5, 0x0A])
        // Slot 0 (CP437) has no "€": D5 there is "╒".
        let other = try render([0xD5, 0x0A], .epsonTMT88V).bitmap
        #expect((0..<24).contains { y in (0..<12).contains { x in other[x: x, y: y] != euro[x: x, y: y] } })
    }

    @Test func everyCodePageCharacterHasAGlyph() {
        for page in CodePage.allCases {
            for byte in UInt8(0x20)...0xFF where byte != 0x7F {
                guard let s = page.scalar(for: byte), s.value >= 0x20, !(0x7F...0x9F).contains(s.value) else { continue }
                #expect(ReceiptFont.hasGlyph(s), "\(page) \(byte): U+\(String(s.value, radix: 16))")
            }
        }
    }

    @Test func unknownSlotAndCommandsAreNoted() throws {
        // ESC t 99 (no such slot), then a byte ≥ 0x80: U+FFFD. ESC 0x01 is unknown: skipped.
        let r = try render([0x1B, 0x74, 99, 0xE9, 0x1B, 0x01, 0x41, 0x0A])
        #expect(r.notes.map(\.kind) == [.unknownCodePage(slot: 99), .unknownCommand([0x1B, 0x01])])
        let replacement = ReceiptFont.a.bitmap(for: "\u{FFFD}"), a = ReceiptFont.a.bitmap(for: "A")
        for y in 0..<24 {
            for x in 0..<12 {
                #expect(r.bitmap[x: x, y: y] == replacement[x: x, y: y])
                #expect(r.bitmap[x: x + 12, y: y] == a[x: x, y: y])
            }
        }
    }

    @Test func feedsCutAndDrawer() throws {
        var w = ESCPOSWriter(profile: .generic80mm)
        w.line("a")          // 30
        w.feed(lines: 2)     // 60
        w.raw([0x1B, 0x4A, 50])  // 50 dots
        w.kickDrawer()
        w.cut(.partial, feedDots: 10)
        let r = try render(w.bytes)
        #expect(r.notes.map(\.kind) == [.drawerKick(pin: 2), .cut(partial: true, y: 156)])
        #expect(Ink(r.bitmap, rows: 156..<158).count > 100)
        #expect(r.bitmap.height == 164)
        #expect(Ink(r.bitmap, rows: 30..<156).count == 0)
    }

    @Test func heightIsCapped() throws {
        let r = try ESCPOSRenderer(profile: .generic58mm, maxHeight: 1000).render(
            [UInt8](repeating: 0x0A, count: 100) + Array("x\n".utf8))
        #expect(r.bitmap.height == 1000)
        #expect(r.clipped)
        let huge = try render([UInt8](repeating: 0x0A, count: 1000))
        #expect(huge.bitmap.height == ESCPOSRenderer.defaultMaxHeight)
    }

    @Test func pngIsABitmapPNG() throws {
        var w = ESCPOSWriter(profile: .generic58mm)
        w.line("PNG")
        let png = try ESCPOSRenderer.renderPNG(w.bytes, profile: .generic58mm)
        let decoded = try PNG.decode(png)
        #expect(decoded.width == 384 && decoded.height == 30)
        #expect(decoded.grayImage().thresholded() == (try render(w.bytes, .generic58mm).bitmap))
        var bad = PrinterProfile.generic58mm
        bad.dotsWidth = 0
        #expect(throws: ImageError.self) { try ESCPOSRenderer.renderPNG(w.bytes, profile: bad) }
    }
}

@Suite struct ESCPOSRendererImageTests {
    func randomBitmap(width: Int, height: Int, seed: UInt64) throws -> Bitmap {
        var g = SeededGenerator(seed: seed)
        var b = try Bitmap(width: width, height: height)
        for y in 0..<height { for x in 0..<width where Bool.random(using: &g) { b[x: x, y: y] = true } }
        return b
    }

    @Test(arguments: [ESCPOSWriter.Alignment.left, .center, .right])
    func rasterRoundTrip(alignment: ESCPOSWriter.Alignment) throws {
        let image = try randomBitmap(width: 101, height: 300, seed: 7)
        var w = ESCPOSWriter(profile: .generic80mm)
        w.line("top")
        w.image(image, align: alignment, bandHeight: 64)  // five bands
        w.line("bottom")
        let b = try render(w.bytes).bitmap
        #expect(b.height == 30 + 300 + 30)
        let x0 = alignment == .left ? 0 : alignment == .center ? (576 - 104) / 2 : 576 - 104
        for y in 0..<300 {
            for x in 0..<101 where b[x: x0 + x, y: 30 + y] != image[x: x, y: y] {
                Issue.record("dot (\(x), \(y)) differs")
                return
            }
        }
        // Nothing else in the image's rows.
        #expect(Ink(b, rows: 30..<330).count == Ink(image).count)
    }

    @Test func rasterScaling() throws {
        let image = try randomBitmap(width: 16, height: 5, seed: 3)
        let body = [UInt8](image.rasterCommands().dropFirst(8))
        for m: UInt8 in [0, 1, 2, 3, 0x33] {
            let sx = Int(m & 1) + 1, sy = Int((m >> 1) & 1) + 1
            let b = try render([0x1D, 0x76, 0x30, m, 2, 0, 5, 0] + body).bitmap
            #expect(b.height == 5 * sy)
            for y in 0..<(5 * sy) { for x in 0..<(16 * sx) { #expect(b[x: x, y: y] == image[x: x / sx, y: y / sy]) } }
        }
    }

    @Test func columnImageAndGraphics() throws {
        // ESC * 33 (24-dot double density): 2 columns, first all black, second empty.
        let b = try render([0x1B, 0x2A, 33, 2, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x0A]).bitmap
        #expect(Ink(b) == Ink(b, rows: 0..<24, columns: 0..<1))
        #expect(Ink(b).count == 24)
        // GS ( L fn 112 store (8×2, monochrome) then fn 50 print.
        let store: [UInt8] = [0x30, 0x70, 0x30, 1, 1, 0x31, 8, 0, 2, 0, 0xF0, 0x0F]
        let g = try render([0x1D, 0x28, 0x4C, UInt8(store.count), 0] + store + [0x1D, 0x28, 0x4C, 2, 0, 0x30, 0x32]).bitmap
        #expect(g.height == 2)
        #expect(Ink(g, rows: 0..<1) == Ink(g, rows: 0..<1, columns: 0..<4) && Ink(g, rows: 0..<1).count == 4)
        #expect(Ink(g, rows: 1..<2).minX == 4 && Ink(g, rows: 1..<2).count == 4)
    }
}

@Suite struct ESCPOSRendererRobustnessTests {
    /// Random bytes, and random bytes rich in command introducers, never trap.
    @Test func randomBytes() throws {
        var g = SeededGenerator(seed: 20260820)
        let alphabet: [UInt8] = [0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x09, 0x28, 0x6B, 0x76, 0x30, 0x4C, 0x31, 0x51, 0x50, 0x00, 0xFF, 0x02, 0x21]
        for round in 0..<300 {
            let count = Int.random(in: 0..<1500, using: &g)
            var bytes: [UInt8] = []
            for _ in 0..<count {
                bytes.append(round % 2 == 0 ? UInt8.random(in: 0...255, using: &g) : alphabet.randomElement(using: &g)!)
            }
            let r = try ESCPOSRenderer(profile: round % 3 == 0 ? .generic58mm : .generic80mm, maxHeight: 4000).render(bytes)
            #expect(r.bitmap.height >= 1 && r.bitmap.height <= 4000)
        }
    }

    /// Every prefix of a receipt with every command kind: cut-off commands are noted, not fatal.
    @Test func truncatedCommands() throws {
        var w = ESCPOSWriter(profile: .generic80mm)
        w.initialize()
        w.selectCodePage(.cp858)
        w.text("€ ")
        w.bold(true); w.underline(1); w.size(width: 2, height: 2); w.align(.center)
        w.line("Title")
        try w.qr("https://example.com/gc/4821")
        try w.barcode128("GC-4821")
        w.image(try Bitmap(width: 20, height: 3), align: .left)
        w.raw([0x1B, 0x2A, 33, 2, 0, 1, 2, 3, 4, 5, 6])
        w.raw([0x1D, 0x28, 0x4C, 12, 0, 0x30, 0x70, 0x30, 1, 1, 0x31, 8, 0, 2, 0, 0xF0, 0x0F])
        w.raw([0x1D, 0x6B, 0x02] + Array("400638133393".utf8) + [0])
        w.raw([0x1B, 0x44, 4, 8, 0, 0x1B, 0x26, 3, 0x41, 0x42, 1, 1, 2, 3, 1, 4, 5, 6])
        w.raw([0x10, 0x14, 1, 0, 5, 0x10, 0x04, 1, 0x1C, 0x71, 1, 1, 0, 1, 0] + [UInt8](repeating: 0, count: 8))
        w.kickDrawer()
        w.cut()
        let bytes = w.bytes
        let full = try render(bytes)
        #expect(!full.notes.contains { if case .truncated = $0.kind { return true } else { return false } })
        var notedTruncation = 0
        for n in 0..<bytes.count {
            let r = try render(Array(bytes[..<n]))
            if r.notes.contains(where: { if case .truncated = $0.kind { return true } else { return false } }) { notedTruncation += 1 }
        }
        #expect(notedTruncation > bytes.count / 2)
    }

    /// Lengths promising far more data than there is: no huge allocation, no trap.
    @Test func lyingLengths() throws {
        let cases: [[UInt8]] = [
            [0x1D, 0x76, 0x30, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xAA, 0x55],
            [0x1D, 0x38, 0x4C, 0xFF, 0xFF, 0xFF, 0xFF, 0x30, 0x70],
            [0x1D, 0x28, 0x4C, 0x0C, 0x00, 0x30, 0x70, 0x30, 1, 1, 0x31, 0xFF, 0xFF, 0xFF, 0xFF, 0x1D, 0x28, 0x4C, 2, 0, 0x30, 0x32],
            [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x50, 0x30, 0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30],
            [0x1D, 0x6B, 0x49, 0xFF, 0x7B],
            [0x1D, 0x6B, 0x49, 0x02, 0x7B, 0x43, 0x1D, 0x6B, 0x04],
            [0x1B, 0x2A, 0x21, 0xFF, 0xFF, 0x01],
            [0x1C, 0x71, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            [0x1D, 0x2A, 0xFF, 0xFF],
            [0x1B, 0x26, 0x03, 0x20, 0x7E, 0xFF],
            [0x1B, 0x5C, 0x00, 0x80, 0x41],
            [0x1B, 0x24, 0xFF, 0xFF, 0x41],
            [0x1D, 0x4C, 0xFF, 0xFF, 0x41, 0x0A, 0x1D, 0x57, 0x00, 0x00, 0x41],
            [0x1B, 0x20, 0xFF, 0x1D, 0x21, 0x77, 0x41, 0x42, 0x09, 0x43],
        ]
        for bytes in cases {
            let r = try render(bytes)
            #expect(r.bitmap.height < 2000, "\(bytes)")
        }
    }
}
