import Foundation
import Testing

@testable import ESCPOS

/// Encodes QR symbols, writes them as image files under /tmp with this module's own PNG and
/// PBM encoders, and has zbar's decoder read them back.
@Suite(.enabled(if: ExternalTools.zbarimg != nil, "zbarimg (Debian zbar-tools) is not installed"))
struct QRDecodeRoundTripTests {
    /// zbarimg's reading of an image file, without the trailing newline.
    func zbar(_ file: [UInt8], suffix: String) throws -> String {
        let path = ExternalTools.temporaryPath(suffix)
        try Data(file).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, out) = try ExternalTools.run(try #require(ExternalTools.zbarimg), ["--raw", "-q", path])
        #expect(status == 0, "zbarimg found no symbol in \(path)")
        var text = String(decoding: out, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    @Test(arguments: [
        ("https://example.com/gc/4821?b=40.00", QRCode.ErrorCorrection.low),
        ("HELLO WORLD", .medium),
        ("Gift card 4821, balance 40.00 EUR", .quartile),
        ("giftbridge", .high),
        (String(repeating: "0123456789ABCDEF", count: 40), .medium),   // 640 bytes: version 19
        (String(repeating: "receipt ", count: 180), .low),              // 1440 bytes: version 30
    ])
    func zbarReadsOurPNG(text: String, level: QRCode.ErrorCorrection) throws {
        let code = try QRCode(text, errorCorrection: level)
        let png = PNG.encode(try code.bitmap(moduleSize: 3))
        #expect(try zbar(png, suffix: ".png") == text, "version \(code.version), mask \(code.mask)")
    }

    @Test func everyMaskDecodes() throws {
        for mask in 0..<8 {
            let code = try QRCode("mask test", errorCorrection: .medium, minimumVersion: 7, mask: mask)
            #expect(try zbar(PBM.encode(try code.bitmap(moduleSize: 3)), suffix: ".pbm") == "mask test", "mask \(mask)")
        }
    }

    @Test func rasterFallbackOfTheWriterDecodes() throws {
        var profile = PrinterProfile.generic80mm
        profile.nativeQR = false
        var w = ESCPOSWriter(profile: profile)
        let url = "https://example.com/gc/4821?b=40.00"
        try w.qr(url)
        let bitmap = try #require(parseRaster(w.bytes[...]))
        #expect(try zbar(PNG.encode(bitmap), suffix: ".png") == url)
        // The same through a grayscale PNG and our decoder: still readable.
        let gray = try PNG.decode(PNG.encode(bitmap.grayImage)).grayImage()
        #expect(try zbar(PNG.encode(gray), suffix: ".png") == url)
    }
}

/// CODE128 symbols drawn from ``Code128/symbolValues`` and read back by zbar: proves the code-set
/// choice, the values, the check character and the bar patterns.
@Suite(.enabled(if: ExternalTools.zbarimg != nil, "zbarimg (Debian zbar-tools) is not installed"))
struct Code128DecodeRoundTripTests {
    @Test(arguments: ["GC-4821", "12345", "ab12345", "A1234z", "00123456", "Hello, World! {curly}", "X\tY\u{1}z", "7"])
    func zbarReadsTheSymbol(text: String) throws {
        let symbol = try Code128(text)
        let path = ExternalTools.temporaryPath(".png")
        try Data(PNG.encode(try symbol.bitmap(moduleWidth: 3, height: 60))).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, out) = try ExternalTools.run(try #require(ExternalTools.zbarimg), ["--raw", "-q", "-Sdisable", "-Scode128.enable", path])
        #expect(status == 0)
        #expect(out == Array(text.utf8) + [0x0A], "payload \(symbol.payload)")
    }
}
