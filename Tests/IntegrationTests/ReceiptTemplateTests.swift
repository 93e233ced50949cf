import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The repository's docs/examples/receipt-every-element.receipt.
let everyElementTemplate = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("docs/examples/receipt-every-element.receipt").path

/// zbarimg's readings ("TYPE:data", or the data alone with `raw`) of a PNG file; empty without zbarimg.
func zbarReadings(_ png: String, raw: Bool = false) throws -> [String] {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg") else { return [] }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
    p.arguments = raw ? ["-q", "--raw", png] : ["-q", png]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// Shop receipt templates (`receipts.templates.<kind>`, `giftbridge receipt render|preview
/// --template-file`) through the real binaries.
@Suite(.serialized) struct ShopReceiptTemplateTests {
    @Test func aBrokenShopTemplateFailsTheStartNamingItsFileAndLine() throws {
        let dir = try TemporaryDirectory()
        try "# our balance slip\ncenter bold: {{shop.name}}\nrow: {{labels.balance}} | {{balance}}\nleft: {{shop.nmae}}\ncut\n"
            .write(toFile: dir.file("balance.receipt"), atomically: true, encoding: .utf8)
        try "receipts:\n  templates:\n    balance: \(dir.file("balance.receipt"))\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let typo = try DaemonProcess.runToExit(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        #expect(typo.status == 78)
        #expect(typo.log.contains("receipts.templates.balance"), "\(typo.log)")
        #expect(typo.log.contains("\(dir.file("balance.receipt")) line 4, column 7: unknown placeholder 'shop.nmae'"), "\(typo.log)")

        // Fine as markup, but the shop's name cannot be a CODE128 barcode: found at start too.
        try "code128: {{shop.name}}\n".write(toFile: dir.file("hold.receipt"), atomically: true, encoding: .utf8)
        try "shop:\n  name: Bäckerei\nreceipts:\n  templates:\n    hold: \(dir.file("hold.receipt"))\n".write(toFile: dir.file("h.yaml"), atomically: true, encoding: .utf8)
        let barcode = try DaemonProcess.runToExit(arguments: ["--demo", "--config", dir.file("h.yaml"), "--state-dir", dir.file("s")], dir: dir)
        #expect(barcode.status == 78)
        #expect(barcode.log.contains("receipts.templates.hold"), "\(barcode.log)")
        #expect(barcode.log.contains("line 1, column 1: code128: 'Bäckerei' has a character CODE128 cannot hold"), "\(barcode.log)")

        try "receipts:\n  templates:\n    transaction: \(dir.file("none.receipt"))\n".write(toFile: dir.file("m.yaml"), atomically: true, encoding: .utf8)
        let missing = try DaemonProcess.runToExit(arguments: ["--demo", "--config", dir.file("m.yaml"), "--state-dir", dir.file("s")], dir: dir)
        #expect(missing.status == 78)
        #expect(missing.log.contains("receipts.templates.transaction") && missing.log.contains("does not exist"), "\(missing.log)")
    }

    @Test func theDaemonPrintsWithTheShopsTemplates() throws {
        let dir = try TemporaryDirectory()
        try "center bold: {{shop.name}} says\nleft: {{maskedCardNumber}}\nrow: {{labels.balance}} | {{balance}}\n{{#cardStatus}}\nleft: status {{cardStatus}}\n{{/cardStatus}}\ncode128: {{shop.terminal}}\ncut\n"
            .write(toFile: dir.file("balance.receipt"), atomically: true, encoding: .utf8)
        try "shop:\n  name: Corner Shop\n  terminal: T-7\nreceipts:\n  templates:\n    balance: \(dir.file("balance.receipt"))\n"
            .write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let printer = try FakePrinter()
        defer { printer.close() }
        let daemon = try DaemonProcess(arguments: [
            "--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s"), "--printer", "tcp://127.0.0.1:\(printer.port)",
        ], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        // A swipe's balance receipt and one through POST /v1/print: both the shop's layout.
        #expect(try client.post("/v1/simulate/swipe", json: Array(#"{"text":";6035710000000000=49121200?"}"#.utf8)).status == 202)
        let slip = #"{"template":"balance","data":{"maskedCardNumber":"6035710000000028","balance":"€9.00","cardStatus":"blocked","printedAt":"now"}}"#
        #expect(try client.post("/v1/print", json: Array(slip.utf8)).status == 201)
        let jobs = try printer.waitForPrinted(2, timeout: 15)
        for job in jobs {
            #expect(job.contains(bytes: Array("Corner Shop says\n".utf8)))
            #expect(job.contains(bytes: [0x1D, 0x6B, 0x49]))  // the CODE128 of the terminal
            #expect(!job.contains(bytes: Array("Gift card balance".utf8)))  // not the built-in layout
        }
        #expect(jobs[1].contains(bytes: Array("status blocked\n".utf8)))
        #expect(jobs[1].contains(bytes: Array("603571******0028".utf8)))  // the POS's full number, masked
        #expect(!jobs[1].contains(bytes: Array("6035710000000028".utf8)))
        #expect(try daemon.terminate().status == 0)
    }

    @Test func theCommandLineRendersAndPreviewsAShopTemplate() throws {
        let dir = try TemporaryDirectory()
        // No --data: the example data; no --template: the kind whose names the file uses.
        let render = try runCLI(["receipt", "render", "--template-file", everyElementTemplate, "--locale", "de-DE", "--profile", "epson-tm-t88v", "--out", dir.file("r.bin")], socket: "/nonexistent")
        #expect(render.status == 0, "\(render.stderr)")
        let bytes = try #require(FileManager.default.contents(atPath: dir.file("r.bin")))
        #expect(Array(bytes).contains(bytes: Array("Trinkgeld".utf8)))
        #expect(Array(bytes).contains(bytes: [0x1D, 0x6B, 0x49]))
        #expect(Array(bytes).suffix(4) == [0x1D, 0x56, 0x42, 0x03])

        try #"{"kind":"reload","transactionId":"88","maskedCardNumber":"603571******0000","amount":"€50.00","newBalance":"€75.00","printedAt":"2026-11-21 10:00","qr":"https://example.com/r/88"}"#
            .write(toFile: dir.file("d.json"), atomically: true, encoding: .utf8)
        let preview = try runCLI(["receipt", "preview", "--template-file", everyElementTemplate, "--data", dir.file("d.json"), "--shop-name", "Café", "--png", dir.file("r.png")], socket: "/nonexistent")
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("576×"))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg") {
            #expect(Set(try zbarReadings(dir.file("r.png"))) == ["QR-Code:https://example.com/r/88", "CODE-128:GC-88"])
        }

        // The built-in templates print, to start from; one read back as a file renders the same.
        let builtIn = try runCLI(["receipt", "template", "--kind", "hold"], socket: "/nonexistent")
        #expect(builtIn.status == 0)
        try builtIn.stdout.write(toFile: dir.file("hold.receipt"), atomically: true, encoding: .utf8)
        let a = try runCLI(["receipt", "render", "--template", "hold", "--out", dir.file("a.bin")], socket: "/nonexistent")
        let b = try runCLI(["receipt", "render", "--template-file", dir.file("hold.receipt"), "--out", dir.file("b.bin")], socket: "/nonexistent")
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(FileManager.default.contents(atPath: dir.file("a.bin")) == FileManager.default.contents(atPath: dir.file("b.bin")))

        // A broken template: exit 65, the file, line and column named, nothing written.
        try "center: ok\nrow: {{labels.amount}} {{amount}}\n".write(toFile: dir.file("bad.receipt"), atomically: true, encoding: .utf8)
        let bad = try runCLI(["receipt", "render", "--template", "transaction", "--template-file", dir.file("bad.receipt"), "--out", dir.file("x.bin")], socket: "/nonexistent")
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("\(dir.file("bad.receipt")) line 2, column 6: row needs a left and a right part"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.bin")))
    }
}
