import Devices
import ESCPOS
import Foundation
import Testing
import TestSupport

@testable import PrintQueue

@Suite struct PrintJobStoreTests {
    @Test func jobsSurviveReopeningAndLeaveInOrder() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("print-queue.sqlite")
        do {
            let store = try PrintJobStore(path: path)
            try store.enqueue(printer: "receipt", kind: "balance", bytes: [0x1B, 0x40, 0x41])
            try store.enqueue(printer: "receipt", kind: "raw", bytes: [0x42])
            try store.enqueue(printer: "kitchen", kind: "raw", bytes: [0x43])
        }
        // A new process (here: a new store on the same file) finds them, oldest first.
        let store = try PrintJobStore(path: path)
        let first = try #require(try store.next(printer: "receipt"))
        #expect(first.bytes == [0x1B, 0x40, 0x41])
        #expect(first.kind == "balance")
        #expect(try store.pendingCount(printer: "receipt") == 2)
        try store.recordAttempt(id: first.id, error: "paper_out")
        #expect(try store.job(id: first.id)?.attempts == 1)
        #expect(try store.job(id: first.id)?.lastError == "paper_out")
        try store.markDone(id: first.id)
        let done = try #require(try store.job(id: first.id))
        #expect(done.state == .done)
        #expect(done.bytes.isEmpty)  // receipts are not kept once printed
        #expect(done.doneAt != nil)
        #expect(try store.next(printer: "receipt")?.bytes == [0x42])
        #expect(try store.next(printer: "kitchen")?.bytes == [0x43])
        let second = try #require(try store.next(printer: "receipt"))
        #expect(try store.cancel(id: second.id))
        #expect(try !store.cancel(id: second.id))
        #expect(try store.next(printer: "receipt") == nil)
        #expect(try store.prune(olderThan: -1) == 2)
        #expect(try store.job(id: first.id) == nil)
        #expect(try store.pendingCount(printer: "kitchen") == 1)
    }

    @Test func aFileThatIsNotADatabaseIsATypedError() throws {
        let dir = try TemporaryDirectory()
        try "not sqlite".write(toFile: dir.file("q.sqlite"), atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try PrintJobStore(path: dir.file("q.sqlite")) }
    }
}

@Suite(.serialized) struct PrinterWorkerTests {
    // Generous waits: a loaded CI machine may take a while to schedule the printer's thread.
    func worker(_ printer: FakePrinter) -> PrinterWorker {
        PrinterWorker(transport: TCPPrinter(host: "127.0.0.1", port: printer.port, connectTimeoutMs: 5000, writeTimeoutMs: 5000), statusTimeoutMs: 3000, settleMs: 20)
    }

    let receipt: [UInt8] = [0x1B, 0x40] + Array("Balance 40.00\n".utf8) + [0x1D, 0x56, 0x41, 0x03]

    @Test func aFinePrinterPrintsAndSaysSo() throws {
        let printer = try FakePrinter()
        defer { printer.close() }
        guard case .printed(let status?) = worker(printer).print(receipt) else { Issue.record("not printed"); return }
        #expect(status.canPrint)
        #expect(try printer.waitForPrinted(1, timeout: 30) == [receipt])
        #expect(printer.statusQueries == 8)  // DLE EOT 1–4 before and after
    }

    @Test func paperOutHoldsTheJobBeforeAnyByteIsSent() throws {
        let printer = try FakePrinter()
        defer { printer.close() }
        printer.set(fault: .paperOut)
        #expect(worker(printer).print(receipt) == .held(try PrinterStatus.parse([0x1A, 0x32, 0x12, 0x72])))
        printer.set(fault: .coverOpen)
        guard case .held(let s) = worker(printer).print(receipt) else { Issue.record("not held"); return }
        #expect(s.problem == "cover_open")
        #expect(printer.lost.isEmpty)
        #expect(printer.printed.isEmpty)
        printer.set(fault: nil)
        #expect(try worker(printer).status().get()?.canPrint == true)
    }

