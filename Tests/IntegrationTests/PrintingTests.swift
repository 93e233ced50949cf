#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The durable print queue through the real daemon, against a printer that answers DLE EOT.
@Suite(.serialized) struct PrintingTests {
    func transactionJob(_ n: Int) -> [UInt8] {
        Array(#"{"template":"transaction","data":{"kind":"redeem","transactionId":"\#(n)","maskedCardNumber":"603571******0000","amount":"€1.00","newBalance":"€24.00","printedAt":"2026-11-21 10:00"}}"#.utf8)
    }

    @Test func paperOutHoldsTheQueueAcrossARestartAndLosesNoJob() throws {
        let dir = try TemporaryDirectory()
        let printer = try FakePrinter()
        defer { printer.close() }
        printer.set(fault: .paperOut)
        let state = dir.file("s")
        let socket = state + "/api.sock"
        let args = ["--demo", "--state-dir", state, "--printer", "tcp://127.0.0.1:\(printer.port)"]
        var daemon = try DaemonProcess(arguments: args, dir: dir)
        try daemon.waitUntilReady()
        var events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        let client = UnixHTTPClient(socketPath: socket)

        // Three jobs while the paper is out: a transaction receipt, raw bytes, a balance slip.
        var ids: [Int] = []
        for body in [transactionJob(1), Array(#"{"raw":"G0BIZWxsbwoKHVZBAw=="}"#.utf8), Array(#"{"template":"balance","cardInfo":{"printedCardNumber":"6035710000000000"}}"#.utf8)] {
            let r = try client.post("/v1/print", json: body)
            #expect(r.status == 201, "\(r.text)")
            ids.append(json(r.text)["jobId"] as? Int ?? -1)
        }
        let held = json(try events.next("print.held").data)
        #expect(held["problem"] as? String == "paper_out")
        let status = json(try events.next("printer.status").data)
        #expect((status["status"] as? [String: Any])?["problem"] as? String == "paper_out")
        let printers = (json(try client.get("/v1/printers").text)["printers"] as? [[String: Any]])?.first
        #expect(printers?["state"] as? String == "held")
        #expect(printers?["queued"] as? Int == 3)
        #expect(json(try client.get("/v1/health").text)["status"] as? String == "degraded")
        #expect(printer.lost.isEmpty)  // nothing was sent into a stopped printer

        // Restart with the paper still out: the jobs are still there.
        #expect(try daemon.terminate().status == 0)
        // (Its own directory for the notify socket and log: the first process object still
        // holds the old ones.)
        let dir2 = try TemporaryDirectory()
        daemon = try DaemonProcess(arguments: args, dir: dir2)
        try daemon.waitUntilReady()
        events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        for id in ids { #expect(json(try client.get("/v1/print/jobs/\(id)").text)["state"] as? String == "queued") }

        // Paper in: the queue resumes by itself, in order.
        printer.set(fault: nil)
        let printed = try printer.waitForPrinted(3, timeout: 20)
        #expect(printed[0].contains(bytes: Array("Gift card payment".utf8)))
        #expect(printed[1] == [0x1B, 0x40] + Array("Hello\n\n".utf8) + [0x1D, 0x56, 0x41, 0x03])
        #expect(printed[2].contains(bytes: Array("Gift card balance".utf8)))
        for _ in 0..<3 { try events.next("print.done", timeout: 10) }
        for id in ids {
            let job = json(try client.get("/v1/print/jobs/\(id)").text)
            #expect(job["state"] as? String == "done")
            #expect(job["doneAt"] as? String != nil)
        }
        #expect(try daemon.terminate().status == 0)
    }

    @Test func aJobCutShortByThePaperRunningOutPrintsAgainWhole() throws {
        let dir = try TemporaryDirectory()
        let printer = try FakePrinter()
        defer { printer.close() }
        let socket = dir.file("s/api.sock")
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s"), "--printer", "tcp://127.0.0.1:\(printer.port)"], dir: dir)
        try daemon.waitUntilReady()
        let events = EventRecorder(socket: socket)
        try events.waitUntilOpen()
        let client = UnixHTTPClient(socketPath: socket)
        printer.fail(duringNextJob: .paperOut)
        #expect(try client.post("/v1/print", json: transactionJob(7)).status == 201)
        let held = json(try events.next("print.held").data)
        #expect((held["message"] as? String)?.contains("while printing") == true)
        #expect(!printer.lost.isEmpty)
        printer.set(fault: nil)
        let printed = try printer.waitForPrinted(1, timeout: 15)
        #expect(printed[0] == printer.lost)  // the whole job again, not the rest of it
        try events.next("print.done")
        #expect(try daemon.terminate().status == 0)
    }

    @Test func badPrintRequestsAreTypedErrors() throws {
        let dir = try TemporaryDirectory()
        let printer = try FakePrinter()
        defer { printer.close() }
        let socket = dir.file("s/api.sock")
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s"), "--printer", "tcp://127.0.0.1:\(printer.port)"], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: socket)
        func error(_ body: String) throws -> (Int, String?) {
            let r = try client.post("/v1/print", json: Array(body.utf8))
            return (r.status, (json(r.text)["error"] as? [String: Any])?["code"] as? String)
        }
        #expect(try error(#"{"template":"menu","data":{}}"#) == (400, "unknown_template"))
        #expect(try error(#"{"raw":"***"}"#) == (400, "invalid_base64"))
        #expect(try error(#"{"raw":"QUJD","template":"balance"}"#) == (400, "invalid_request"))
        #expect(try error(#"{"template":"balance"}"#) == (400, "invalid_request"))
        #expect(try error(#"{"template":"hold","data":{"holdId":"h"}}"#) == (400, "missing_field"))
        #expect(try error(#"{"template":"hold","data":{"holdId":"h","colour":"red"}}"#) == (400, "unknown_field"))
        #expect(try error(#"{"template":"transaction","transactionId":999999}"#).0 == 404)
        #expect(try error(#"{"template":"transaction","transactionId":"x"}"#) == (400, "invalid_field"))
        #expect(try error(#"{"raw":"QUJD","copies":2}"#) == (400, "unknown_field"))
        #expect(try client.get("/v1/print/jobs/424242").status == 404)
        #expect(try client.get("/v1/print/jobs/abc").status == 400)
        // A finished job cannot be cancelled; a queued one can.
        let r = try client.post("/v1/print", json: Array(#"{"raw":"QUJD"}"#.utf8))
        let id = json(r.text)["jobId"] as? Int ?? -1
        _ = try printer.waitForPrinted(1)
        var state = ""
        for _ in 0..<50 where state != "done" {
            state = json(try client.get("/v1/print/jobs/\(id)").text)["state"] as? String ?? ""
            usleep(100_000)
        }
        #expect(try client.request("DELETE", "/v1/print/jobs/\(id)").status == 409)
        printer.set(fault: .coverOpen)
        let queued = json(try client.post("/v1/print", json: Array(#"{"raw":"QUJD"}"#.utf8)).text)["jobId"] as? Int ?? -1
        let cancelled = try client.request("DELETE", "/v1/print/jobs/\(queued)")
        #expect(cancelled.status == 200)
        #expect(json(cancelled.text)["state"] as? String == "cancelled")
        #expect(try daemon.terminate().status == 0)
    }

    @Test func theCommandLineRendersPreviewsAndPrints() throws {
        let dir = try TemporaryDirectory()
        try #"{"kind":"reload","transactionId":"88","maskedCardNumber":"603571******0000","amount":"€50.00","newBalance":"€75.00","printedAt":"2026-11-21 10:00","qr":"https://example.com/r/88"}"#
            .write(toFile: dir.file("d.json"), atomically: true, encoding: .utf8)
        let render = try runCLI(["receipt", "render", "--template", "transaction", "--data", dir.file("d.json"), "--profile", "epson-tm-t88v", "--shop-name", "Café", "--out", dir.file("r.bin")], socket: "/nonexistent")
        #expect(render.status == 0, "\(render.stderr)")
        let bytes = try #require(FileManager.default.contents(atPath: dir.file("r.bin")))
        // "Café" selects CP858 (ESC t 19) for "é"; "€50.00" then prints as 0xD5 on the same page.
        #expect(Array(bytes).contains(bytes: [0x1B, 0x74, 19, 0x82]))
        #expect(Array(bytes).contains(bytes: [0xD5] + Array("50.00".utf8)))
        let preview = try runCLI(["receipt", "preview", dir.file("r.bin"), "--png", dir.file("r.png"), "--profile", "epson-tm-t88v"], socket: "/nonexistent")
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("512×"))
        let png = try #require(FileManager.default.contents(atPath: dir.file("r.png")))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
            p.arguments = ["-q", "--raw", dir.file("r.png")]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(text.contains("https://example.com/r/88"))
        }
        // Bad input: a typed message and exit code 64 (usage), nothing written.
        let bad = try runCLI(["receipt", "render", "--template", "menu", "--data", dir.file("d.json"), "--out", dir.file("x.bin")], socket: "/nonexistent")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("menu"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.bin")))

        // Through the daemon: a balance slip, waited for.
        let printer = try FakePrinter()
        defer { printer.close() }
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s"), "--printer", "tcp://127.0.0.1:\(printer.port)"], dir: dir)
        try daemon.waitUntilReady()
        let printed = try runCLI(["print", "--card", "6035710000000000", "--wait"], socket: dir.file("s/api.sock"))
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("printed"))
        #expect(try printer.waitForPrinted(1)[0].contains(bytes: Array("603571******0000".utf8)))
        let printers = try runCLI(["printers"], socket: dir.file("s/api.sock"))
        #expect(printers.stdout.contains("status: ready"))
        #expect(try daemon.terminate().status == 0)
    }
}
