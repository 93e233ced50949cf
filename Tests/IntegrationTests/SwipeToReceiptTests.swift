#if canImport(Glibc)
import Glibc
#endif
import CardReading
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The whole chain with real I/O at every step: the real `giftbridged` binary, a pseudo-terminal
/// as the serial reader, a TCP printer that answers status queries, the Unix socket API.
@Suite(.serialized) struct SwipeToReceiptTests {
    /// The demo daemon (its ledger seeded: card 6035710000000000 holds 25.00 EUR) with a
    /// pseudo-terminal as the serial reader `counter`, a TCP fake printer and an open event stream.
    struct Counter {
        let dir: TemporaryDirectory
        let pty: PseudoTerminal
        let printer: FakePrinter
        let socket: String
        let daemon: DaemonProcess
        let events: EventRecorder

        init(shop: String) throws {
            dir = try TemporaryDirectory()
            pty = try PseudoTerminal()
            printer = try FakePrinter()
            socket = dir.file("api.sock")
            try """
                api:
                  socket: \(socket)
                  simulate: false
                shop:
                \(shop)
                printer:
                  target: tcp://127.0.0.1:\(printer.port)
                  profile: epson-tm-t20iii
                readers:
                  counter:
                    path: \(pty.slavePath)
                    baud: 9600
                """.write(toFile: dir.file("config.yaml"), atomically: true, encoding: .utf8)
            daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("config.yaml"), "--state-dir", dir.file("state")], dir: dir)
            try daemon.waitUntilReady()
            events = EventRecorder(socket: socket, after: "0")
            try events.waitUntilOpen()
        }
    }

    @Test func aSwipeOnTheReaderReachesTheAPIAndThePrinter() throws {
        let counter = try Counter(shop: "  name: Café Zürich\n  terminal: T1")
        defer { counter.printer.close() }
        let (pty, printer, socket, daemon, events) = (counter.pty, counter.printer, counter.socket, counter.daemon, counter.events)
        let attached = try events.next("device.added")
        #expect(json(attached.data)["reader"] as? String == "counter")

        // A malformed swipe: a typed card.error, and the daemon keeps reading.
        try pty.write(";6035710000000000=4912\r")
        let error = try events.next("card.error")
        #expect(json(error.data)["reason"] as? String == "missing_end_sentinel")

        try pty.write(";6035710000000000=49121200?\r")
        let read = try events.next("card.read")
        let readData = json(read.data)
        #expect(readData["maskedCardNumber"] as? String == "603571******0000")
        #expect(readData["reader"] as? String == "counter")
        #expect(readData["tracks"] as? [Int] == [2])
        let balance = try events.next("gift.balance")
        let balanceData = json(balance.data)
        #expect(balanceData["balance"] as? String == "25.00")
        #expect(balanceData["balanceMinor"] as? Int == 2500)
        #expect(balanceData["currency"] as? String == "EUR")
        #expect(balanceData["readId"] as? String == readData["readId"] as? String)
        try events.next("print.done")

        // The printer got one ESC/POS receipt: initialise, the masked number, € via CP858, cut
        // (the status queries before and after it are answered, not printed).
        let bytes = try printer.waitForPrinted(1)[0]
        #expect(Array(bytes.prefix(2)) == [0x1B, 0x40])
        #expect(bytes.contains(bytes: Array("603571******0000".utf8)))
        #expect(bytes.contains(bytes: [0xD5] + Array("25.00".utf8)))
        #expect(bytes.contains(bytes: [0x1B, 0x74, 19]))
        #expect(Array(bytes.suffix(4)) == [0x1D, 0x56, 0x41, 3])

        // No full card number or track data anywhere a user can see.
        for text in events.all.map(\.data) + [daemon.log, String(decoding: bytes, as: UTF8.self)] {
            #expect(!text.contains("6035710000000000"))
            #expect(!text.contains("49121200"))
        }

        // "The card just swiped": look-ups leave the read id usable, one booking uses it up.
        let client = UnixHTTPClient(socketPath: socket)
        let readId = try #require(readData["readId"] as? String)
        for _ in 0..<2 {
            let byRead = try client.post("/v1/gift/balance", json: Array(#"{"readId":"\#(readId)"}"#.utf8))
            #expect(byRead.status == 200)
            #expect(json(byRead.text)["currentBalance"] as? String == "25.00")
        }
        let redeem = try client.post("/v1/gift/redeem", json: Array(#"{"readId":"\#(readId)","amount":100}"#.utf8))
        #expect(redeem.status == 200)
        #expect(json(redeem.text)["maskedCardNumber"] as? String == "603571******0000")
        let again = try client.post("/v1/gift/redeem", json: Array(#"{"readId":"\#(readId)","amount":100}"#.utf8))
        #expect(again.status == 404)
        #expect(again.apiError?.code == "read_not_found")

        // Health and devices over the socket.
        let health = json(try client.get("/v1/health").text)
        #expect(health["status"] as? String == "ok")
        let readers = health["readers"] as? [[String: Any]]
        #expect(readers?.first?["state"] as? String == "attached")
        #expect(readers?.first?["reads"] as? Int == 2)
        #expect(readers?.first?["errors"] as? Int == 1)
        let devices = json(try client.get("/v1/devices").text)
        #expect((devices["printers"] as? [[String: Any]])?.first?["printed"] as? Int == 1)

        // Simulation is off in this configuration.
        let simulated = try client.post("/v1/simulate/swipe", json: Array(#"{"text":";1=1?"}"#.utf8))
        #expect(simulated.status == 403)
        #expect(simulated.apiError?.code == "simulation_disabled")

        let (status, stopping) = try daemon.terminate()
        #expect(status == 0)
        #expect(stopping)
    }

    @Test func apiErrorsAreJSONWithStatusAndCode() throws {
        let dir = try TemporaryDirectory()
        let socket = dir.file("s/api.sock")
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: socket)
        func check(_ reply: HTTPReply, _ status: Int, _ code: String) {
            #expect(reply.status == status, "\(reply.text)")
            #expect(reply.apiError?.code == code, "\(reply.text)")
            #expect(reply.headers["content-type"] == "application/json")
        }
        check(try client.get("/v1/nothing"), 404, "not_found")
        check(try client.post("/v1/gift/balance", json: Array("{".utf8)), 400, "malformed_json")
        check(try client.post("/v1/gift/balance", json: Array(#"{"cardNumber":"1"}"#.utf8)), 400, "unknown_field")
        check(try client.post("/v1/gift/balance", json: Array("{}".utf8)), 400, "missing_field")
        check(try client.post("/v1/gift/balance", json: Array(#"{"cardInfo":{"printedCardNumber":"999"}}"#.utf8)), 404, "card_not_found")
        check(try client.post("/v1/gift/balance", json: Array(#"{"cardInfo":{"phoneNumber":"+15551234567"}}"#.utf8)), 422, "unsupported_card_identifier")
        check(try client.post("/v1/gift/balance", json: Array(#"{"cardInfo":{"printedCardNumber":"6006491000000000018","cardRegCode":"0000"}}"#.utf8)), 403, "registration_code_mismatch")
        check(try client.post("/v1/gift/balance", json: [UInt8](repeating: 0x20, count: 70_000)), 413, "body_too_large")
        let ok = try client.post("/v1/gift/balance", json: Array(#"{"cardInfo":{"printedCardNumber":"6006491000000000018","cardRegCode":"1234"}}"#.utf8))
        #expect(ok.status == 200)
        #expect(json(ok.text)["currentBalance"] as? String == "40.00")
        #expect(json(ok.text)["printedCardNumber"] == nil)
        #expect(try daemon.terminate().status == 0)
    }

    /// `shop.locale: de-DE`: a real swipe prints a German balance receipt (labels, `25,00 €` with
    /// the no-break space and € on CP858, a German date), and the API's amounts are German too.
    @Test func aGermanShopPrintsAGermanReceipt() throws {
        let counter = try Counter(shop: "  name: Bäckerei Müller\n  terminal: T1\n  locale: de-DE")
        defer { counter.printer.close() }
        let (pty, printer, socket, daemon, events) = (counter.pty, counter.printer, counter.socket, counter.daemon, counter.events)
        _ = try events.next("device.added")

        try pty.write(";6035710000000000=49121200?\r")
        _ = try events.next("gift.balance")
        try events.next("print.done")
        let bytes = try printer.waitForPrinted(1)[0]
        let text = String(decoding: bytes.map { $0 < 0x80 ? $0 : 0x3F }, as: UTF8.self)
        for label in ["Guthaben Geschenkkarte", "Karte ", "Datum ", "Terminal ", "Guthaben "] {
            #expect(text.contains(label), "\(label)")
        }
        #expect(!text.contains("Gift card balance"))
        // CP858 (ESC t 19): NBSP is 0xFF, € 0xD5, ä 0x84.
        #expect(bytes.contains(bytes: Array("B".utf8) + [0x1B, 0x74, 19, 0x84] + Array("ckerei".utf8)))
        #expect(bytes.contains(bytes: Array("25,00".utf8) + [0xFF, 0xD5]))
        #expect(text.contains(try Regex(#"Datum +\d\d\.\d\d\.\d{4} \d\d:\d\d\n"#)))

        let client = UnixHTTPClient(socketPath: socket)
        let reload = try client.post("/v1/gift/reload", json: Array(#"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":123450}"#.utf8))
        #expect(reload.status == 200)
        let reply = json(reload.text)
        #expect((reply["transactionAmount"] as? [String: Any])?["display"] as? String == "1.234,50\u{00A0}€")
        #expect((reply["currentBalance"] as? [String: Any])?["display"] as? String == "1.259,50\u{00A0}€")
        #expect(try daemon.terminate().status == 0)
    }
}

@Suite(.serialized) struct DemoAndCLITests {
    @Test func theDemoChainThroughTheCommandLineClient() throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("demo")
        let socket = state + "/api.sock"
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", state], dir: dir)
        try daemon.waitUntilReady()

        let health = try runCLI(["health"], socket: socket)
        #expect(health.status == 0)
        #expect(health.stdout.contains("(demo)"))
        #expect(health.stdout.contains("5 cards"))

        let swipe = try runCLI(["simulate", "swipe", ";6035710000000000=49121200?"], socket: socket)
        #expect(swipe.status == 0, "\(swipe.stderr)")
        #expect(swipe.stdout.contains("card.read"))
        #expect(swipe.stdout.contains("603571******0000"))
        #expect(swipe.stdout.contains("balance=25.00"))
        #expect(!swipe.stdout.contains("6035710000000000"))

        let bad = try runCLI(["simulate", "swipe", "%E?;E?"], socket: socket)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("reason=read_error_track"))

        let balance = try runCLI(["balance", "--card-number", "6035710000000000", "--json"], socket: socket)
        #expect(balance.status == 0)
        #expect(json(balance.stdout)["currentBalanceMinor"] as? Int == 2500)

        let unknown = try runCLI(["balance", "--card-number", "1234567890123456"], socket: socket)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("card_not_found"))

        let usage = try runCLI(["balance"], socket: socket)
        #expect(usage.status == 64)

        let noDaemon = try runCLI(["health"], socket: dir.file("nowhere.sock"))
        #expect(noDaemon.status == 69)
        #expect(noDaemon.stderr.contains("not reachable"))

        let watch = try runCLI(["watch", "--after", "0", "--count", "4", "--json"], socket: socket)
        #expect(watch.status == 0)
        let lines = watch.stdout.split(separator: "\n").map { json(String($0)) }
        // The printer may finish before or after the balance event goes out.
        #expect(lines.first?["type"] as? String == "card.read")
        #expect(Set(lines.compactMap { $0["type"] as? String }) == ["card.read", "print.queued", "gift.balance", "print.done"])
        #expect(lines.map { $0["id"] as? Int } == [1, 2, 3, 4])

        // The receipt went to the demo printer file.
        let receipt = try #require(FileManager.default.contents(atPath: state + "/receipts.escpos"))
        #expect(Array(receipt.prefix(2)) == [0x1B, 0x40])
        #expect(Array(receipt).contains(bytes: Array("603571******0000".utf8)))
        #expect(try daemon.terminate().status == 0)

        // Restarting keeps the ledger and does not seed twice.
        let again = try DaemonProcess(arguments: ["--demo", "--state-dir", state], dir: dir)
        try again.waitUntilReady()
        #expect(try runCLI(["health"], socket: socket).stdout.contains("5 cards"))
        #expect(try again.terminate().status == 0)
    }

    @Test func aSecondDaemonDoesNotStealTheSocket() throws {
        let dir = try TemporaryDirectory()
        let first = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try first.waitUntilReady()
        let second = try DaemonProcess.runToExit(arguments: ["--demo", "--state-dir", dir.file("s")], dir: try TemporaryDirectory())
        #expect(second.status == 73)
        #expect(second.log.contains("already listening"))
        #expect(try first.terminate().status == 0)
    }
}

@Suite(.serialized) struct StartupFailureTests {
    @Test func aBadConfigurationExits78NamingTheKey() throws {
        let dir = try TemporaryDirectory()
        try "readers:\n  r1:\n    path: /dev/ttyS0\n    baud: 9601\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let result = try DaemonProcess.runToExit(arguments: ["--config", dir.file("c.yaml")], dir: dir)
        #expect(result.status == 78)
        #expect(result.log.contains("readers.r1.baud"))
        let missing = try DaemonProcess.runToExit(arguments: ["--config", dir.file("none.yaml")], dir: dir)
        #expect(missing.status == 78)
        #expect(missing.log.contains("does not exist"))
        try "shop:\n  locale: xx-YY\n".write(toFile: dir.file("l.yaml"), atomically: true, encoding: .utf8)
        let locale = try DaemonProcess.runToExit(arguments: ["--config", dir.file("l.yaml")], dir: dir)
        #expect(locale.status == 78)
        #expect(locale.log.contains("shop.locale"))
    }

    @Test func aMissingSocketDirectoryExits73WithAClearMessage() throws {
        let dir = try TemporaryDirectory()
        let result = try DaemonProcess.runToExit(arguments: ["--state-dir", dir.file("state"), "--socket", "/nonexistent-gb/api.sock"], dir: dir)
        #expect(result.status == 73)
        #expect(result.log.contains("/nonexistent-gb"))
        #expect(result.log.contains("does not exist"))
    }

    /// `--socket PATH` replaces a stale socket only: a file, a directory or a link there is a
    /// wrong setting (78), and stays as it was.
    @Test func somethingOtherThanASocketAtTheSocketPathExits78AndIsLeftAlone() throws {
        let dir = try TemporaryDirectory()
        try "precious\n".write(toFile: dir.file("file"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir.file("directory"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: dir.file("file"))
        for (name, kind) in [("file", "a regular file"), ("directory", "a directory"), ("link", "a symbolic link")] {
            let result = try DaemonProcess.runToExit(arguments: ["--demo", "--state-dir", dir.file("s-\(name)"), "--socket", dir.file(name)], dir: dir)
            #expect(result.status == 78, "\(name): \(result.log)")
            #expect(result.log.contains("\(dir.file(name)) is \(kind), not a socket"), "\(name): \(result.log)")
        }
        #expect(try String(contentsOfFile: dir.file("file"), encoding: .utf8) == "precious\n")
        #expect(FileManager.default.fileExists(atPath: dir.file("directory")))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file("link"))) == dir.file("file"))
        // A stale socket (its daemon gone) is still replaced.
        let first = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s"), "--socket", dir.file("api.sock")], dir: dir)
        try first.waitUntilReady()
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let second = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s"), "--socket", dir.file("api.sock")], dir: dir)
        try second.waitUntilReady()
        #expect(try second.terminate().status == 0)
    }
}

@Suite(.serialized) struct PrinterOutageTests {
    @Test func anUnreachablePrinterKeepsTheReceiptUntilItIsBack() throws {
        let dir = try TemporaryDirectory()
        // A port nobody listens on yet.
        let probe = try TCPSink()
        let port = probe.port
        probe.close()
        let socket = dir.file("s/api.sock")
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s"), "--printer", "tcp://127.0.0.1:\(port)"], dir: dir)
        try daemon.waitUntilReady()
        let events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        let client = UnixHTTPClient(socketPath: socket)
        let reply = try client.post("/v1/simulate/swipe", json: Array(#"{"text":";6035710000000000=49121200?"}"#.utf8))
        #expect(reply.status == 202)
        let failed = json(try events.next("print.failed").data)
        #expect((failed["error"] as? String)?.contains("Connection refused") == true)
        let health = json(try client.get("/v1/health").text)
        #expect(health["status"] as? String == "degraded")
        let printer = (health["printers"] as? [[String: Any]])?.first
        #expect(printer?["queued"] as? Int == 1)
        #expect(printer?["state"] as? String == "failing")

        // The printer comes back: the kept receipt prints without anyone asking.
        let sink = try TCPSink(port: port)
        defer { sink.close() }
        try events.next("print.done", timeout: 15)
        let bytes = try sink.connection(0)
        // The daemon asks for the status first (DLE EOT 1); this listener never answers, so the
        // job follows as to a printer without status.
        #expect(Array(bytes.prefix(5)) == [0x10, 0x04, 0x01, 0x1B, 0x40])
        #expect(bytes.contains(bytes: Array("603571******0000".utf8)))
        #expect(json(try client.get("/v1/health").text)["status"] as? String == "ok")
        #expect(try daemon.terminate().status == 0)
    }
}

/// Keyboard-wedge readers (an evdev node; a FIFO stands in for it) and barcode scanners.
@Suite(.serialized) struct WedgeAndScannerTests {
    @Test func aWedgeSwipeAScannedBarcodeAndAWrongLayout() throws {
        let dir = try TemporaryDirectory()
        let wedge = dir.file("event7")
        #expect(mkfifo(wedge, 0o600) == 0)
        let scanner = try PseudoTerminal()
        let socket = dir.file("s/api.sock")
        try """
            swipe:
              action: balance
            readers:
              wedge:
                type: evdev
                path: \(wedge)
                layout: us
              wedge-de:
                type: evdev
                path: \(dir.file("event8"))
                layout: de
              scanner:
                type: serial
                path: \(scanner.slavePath)
              ghost:
                type: serial
                path: \(dir.file("ttyGHOST"))
            """.write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        #expect(mkfifo(dir.file("event8"), 0o600) == 0)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let events = EventRecorder(socket: socket, after: "0")
        try events.waitUntilOpen()

        // A US keyboard-wedge reader.
        let writer = open(wedge, O_WRONLY)
        let bytes = usEvents(";6035710000000000=49121200?")
        #expect(bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) } == bytes.count)
        let read = json(try events.next("card.read").data)
        #expect(read["reader"] as? String == "wedge")
        #expect(read["kind"] as? String == "magstripe")
        #expect(read["maskedCardNumber"] as? String == "603571******0000")
        #expect(json(try events.next("gift.balance").data)["balance"] as? String == "25.00")

        // The same reader plugged where German is configured: the error names the layout.
        let writerDE = open(dir.file("event8"), O_WRONLY)
        #expect(bytes.withUnsafeBytes { write(writerDE, $0.baseAddress, $0.count) } == bytes.count)
        let mismatch = json(try events.next("card.error").data)
        #expect(mismatch["reader"] as? String == "wedge-de")
        #expect(mismatch["reason"] as? String == "layout_mismatch")

        // A serial scanner reads the printed number from a barcode (EAN/Code 128 style).
        try scanner.write("]C06006491000000000018\r")
        let scan = json(try events.next("card.read").data)
        #expect(scan["kind"] as? String == "barcode")
        #expect(scan["symbology"] as? String == "code128")
        #expect(scan["maskedCardNumber"] as? String == "600649*********0018")
        #expect(json(try events.next("gift.balance").data)["balance"] as? String == "40.00")

        // A reader that is not there: device.error, and the daemon goes on.
        #expect(json(try events.next("device.error").data)["reader"] as? String == "ghost")

        // Unplug (the writer goes away) and plug in again: removed, added, reading resumes.
        close(writer)
        #expect(json(try events.next("device.removed").data)["reader"] as? String == "wedge")
        let again = open(wedge, O_WRONLY)  // blocks until the daemon has the node open again
        #expect(bytes.withUnsafeBytes { write(again, $0.baseAddress, $0.count) } == bytes.count)
        #expect(json(try events.next("card.read").data)["reader"] as? String == "wedge")
        // Both the first and the renewed attachment were announced (events are replayed from 0).
        let added = EventRecorder(socket: socket, after: "0", seconds: 2)
        try added.waitUntilOpen()
        usleep(300_000)
        #expect(added.all.filter { $0.event == "device.added" && json($0.data)["reader"] as? String == "wedge" }.count == 2)
        close(again)
        close(writerDE)
        for text in events.all.map(\.data) + [daemon.log] {
            #expect(!text.contains("6035710000000000"))
            #expect(!text.contains("6006491000000000018"))
        }
        #expect(try daemon.terminate().status == 0)
    }

    @Test func aHIDPOSScannerAMagTekReaderAndAWalletPassReader() throws {
        let dir = try TemporaryDirectory()
        let socket = dir.file("s/api.sock")
        let nfc = try PseudoTerminal()
        #expect(mkfifo(dir.file("hidraw0"), 0o600) == 0)
        #expect(mkfifo(dir.file("hidraw1"), 0o600) == 0)
        // Honeywell's HID POS layout: report 2 = length, AIM, 56 data bytes, code id, flags.
        let descriptor: [UInt8] = [
            0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
            0x95, 0x01, 0x09, 0x00, 0x81, 0x02, 0x95, 0x03, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,
            0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01, 0x06, 0x66, 0xFF, 0x95, 0x02, 0x09, 0x04, 0x09, 0x00, 0x81, 0x02,
            0x05, 0x8C, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x09, 0xFF, 0x81, 0x02, 0xC0, 0xC0,
        ]
        FileManager.default.createFile(atPath: dir.file("scanner.desc"), contents: Data(descriptor))
        try """
            swipe:
              action: balance
            normalization:
              rules:
                - symbologies: [code128]
                  pattern: '^GC(\\d{16,19})$'
                  field: printedCardNumber
                - symbologies: [qr]
                  pattern: '^MEMBER-\\d+$'
                  field: accountToken
            readers:
              scanner:
                type: hidraw-pos
                path: \(dir.file("hidraw0"))
                report-descriptor: \(dir.file("scanner.desc"))
              msr:
                type: hidraw-magtek
                path: \(dir.file("hidraw1"))
              nfc:
                type: serial
                path: \(nfc.slavePath)
                content: vas
            """.write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let events = EventRecorder(socket: socket, after: "0")
        try events.waitUntilOpen()

        func report(_ aim: String, _ data: String) -> [UInt8] {
            var d = Array(data.utf8)
            d += [UInt8](repeating: 0, count: 56 - d.count)
            return [0x02, UInt8(data.utf8.count)] + Array(aim.utf8) + d + [0, 0, 0]
        }
        // The scanner: a Code 128 gift card label "GC" + number, by the shop's first rule.
        let scanner = open(dir.file("hidraw0"), O_WRONLY)
        defer { close(scanner) }
        let label = report("]C0", "GC6006491000000000018")
        #expect(label.withUnsafeBytes { write(scanner, $0.baseAddress, $0.count) } == 64)
        let scan = json(try events.next("card.read").data)
        #expect(scan["reader"] as? String == "scanner")
        #expect(scan["kind"] as? String == "barcode")
        #expect(scan["symbology"] as? String == "code128")
        #expect(scan["fields"] as? [String] == ["printedCardNumber"])
        #expect(json(try events.next("gift.balance").data)["balance"] as? String == "40.00")
        // A member QR code is an account token by the second rule.
        let member = report("]Q1", "MEMBER-0001")
        #expect(member.withUnsafeBytes { write(scanner, $0.baseAddress, $0.count) } == 64)
        let token = json(try events.next("card.read").data)
        #expect(token["fields"] as? [String] == ["accountToken"])
        #expect(token["symbology"] as? String == "qr")

        // The MagTek reader: one 337-byte report per swipe.
        let msr = open(dir.file("hidraw1"), O_WRONLY)
        defer { close(msr) }
        let swipe = MagTekHIDReport.make(track1: "%B6035710000000000^GIFT/CARD^4912120000000000000?", track2: ";6035710000000000=49121200?")
        #expect(swipe.withUnsafeBytes { write(msr, $0.baseAddress, $0.count) } == 337)
        var read = json(try events.next("card.read").data)
        while read["reader"] as? String != "msr" { read = json(try events.next("card.read").data) }
        #expect(read["kind"] as? String == "magstripe")
        #expect(read["tracks"] as? [Int] == [1, 2])
        #expect(read["maskedCardNumber"] as? String == "603571******0000")

        // The NFC reader sends what it decoded from an Apple wallet pass: "A" + payload.
        try nfc.write("Ag1f3a9c2e7b4d6\r")
        var pass = json(try events.next("card.read").data)
        while pass["reader"] as? String != "nfc" { pass = json(try events.next("card.read").data) }
        #expect(pass["kind"] as? String == "vas")
        #expect(pass["walletKind"] as? String == "apple_vas")
        #expect(pass["fields"] as? [String] == ["appleNfcVasPayload"])
        // A read the NFC reader garbled: card.error, nothing else.
        try nfc.write("X123\r")
        var bad = json(try events.next("card.error").data)
        while bad["reader"] as? String != "nfc" { bad = json(try events.next("card.error").data) }
        #expect(bad["reason"] as? String != nil)

        for text in events.all.map(\.data) + [daemon.log] {
            #expect(!text.contains("6035710000000000"))
            #expect(!text.contains("6006491000000000018"))
            #expect(!text.contains("g1f3a9c2e7b4d6"))
        }
        #expect(try daemon.terminate().status == 0)
    }
}