    @Test func paperRunningOutDuringTheJobMeansPrintItAgain() throws {
        let printer = try FakePrinter()
        defer { printer.close() }
        printer.fail(duringNextJob: .paperOut)
        guard case .interrupted(let s) = worker(printer).print(receipt) else { Issue.record("not interrupted"); return }
        #expect(s.problem == "paper_out")
        #expect(printer.lost == receipt)
        printer.set(fault: nil)
        guard case .printed = worker(printer).print(receipt) else { Issue.record("not printed"); return }
        #expect(try printer.waitForPrinted(1, timeout: 30) == [receipt])
    }

    @Test func aPrinterWithoutStatusStillPrints() throws {
        let printer = try FakePrinter()
        defer { printer.close() }
        printer.set(answersStatus: false)
        let quick = PrinterWorker(transport: TCPPrinter(host: "127.0.0.1", port: printer.port), statusTimeoutMs: 300, settleMs: 0)
        #expect(quick.print(receipt) == .printed(status: nil))
        #expect(try printer.waitForPrinted(1, timeout: 30) == [receipt])
    }

    @Test func nobodyListeningIsUnreachable() throws {
        let printer = try FakePrinter()
        let port = printer.port
        printer.close()
        let w = PrinterWorker(transport: TCPPrinter(host: "127.0.0.1", port: port, connectTimeoutMs: 300, writeTimeoutMs: 300))
        guard case .unreachable(let why) = w.print(receipt) else { Issue.record("reached"); return }
        #expect(why.contains("127.0.0.1:\(port)"))
    }

    @Test func aFileTargetTakesTheJobWithoutStatus() throws {
        let dir = try TemporaryDirectory()
        let w = PrinterWorker(transport: PathPrinter(path: dir.file("r.bin"), writeTimeoutMs: 1000))
        #expect(w.print(receipt) == .printed(status: nil))
        #expect(w.print(receipt) == .printed(status: nil))
        #expect(FileManager.default.contents(atPath: dir.file("r.bin")) == Data(receipt + receipt))
    }

    @Test func aSerialPrinterAnswersOverThePseudoTerminal() throws {
        // The far end of a pty plays an Epson on RS-232: it answers DLE EOT and keeps the job.
        let pty = try PseudoTerminal()
        let target = try PrinterTarget.parse("serial:\(pty.slavePath)?baud=19200&flow=rtscts").get()
        #expect(target == .serial(pty.slavePath, SerialSettings(baud: 19200, flowControl: .rtscts)))
        let done = DispatchSemaphore(value: 0)
        let received = LockedBytes()
        Thread {
            var buf = [UInt8](repeating: 0, count: 256)
            var all: [UInt8] = []
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                var p = pollfd(fd: pty.master, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) > 0 else { if received.count >= 1 { break } else { continue } }
                let n = read(pty.master, &buf, buf.count)
                guard n > 0 else { break }
                all += buf[0..<n]
                // Answer each DLE EOT n as a fine printer, remove it from the data.
                while let i = all.firstIndex(of: 0x10), i + 2 < all.count, all[i + 1] == 0x04 {
                    var ok: UInt8 = 0x12
                    _ = write(pty.master, &ok, 1)
                    all.removeSubrange(i...(i + 2))
                }
                received.set(all)
            }
            done.signal()
        }.start()
        let w = PrinterWorker(transport: target.transport(), statusTimeoutMs: 1000, settleMs: 10)
        guard case .printed(let s?) = w.print(receipt) else { Issue.record("not printed with status"); return }
        #expect(s.canPrint)
        done.wait()
        #expect(received.bytes == receipt)
    }
}

final class LockedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var _bytes: [UInt8] = []
    var bytes: [UInt8] { lock.withLock { _bytes } }
    var count: Int { lock.withLock { _bytes.count } }
    func set(_ b: [UInt8]) { lock.withLock { _bytes = b } }
}

@Suite(.serialized) struct PrinterWorkerTrustTests {
    @Test func aPrinterThatAnsweredBeforeIsNotTrustedBlindly() throws {
        let printer = try FakePrinter()
        defer { printer.close() }
        printer.set(answersStatus: false)
        let w = PrinterWorker(transport: TCPPrinter(host: "127.0.0.1", port: printer.port), statusTimeoutMs: 200, settleMs: 0)
        guard case .unreachable(let why) = w.print([0x1B, 0x40], requireStatus: true) else { Issue.record("printed blindly"); return }
        #expect(why.contains("no status reply"))
        #expect(printer.printed.isEmpty)
        #expect(printer.lost.isEmpty)
    }
}
