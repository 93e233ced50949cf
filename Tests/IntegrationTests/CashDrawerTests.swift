#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The cash drawer through the real daemon, on a printer that answers `DLE EOT` and has a
/// drawer on its connector (pin 3 high while open).
@Suite(.serialized) struct CashDrawerTests {
    @Test func theDrawerOpensIsWatchedUntilShutAndIsRefusedWhileThePrinterIsHeld() throws {
        let dir = try TemporaryDirectory()
        let printer = try FakePrinter()
        defer { printer.close() }
        try "printer:\n  drawer:\n    pin: 5\n    pulse-ms: 120\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let state = dir.file("s")
        let socket = state + "/api.sock"
        let daemon = try DaemonProcess(
            arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", state, "--printer", "tcp://127.0.0.1:\(printer.port)"], dir: dir)
        try daemon.waitUntilReady()
        var events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        let client = UnixHTTPClient(socketPath: socket)
        func drawer() throws -> [String: Any]? {
            ((json(try client.get("/v1/printers").text)["printers"] as? [[String: Any]])?.first)?["drawer"] as? [String: Any]
        }
        #expect(try drawer()?["state"] as? String == "unknown")
        #expect(try drawer()?["pin"] as? Int == 5)
        #expect(try drawer()?["openWhen"] as? String == "high")

        // The kick: ESC p on pin 5 (m = 1), 120 ms on (t1 = 60), 500 ms off (t2 = 250).
        let opened = try client.post("/v1/drawer/open", json: [])
        #expect(opened.status == 200, "\(opened.text)")
        #expect(printer.kicks == [[0x1B, 0x70, 0x01, 60, 250]])
        #expect(json(try events.next("drawer.opened").data)["state"] as? String == "open")
        #expect(json(opened.text)["state"] as? String == "open")
        #expect(try drawer()?["state"] as? String == "open")

        // The cashier pushes it shut: seen within the watch's second, then nothing is asked.
        printer.closeDrawer()
        #expect(json(try events.next("drawer.closed", timeout: 5).data)["state"] as? String == "closed")
        #expect(try drawer()?["state"] as? String == "closed")
        let queries = printer.statusQueries
        sleep(3)
        #expect(printer.statusQueries == queries, "a closed drawer is not polled")

        // Opened with its key: seen with the next job, and not polled (a printer with no drawer
        // may read "open" for ever).
        printer.openDrawerByHand()
        #expect(try client.post("/v1/print", json: Array(#"{"raw":"G0BIZWxsbwoKHVZBAw=="}"#.utf8)).status == 201)
        _ = try events.next("print.done")
        #expect(json(try events.next("drawer.opened").data)["state"] as? String == "open")
        let whileOpen = printer.statusQueries
        sleep(3)
        #expect(printer.statusQueries == whileOpen, "only a kick starts the watch")
        printer.closeDrawer()

        // A body with a field is refused; so is a kick while a fault holds the queue.
        let unknown = try client.post("/v1/drawer/open", json: Array(#"{"pin":2}"#.utf8))
        #expect(unknown.status == 400 && unknown.apiError?.code == "unknown_field")
        printer.set(fault: .paperOut)
        #expect(try client.post("/v1/print", json: Array(#"{"raw":"G0BIZWxsbwoKHVZBAw=="}"#.utf8)).status == 201)
        _ = try events.next("print.held")
        let held = try client.post("/v1/drawer/open", json: Array("{}".utf8))
        #expect(held.status == 409 && held.apiError?.code == "printer_held", "\(held.text)")
        #expect(printer.kicks.count == 1)
        #expect(!printer.drawerOpen)
        // The command line says the same, with the daemon's code.
        let cli = try runCLI(["drawer", "open"], socket: socket)
        #expect(cli.status == 1 && cli.stderr.contains("printer_held"), "\(cli)")
        printer.set(fault: nil)
        _ = try events.next("print.done", timeout: 10)
        let kicked = try runCLI(["drawer", "open"], socket: socket)
        #expect(kicked.status == 0 && kicked.stdout.contains("drawer kicked (pin 5)"), "\(kicked)")
        #expect(printer.kicks.count == 2)
        #expect(try daemon.terminate().status == 0)
    }

    /// A printer that cannot answer `DLE EOT` (here the demo's file target): the kick goes out,
    /// and the drawer is what nobody read, `unknown`.
    @Test func aPrinterWithoutStatusKicksAndLeavesTheDrawerUnknown() throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("s")
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", state], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: state + "/api.sock")
        let kicked = try client.post("/v1/drawer/open", json: [])
        #expect(kicked.status == 200, "\(kicked.text)")
        #expect(json(kicked.text)["state"] as? String == "unknown")
        let receipts = try [UInt8](Data(contentsOf: URL(fileURLWithPath: state + "/receipts.escpos")))
        #expect(receipts.contains(bytes: [0x1B, 0x70, 0x00, 50, 250]))
        #expect(try daemon.terminate().status == 0)
    }

    @Test func aBadDrawerSettingFailsTheStartNamingIt() throws {
        let dir = try TemporaryDirectory()
        for (yaml, key) in [
            ("printer:\n  target: tcp://127.0.0.1:9\n  drawer:\n    pin: 3\n", "printer.drawer.pin"),
            ("printer:\n  target: tcp://127.0.0.1:9\n  drawer:\n    open-when: open\n", "printer.drawer.open-when"),
            ("printer:\n  target: tcp://127.0.0.1:9\n  drawer:\n    pulse-ms: 1000\n", "printer.drawer.pulse-ms"),
        ] {
            try yaml.write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
            let result = try DaemonProcess.runToExit(arguments: ["--config", dir.file("c.yaml")], dir: dir)
            #expect(result.status == 78)
            #expect(result.log.contains(key), "\(result.log)")
        }
    }
}
