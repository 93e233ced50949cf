import Foundation
import Testing

@testable import ESCPOS

/// Receipts rendered to PNG by ``ESCPOSRenderer`` and read back by zbar: the QR Code and the
/// barcodes in the preview are the ones the bytes ask for.
@Suite(.enabled(if: ExternalTools.zbarimg != nil, "zbarimg (Debian zbar-tools) is not installed"))
struct ESCPOSRendererDecodeTests {
    /// zbarimg's readings ("TYPE:data" lines) of a PNG.
    func zbar(_ png: [UInt8]) throws -> [String] {
        let path = ExternalTools.temporaryPath(".png")
        try Data(png).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (_, out) = try ExternalTools.run(try #require(ExternalTools.zbarimg), ["-q", path])
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Text above and below, so the symbol sits inside a real receipt.
    func receipt(_ profile: PrinterProfile, _ body: (inout ESCPOSWriter) throws -> Void) rethrows -> [UInt8] {
        var w = ESCPOSWriter(profile: profile)
        w.initialize()
        w.align(.center)
        w.line("Gift Shop")
        w.feed(lines: 2)
        try body(&w)
        w.feed(lines: 2)
        w.line("Thank you")
        w.cut()
        return w.bytes
    }

    @Test(arguments: [(PrinterProfile.generic80mm, 6, QRCode.ErrorCorrection.medium), (.generic58mm, 4, .low), (.epsonTMT88V, 3, .high)])
    func nativeQR(profile: PrinterProfile, size: Int, level: QRCode.ErrorCorrection) throws {
        #expect(profile.nativeQR)
        let url = "https://example.com/gc/4821?b=40.00"
        let bytes = try receipt(profile) { try $0.qr(url, size: size, errorCorrection: level) }
        // The GS ( k functions 165, 167, 169, 180, 181 are in the stream.
        #expect(bytes.contains(0x51))
        let png = try ESCPOSRenderer.renderPNG(bytes, profile: profile)
        #expect(try zbar(png) == ["QR-Code:" + url])
    }

    @Test func rasterQRFallback() throws {
        var profile = PrinterProfile.generic80mm
        profile.nativeQR = false
        let bytes = try receipt(profile) { try $0.qr("giftbridge raster", size: 4) }
        #expect(try zbar(ESCPOSRenderer.renderPNG(bytes, profile: profile)) == ["QR-Code:giftbridge raster"])
    }

    @Test(arguments: ["GC-4821", "4821000012345678", "Gift card {balance}", "ab\u{1}c"])
    func code128(text: String) throws {
        let profile = PrinterProfile.generic80mm
        let bytes = try receipt(profile) { try $0.barcode128(text, height: 60, moduleWidth: 2) }
        let readings = try zbar(ESCPOSRenderer.renderPNG(bytes, profile: profile))
        #expect(readings == ["CODE-128:" + text])
    }

    @Test func code128SetsAsPythonEscposSendsThem() throws {
        // Research notes §3.8: `{B` only, HRI below, module 2.
        let bytes: [UInt8] = [0x1B, 0x61, 0x01, 0x1D, 0x68, 0x50, 0x1D, 0x77, 0x02, 0x1D, 0x66, 0x00, 0x1D, 0x48, 0x02,
                              0x1D, 0x6B, 0x49, 0x09, 0x7B, 0x42, 0x47, 0x43, 0x2D, 0x34, 0x38, 0x32, 0x31, 0x0A]
        let r = try ESCPOSRenderer(profile: .generic80mm).render([0x0A] + bytes + [0x0A, 0x0A])
        #expect(r.notes.isEmpty)
        #expect(try zbar(PNG.encode(r.bitmap)) == ["CODE-128:GC-4821"])
        // HRI below the bars: text rows right under them.
        let bars = Ink(r.bitmap, rows: 30..<110)
        #expect(Ink(r.bitmap, rows: 110..<134).count > 0 && bars.count > 0)
    }

    @Test(arguments: [
        (UInt8(67), "400638133393", "EAN-13:4006381333931"),
        (UInt8(2), "4006381333931", "EAN-13:4006381333931"),
        // zbar reports UPC-A as the EAN-13 it is (leading 0) unless told otherwise.
        (UInt8(65), "03600029145", "EAN-13:0036000291452"),
        (UInt8(68), "9638507", "EAN-8:96385074"),
        (UInt8(69), "GIFT-123", "CODE-39:GIFT-123"),
        (UInt8(4), "*AB 12$/+%.*", "CODE-39:AB 12$/+%."),
        (UInt8(70), "12345678", "I2/5:12345678"),
    ])
    func otherSymbologies(type: UInt8, data: String, expected: String) throws {
        var w = ESCPOSWriter(profile: .generic80mm)
        w.line()
        w.align(.center)
        w.raw([0x1D, 0x77, 0x02, 0x1D, 0x68, 0x50])
        if type < 65 {
            w.raw([0x1D, 0x6B, type] + Array(data.utf8) + [0])
        } else {
            w.raw([0x1D, 0x6B, type, UInt8(data.utf8.count)] + Array(data.utf8))
        }
        w.feed(lines: 2)
        let r = try ESCPOSRenderer(profile: .generic80mm).render(w.bytes)
        #expect(r.notes.isEmpty, "\(r.notes)")
        #expect(try zbar(PNG.encode(r.bitmap)) == [expected])
    }
}
