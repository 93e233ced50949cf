#if canImport(Glibc)
import Glibc
#endif
import ESCPOS
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// Against a real printer emulator (emupos, PyPI): `scripts/test` starts it with
/// `scripts/emupos-server` and sets `GIFTBRIDGE_TEST_EMUPOS` to its env file; skipped without.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["GIFTBRIDGE_TEST_EMUPOS"] != nil))
struct EmuposTests {
    let env: [String: String] = {
        let path = ProcessInfo.processInfo.environment["GIFTBRIDGE_TEST_EMUPOS"] ?? ""
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { values[kv[0]] = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }
        }
        return values
    }()

    /// The demo daemon printing to the emulator's TCP port; its socket.
    func startDaemon() throws -> (DaemonProcess, String) {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: [
            "--demo", "--state-dir", dir.file("s"), "--printer", "tcp://127.0.0.1:\(env["TCP_PORT"] ?? "0")",
        ], dir: dir, environment: ["GIFTBRIDGE_PRINTER_PROFILE": "epson-tm-t20iii"])
        try daemon.waitUntilReady()
        return (daemon, dir.file("s/api.sock"))
    }

    /// `curl` against the emulator's HTTP API (faults).
    func api(_ method: String, _ path: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-sf", "-X", method, (env["API_URL"] ?? "") + "/api/v1/devices/front/" + path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(method) \(path)")
    }

    /// Receipts the emulator has finished (each is complete once its .json exists).
    func receipts() -> [String] {
        let dir = env["RECEIPTS_DIR"] ?? ""
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { dir + "/" + $0.dropLast(5) }
    }

    func waitForReceipts(_ count: Int, timeout: TimeInterval = 20) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let r = receipts()
            if r.count >= count { return r }
            usleep(100_000)
        }
        throw TestFailure("emupos finished \(receipts().count) of \(count) receipts")
    }

    func zbar(_ png: String) throws -> [String] { try zbarReadings(png, raw: true) }

    @Test func receiptsPrintWithEuroQRAndBarcodeAndPaperOutLosesNothing() throws {
        let before = receipts().count
        let (daemon, socket) = try startDaemon()
        let events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        let client = UnixHTTPClient(socketPath: socket)

        // A balance slip with a QR code, through the template.
        let slip = #"{"template":"balance","data":{"maskedCardNumber":"603571******0000","balance":"€25.00","printedAt":"2026-11-21 10:00","qr":"https://example.com/gc/0000?b=25.00"}}"#
        #expect(try client.post("/v1/print", json: Array(slip.utf8)).status == 201)
        try events.next("print.done", timeout: 20)
        var done = try waitForReceipts(before + 1)
        let text = try String(contentsOfFile: done[before] + ".txt", encoding: .utf8)
        #expect(text.contains("€25.00"), "\(text)")
        #expect(try zbar(done[before] + ".png").contains("QR-Code:https://example.com/gc/0000?b=25.00") || zbar(done[before] + ".png").contains("https://example.com/gc/0000?b=25.00"))

        // CODE128 in raw bytes the POS made.
        var w = ESCPOSWriter(profile: .epsonTMT20III)
        w.initialize()
        try w.barcode128("GC-4821-7F3A")
        w.feed(lines: 2)
        w.cut()
        let raw = #"{"raw":"\#(Data(w.bytes).base64EncodedString())"}"#
        #expect(try client.post("/v1/print", json: Array(raw.utf8)).status == 201)
        try events.next("print.done", timeout: 20)
        done = try waitForReceipts(before + 2)
        #expect(try zbar(done[before + 1] + ".png").contains { $0.hasSuffix("GC-4821-7F3A") })

        // Paper out in the middle of a queue: held, nothing sent; paper in: both print.
        try api("PUT", "faults/paper-out")
        for n in 1...2 {
            let body = #"{"template":"transaction","data":{"kind":"redeem","transactionId":"\#(n)","maskedCardNumber":"603571******0000","amount":"€1.00","newBalance":"€2\#(n).00","printedAt":"now"}}"#
            #expect(try client.post("/v1/print", json: Array(body.utf8)).status == 201)
        }
        #expect(json(try events.next("print.held", timeout: 20).data)["problem"] as? String == "paper_out")
        usleep(2_500_000)
        #expect(receipts().count == before + 2)
        try api("DELETE", "faults/paper-out")
        try events.next("print.done", timeout: 20)
        try events.next("print.done", timeout: 20)
        done = try waitForReceipts(before + 4)
        let texts = try done[(before + 2)...].map { try String(contentsOfFile: $0 + ".txt", encoding: .utf8) }
        #expect(texts.filter { $0.contains("Gift card payment") }.count == 2, "\(texts)")
        #expect(texts.contains { $0.contains("€21.00") } && texts.contains { $0.contains("€22.00") })
        #expect(try daemon.terminate().status == 0)
    }

    /// emupos emulates a drawer on the connector: `ESC p` opens it (DLE EOT 1 answers pin 3
    /// high), its API closes it.
    @Test func theCashDrawerOpensAndClosesOnTheEmulator() throws {
        let (daemon, socket) = try startDaemon()
        var events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        let client = UnixHTTPClient(socketPath: socket)
        let opened = try client.post("/v1/drawer/open", json: [])
        #expect(opened.status == 200, "\(opened.text)")
        #expect(json(try events.next("drawer.opened", timeout: 10).data)["state"] as? String == "open")
        try api("POST", "drawer/close")
        #expect(json(try events.next("drawer.closed", timeout: 10).data)["state"] as? String == "closed")
        let printers = json(try client.get("/v1/printers").text)["printers"] as? [[String: Any]]
        #expect((printers?.first?["drawer"] as? [String: Any])?["state"] as? String == "closed")
        #expect(try daemon.terminate().status == 0)
    }

    /// `shop.locale: de-DE`: a sale booked through the API prints in German through the
    /// emulator, the built-in balance slip and a shop template (docs/examples/receipt-every-element.receipt,
    /// `receipts.templates.transaction`), and the emulator's text and image read back.
    @Test func aGermanReceiptPrintsAndReadsBack() throws {
        let before = receipts().count
        let dir = try TemporaryDirectory()
        let socket = dir.file("s/api.sock")
        try """
            shop:
              name: Bäckerei Müller
              header: [Große Straße 5]
              footer: [Schönen Tag!]
              locale: de-DE
            printer:
              profile: epson-tm-t20iii
            receipts:
              templates:
                transaction: \(everyElementTemplate)

            """.write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: [
            "--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s"), "--printer", "tcp://127.0.0.1:\(env["TCP_PORT"] ?? "0")",
        ], dir: dir)
        try daemon.waitUntilReady()
        let events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        let client = UnixHTTPClient(socketPath: socket)
        func post(_ path: String, _ body: String) throws -> [String: Any] {
            let r = try client.post(path, json: Array(body.utf8))
            #expect(r.status < 300, "\(path): \(r.status) \(r.text)")
            return json(r.text)
        }
        _ = try post("/v1/cards", #"{"number":"7777000011114444","status":"inactive"}"#)
        let sold = try post("/v1/gift/sell", #"{"cardInfo":{"printedCardNumber":"7777000011114444"},"amount":1250}"#)
        let id = try #require(sold["transactionId"] as? Int)

        // The sale's receipt, from the ledger, in the shop's template.
        _ = try post("/v1/print", #"{"template":"transaction","transactionId":\#(id)}"#)
        try events.next("print.done", timeout: 20)
        // The balance slip, in the built-in template.
        _ = try post("/v1/print", #"{"template":"balance","cardInfo":{"printedCardNumber":"7777000011114444"}}"#)
        try events.next("print.done", timeout: 20)
        let done = try waitForReceipts(before + 2)
        let sale = try String(contentsOfFile: done[before] + ".txt", encoding: .utf8)
        let slip = try String(contentsOfFile: done[before + 1] + ".txt", encoding: .utf8)
        func euros(_ text: String) -> Bool { text.contains("12,50\u{00A0}€") || text.contains("12,50 €") }
        for word in ["Bäckerei Müller", "Große Straße 5", "Geschenkkarte verkauft", "KARTE", "777700******4444", "Buchung", "Betrag", "Guthaben", "Schönen Tag!"] {
            #expect(sale.contains(word), "\(word): \(sale)")
        }
        #expect(euros(sale), "\(sale)")
        #expect(try zbar(done[before] + ".png").contains { $0.hasSuffix("GC-\(id)") })
        for word in ["Guthaben Geschenkkarte", "Karte", "Datum", "Guthaben", "Schönen Tag!"] {
            #expect(slip.contains(word), "\(word): \(slip)")
        }
        #expect(euros(slip), "\(slip)")
        #expect(try daemon.terminate().status == 0)
    }
}
