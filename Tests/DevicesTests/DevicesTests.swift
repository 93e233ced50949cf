#if canImport(Glibc)
import Glibc
#endif
import CardReading
import Foundation
import Synchronization
import Testing
import TestSupport

@testable import Devices

/// Collects what a device loop reports, for the test thread to wait on. Every access takes the
/// lock: the loop thread appends while the test thread reads.
final class Collector: @unchecked Sendable {
    private let condition = NSCondition()
    private var _reads: [ReadFramer.Output] = []
    private var _links: [DeviceLinkEvent] = []

    var reads: [ReadFramer.Output] { condition.withLock { _reads } }
    var links: [DeviceLinkEvent] { condition.withLock { _links } }

    func add(read: ReadFramer.Output) { condition.withLock { _reads.append(read); condition.broadcast() } }
    func add(link: DeviceLinkEvent) { condition.withLock { _links.append(link); condition.broadcast() } }

    func wait(timeout: TimeInterval = 5, until done: (Collector) -> Bool) -> Bool {
        waitFor(condition, timeout: timeout) { done(self) }
    }
}

/// Waits until `done` holds, re-checking whenever `condition` is broadcast. `done` runs without
/// the lock held, so it may use accessors that take it.
func waitFor(_ condition: NSCondition, timeout: TimeInterval, _ done: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !done() {
        condition.lock()
        let signalled = condition.wait(until: min(deadline, Date().addingTimeInterval(0.05)))
        condition.unlock()
        if !signalled && Date() >= deadline { return done() }
    }
    return true
}

func serialLoop(path: String, idleMs: Int32 = 80, collector: Collector) -> DeviceLoop {
    DeviceLoop(
        name: "test",
        open: { try SerialReadSession(path: path, settings: SerialSettings(), idleTimeoutMilliseconds: idleMs, framer: ReadFramer()) { collector.add(read: $0) } },
        onLink: { collector.add(link: $0) })
}

@Suite(.serialized) struct SerialReaderTests {
    @Test func readsFromAPseudoTerminalAreFramedByTerminator() throws {
        let pty = try PseudoTerminal()
        let c = Collector()
        let loop = serialLoop(path: pty.slavePath, collector: c)
        loop.start()
        defer { loop.stop() }
        #expect(c.wait { $0.links == [.attached] })
        try pty.write(";6035710000000000=49121200?\r")
        try pty.write("%E?;6006491000000000018=1234?\r\n")
        #expect(c.wait { $0.reads.count == 2 })
        #expect(c.reads == [.read(Array(";6035710000000000=49121200?".utf8)), .read(Array("%E?;6006491000000000018=1234?".utf8))])
    }

    @Test func aReadWithoutTerminatorEndsWhenTheLineGoesIdle() throws {
        let pty = try PseudoTerminal()
        let c = Collector()
        let loop = serialLoop(path: pty.slavePath, idleMs: 50, collector: c)
        loop.start()
        defer { loop.stop() }
        #expect(c.wait { !$0.links.isEmpty })
        // A reader that pauses 10 ms between bursts (MagTek RS-232) is still one read.
        try pty.write(";603571000")
        usleep(10_000)
        try pty.write("0000000=49121200?")
        #expect(c.wait { $0.reads.count == 1 })
        #expect(c.reads == [.read(Array(";6035710000000000=49121200?".utf8))])
    }

    @Test func aMissingDeviceIsReportedAndTheLoopKeepsTrying() throws {
        let dir = try TemporaryDirectory()
        let c = Collector()
        let loop = serialLoop(path: dir.file("ttyUSB9"), collector: c)
        loop.start()
        #expect(c.wait { !$0.links.isEmpty })
        guard case .detached(let reason) = c.links.first else { Issue.record("expected detached"); return }
        #expect(reason.contains("No such file"))
        loop.stop()  // returns promptly although the loop is waiting to retry
    }

    @Test func aHangUpDetachesAndAReplacedDeviceIsReattached() throws {
        let dir = try TemporaryDirectory()
        let link = dir.file("reader")
        let first = try PseudoTerminal()
        #expect(symlink(first.slavePath, link) == 0)
        let c = Collector()
        let loop = serialLoop(path: link, collector: c)
        loop.start()
        defer { loop.stop() }
        #expect(c.wait { $0.links == [.attached] })
        first.hangUp()
        #expect(c.wait { $0.links.count >= 2 })
        guard case .detached = c.links[1] else { Issue.record("expected detached, got \(c.links)"); return }
        // "Plug in" a new adapter under the same name.
        let second = try PseudoTerminal()
        unlink(link)
        #expect(symlink(second.slavePath, link) == 0)
        #expect(c.wait(timeout: 10) { $0.links.last == .attached })
        try second.write(";1=2?\r")
        #expect(c.wait { $0.reads.count == 1 })
    }

    @Test func aFileThatIsNotATerminalIsRefused() throws {
        #expect(throws: SystemError.self) { try SerialPort(path: "/dev/null", settings: SerialSettings()) }
        #expect(throws: SystemError.self) { try SerialPort(path: "/dev/null", settings: SerialSettings(baud: 1234)) }
        #expect(SerialSettings(baud: 9600, dataBits: 9).problem != nil)
    }

    @Test func termiosBitsFollowTheSettings() {
        var t = termios()
        SerialSettings(baud: 19200, dataBits: 7, parity: .even, stopBits: 2, flowControl: .rtscts).apply(to: &t)
        #expect(cfgetispeed(&t) == speed_t(B19200))
        #expect(cfgetospeed(&t) == speed_t(B19200))
        #expect(t.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS7))
        #expect(t.c_cflag & tcflag_t(PARENB) != 0)
        #expect(t.c_cflag & tcflag_t(PARODD) == 0)
        #expect(t.c_iflag & tcflag_t(INPCK) != 0)
        #expect(t.c_cflag & tcflag_t(CSTOPB) != 0)
        #expect(t.c_cflag & tcflag_t(CRTSCTS) != 0)
        #expect(t.c_cflag & tcflag_t(CLOCAL) != 0)
        #expect(t.c_lflag & tcflag_t(ICANON) == 0)
        #expect(t.c_lflag & tcflag_t(ECHO) == 0)
        var u = t
        SerialSettings(baud: 9600, parity: .odd, flowControl: .xonxoff).apply(to: &u)
        #expect(u.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
        #expect(u.c_cflag & tcflag_t(PARODD) != 0)
        #expect(u.c_cflag & tcflag_t(CSTOPB) == 0)
        #expect(u.c_cflag & tcflag_t(CRTSCTS) == 0)
        #expect(u.c_iflag & tcflag_t(IXON) != 0)
    }

    @Test func aPseudoTerminalIsOpenedRawAtTheBaudRateAndExclusive() throws {
        // A pty keeps speed and mode bits (it ignores character size and parity, which
        // the test above checks on the termios structure itself).
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath, settings: SerialSettings(baud: 19200, stopBits: 2))
        var t = termios()
        #expect(tcgetattr(port.fd, &t) == 0)
        #expect(cfgetispeed(&t) == speed_t(B19200))
        #expect(t.c_lflag & tcflag_t(ICANON) == 0)
        // TIOCEXCL: a second open is refused (root may override it, so only check as a user).
        if geteuid() != 0 {
            #expect(throws: SystemError.self) { try SerialPort(path: pty.slavePath, settings: SerialSettings()) }
        }
    }
}

@Suite struct PrinterTransportTests {
    @Test func targetsParse() {
        #expect(PrinterTarget.parse("tcp://10.0.0.5:9100") == .success(.tcp(host: "10.0.0.5", port: 9100)))
        #expect(PrinterTarget.parse("tcp://printer") == .success(.tcp(host: "printer", port: 9100)))
        #expect(PrinterTarget.parse("tcp://[::1]:9100") == .success(.tcp(host: "::1", port: 9100)))
        #expect(PrinterTarget.parse("file:/var/lib/x.bin") == .success(.path("/var/lib/x.bin")))
        #expect(PrinterTarget.parse("/dev/usb/lp0") == .success(.path("/dev/usb/lp0")))
        for bad in ["tcp://host:0", "tcp://host:99999", "tcp://:9100", "file:relative", "lp0", ""] {
            guard case .failure = PrinterTarget.parse(bad) else { Issue.record("accepted \(bad)"); continue }
        }
    }

    @Test func usbTargetsParseAndPrint() {
        #expect(PrinterTarget.parse("usb:04b8:0202") == .success(.usb(vendorId: 0x04b8, productId: 0x0202, serial: nil)))
        #expect(PrinterTarget.parse("usb:04B8:0E28?serial=X5E1234567") == .success(.usb(vendorId: 0x04b8, productId: 0x0e28, serial: "X5E1234567")))
        #expect(PrinterTarget.usb(vendorId: 0x0519, productId: 0x000b, serial: nil).description == "usb:0519:000b")
        #expect(PrinterTarget.usb(vendorId: 0x04b8, productId: 0x0e28, serial: "S1").description == "usb:04b8:0e28?serial=S1")
        for bad in ["usb:", "usb:4b8:0202", "usb:04b8", "usb:04b8:0202:1", "usb:zzzz:0202", "usb:04b8:0202?serial=", "usb:04b8:0202?baud=9600"] {
            guard case .failure(let e) = PrinterTarget.parse(bad) else { Issue.record("accepted \(bad)"); continue }
            #expect(e.why.contains("usb:VENDOR:PRODUCT"))
        }
    }

    @Test func hotPlugEventsAreMatchedToThePrinter() {
        let usb = PrinterTarget.usb(vendorId: 0x04b8, productId: 0x0e28, serial: nil)
        func usbEvent(_ action: String, product: String?, devtype: String = "usb_device") -> UdevMonitor.Event {
            UdevMonitor.Event(action: action, subsystem: "usb", devnode: "/dev/bus/usb/001/007", sysPath: "/sys/devices/x", devtype: devtype, product: product)
        }
        #expect(usb.isConcerned(by: usbEvent("add", product: "4b8/e28/100"), resolvedNode: nil))
        #expect(usb.isConcerned(by: usbEvent("remove", product: "4b8/e28/100"), resolvedNode: nil))
        #expect(!usb.isConcerned(by: usbEvent("add", product: "4b8/e29/100"), resolvedNode: nil))
        #expect(!usb.isConcerned(by: usbEvent("add", product: "4b8/e28/100", devtype: "usb_interface"), resolvedNode: nil))
        #expect(!usb.isConcerned(by: usbEvent("add", product: nil), resolvedNode: nil))
        #expect(usb.hotPlugSubsystems == ["usb"])

        let lp = PrinterTarget.path("/dev/giftbridge/printer-X1")
        let lpEvent = UdevMonitor.Event(action: "remove", subsystem: "usbmisc", devnode: "/dev/usb/lp0", sysPath: "/sys/class/usbmisc/lp0")
        // The link is gone when the remove comes: matched by the node it pointed to.
        #expect(lp.isConcerned(by: lpEvent, resolvedNode: "/dev/usb/lp0"))
        #expect(!lp.isConcerned(by: lpEvent, resolvedNode: "/dev/usb/lp1"))
        #expect(PrinterTarget.path("/dev/usb/lp0").isConcerned(by: lpEvent, resolvedNode: nil))
        #expect(PrinterTarget.tcp(host: "p", port: 9100).hotPlugSubsystems.isEmpty)
        #expect(PrinterTarget.path("/var/lib/receipts.bin").hotPlugSubsystems.isEmpty)
    }

    @Test func usbPrinterThatIsNotThereIsATypedError() {
        // No USB device has these ids (0xffff is reserved): a clean ENOENT, not a crash.
        let printer = USBPrinter(vendorId: 0xffff, productId: 0xfffe)
        #expect(throws: SystemError.self) { try printer.connect() }
        do { _ = try printer.connect() } catch { #expect(error.errno == ENOENT || error.errno == EIO || error.errno == EACCES) }
    }

    @Test func ieee1284DeviceIDs() {
        let text = "MFG:EPSON;CMD:ESC/POS,ESC/POS-E;MDL:TM-T88V;CLS:PRINTER;DES:TM-T88V;"
        var reply: [UInt8] = [0, UInt8(text.utf8.count + 2)]
        reply += Array(text.utf8)
        #expect(IEEE1284DeviceID.text(fromReply: reply) == text)
        let id = IEEE1284DeviceID(text)
        #expect(id.manufacturer == "EPSON")
        #expect(id.model == "TM-T88V")
        #expect(id.commandSets == ["ESC/POS", "ESC/POS-E"])
        #expect(id["cls"] == "PRINTER")
        // Long forms, spaces, a pair without a colon.
        let long = IEEE1284DeviceID("MANUFACTURER:Star Micronics; MODEL: TSP143IIIU ;junk;COMMAND SET:STAR;")
        #expect(long.manufacturer == "Star Micronics")
        #expect(long.model == "TSP143IIIU")
        #expect(long.commandSets == ["STAR"])
        // A declared length past the reply is cut to what came; padding NULs end the text.
        #expect(IEEE1284DeviceID.text(fromReply: [0x03, 0xff] + Array("MFG:X;".utf8)) == "MFG:X;")
        #expect(IEEE1284DeviceID.text(fromReply: [0, 8] + Array("MFG:".utf8) + [0, 0, 0]) == "MFG:")
        // Nothing, binary junk, or a reply too short: nil.
        #expect(IEEE1284DeviceID.text(fromReply: [0, 2]) == nil)
        #expect(IEEE1284DeviceID.text(fromReply: [0]) == nil)
        #expect(IEEE1284DeviceID.text(fromReply: [0, 5, 0x01, 0xfe, 0x80]) == nil)
    }

    @Test func tcpDeliversEveryByte() throws {
        let sink = try TCPSink()
        defer { sink.close() }
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try TCPPrinter(host: "127.0.0.1", port: sink.port, connectTimeoutMs: 1000, writeTimeoutMs: 5000).send(payload)
        #expect(try sink.connection(0) == payload)
    }

    @Test func tcpToNobodyFailsWithATypedError() throws {
        let sink = try TCPSink()
        let port = sink.port
        sink.close()
        do {
            try TCPPrinter(host: "127.0.0.1", port: port, connectTimeoutMs: 500, writeTimeoutMs: 500).send([0x1B, 0x40])
            Issue.record("send succeeded")
        } catch {
            #expect(error.errno == ECONNREFUSED)
            #expect(error.description.contains("tcp://127.0.0.1:\(port)"))
        }
        #expect(throws: SystemError.self) { try TCPPrinter(host: "no-such-host.invalid", port: 9100, connectTimeoutMs: 500, writeTimeoutMs: 500).send([1]) }
    }

    @Test func pathPrinterAppendsToAFile() throws {
        let dir = try TemporaryDirectory()
        let p = PathPrinter(path: dir.file("out.bin"), writeTimeoutMs: 1000)
        try p.send([1, 2, 3])
        try p.send([4])
        #expect(FileManager.default.contents(atPath: dir.file("out.bin")) == Data([1, 2, 3, 4]))
        #expect(throws: SystemError.self) { try PathPrinter(path: dir.file("missing/dir/out.bin"), writeTimeoutMs: 100).send([1]) }
    }

    @Test func pathPrinterWritesToACharacterDevice() throws {
        // A pty stands in for /dev/usb/lp0: the bytes come out of the master unchanged.
        let pty = try PseudoTerminal()
        var t = termios()
        let fd = open(pty.slavePath, O_RDWR | O_NOCTTY)
        tcgetattr(fd, &t)
        cfmakeraw(&t)
        tcsetattr(fd, TCSANOW, &t)
        close(fd)
        try PathPrinter(path: pty.slavePath, writeTimeoutMs: 1000).send([0x1B, 0x40, 0x0A, 0x1D, 0x56, 0x41, 3])
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(pty.master, &buf, 64)
        #expect(Array(buf[0..<max(n, 0)]) == [0x1B, 0x40, 0x0A, 0x1D, 0x56, 0x41, 3])
    }
}

@Suite struct UdevTests {
    @Test func lookupFindsSysfsDevicesAndNotPseudoTerminals() throws {
        let null = UdevInfo.lookup(devicePath: "/dev/null")
        #expect(null?.subsystem == "mem")
        #expect(UdevInfo.lookup(devicePath: "/etc/hostname") == nil)
        #expect(UdevInfo.lookup(devicePath: try PseudoTerminal().slavePath) == nil)
    }

    @Test func usbEnumerationDoesNotFailWithoutABus() {
        // On this VM there may be no USB bus at all: an empty list, not a crash.
        let devices = USBBus.devices()
        for d in devices { #expect(d.vendorId.count == 4) }
    }
}

@Suite(.serialized) struct EvdevReaderTests {
    final class Reads: @unchecked Sendable {
        private let condition = NSCondition()
        private var _items: [WedgeAssembler.Output] = []
        private var _links: [DeviceLinkEvent] = []
        var items: [WedgeAssembler.Output] { condition.withLock { _items } }
        var links: [DeviceLinkEvent] { condition.withLock { _links } }
        func add(_ o: WedgeAssembler.Output) { condition.withLock { _items.append(o); condition.broadcast() } }
        func add(_ l: DeviceLinkEvent) { condition.withLock { _links.append(l); condition.broadcast() } }
        func wait(_ done: (Reads) -> Bool) -> Bool { waitFor(condition, timeout: 5) { done(self) } }
    }

    func keys(_ codes: [UInt16]) -> [UInt8] {
        codes.flatMap { InputEvent(type: 1, code: $0, value: 1).bytes + InputEvent(type: 1, code: $0, value: 0).bytes }
    }

    @Test func recordedEventsThroughAFIFOBecomeReadsAndAClosedWriterDetaches() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("event0")
        #expect(mkfifo(path, 0o600) == 0)
        let r = Reads()
        let loop = DeviceLoop(name: "wedge", open: { try EvdevReadSession(path: path, idleTimeoutMilliseconds: 80) { r.add($0) } }, onLink: { r.add($0) })
        loop.start()
        defer { loop.stop() }
        #expect(r.wait { $0.links == [.attached] })
        let writer = open(path, O_WRONLY)
        #expect(writer >= 0)
        // ";12=3?" on a US keyboard, then Enter; written in odd-sized pieces.
        let bytes = keys([39, 2, 3, 13, 4]) + InputEvent(type: 1, code: 42, value: 1).bytes + keys([53]) + InputEvent(type: 1, code: 42, value: 0).bytes + keys([28])
        for chunk in stride(from: 0, to: bytes.count, by: 7) {
            let piece = Array(bytes[chunk..<min(chunk + 7, bytes.count)])
            _ = piece.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        }
        #expect(r.wait { $0.items.count == 1 })
        guard case .read(let read) = r.items.first else { Issue.record("no read"); return }
        #expect(read.text(KeyboardLayout.named("us")!) == ";12=3?")
        close(writer)
        #expect(r.wait { $0.links.count >= 2 })
        guard case .detached = r.links[1] else { Issue.record("expected detached, got \(r.links)"); return }
    }

    @Test func aRegularFileIsNotAnInputDevice() throws {
        let dir = try TemporaryDirectory()
        FileManager.default.createFile(atPath: dir.file("x"), contents: Data())
        #expect(throws: SystemError.self) { try EvdevReadSession(path: dir.file("x"), idleTimeoutMilliseconds: 10) { _ in } }
        #expect(throws: SystemError.self) { try EvdevReadSession(path: dir.file("missing"), idleTimeoutMilliseconds: 10) { _ in } }
    }
}

@Suite(.serialized) struct HidrawReaderTests {
    final class Outputs: @unchecked Sendable {
        private let condition = NSCondition()
        private var _items: [HidrawReadSession.Output] = []
        private var _links: [DeviceLinkEvent] = []
        var items: [HidrawReadSession.Output] { condition.withLock { _items } }
        var links: [DeviceLinkEvent] { condition.withLock { _links } }
        func add(_ o: HidrawReadSession.Output) { condition.withLock { _items.append(o); condition.broadcast() } }
        func add(_ l: DeviceLinkEvent) { condition.withLock { _links.append(l); condition.broadcast() } }
        func wait(_ done: (Outputs) -> Bool) -> Bool { waitFor(condition, timeout: 5) { done(self) } }
    }

    /// Report 2: length, AIM, 56 data bytes, code id, flags (bit 0: continued) — Honeywell's layout.
    static let descriptor: [UInt8] = [
        0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
        0x95, 0x01, 0x09, 0x00, 0x81, 0x02, 0x95, 0x03, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,
        0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01, 0x06, 0x66, 0xFF, 0x95, 0x02, 0x09, 0x04, 0x09, 0x00, 0x81, 0x02,
        0x05, 0x8C, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x09, 0xFF, 0x81, 0x02, 0xC0, 0xC0,
    ]

    static func report(_ aim: String, _ data: String, continued: Bool = false) -> [UInt8] {
        var d = Array(data.utf8)
        d += [UInt8](repeating: 0, count: 56 - d.count)
        return [0x02, UInt8(data.utf8.count)] + Array(aim.utf8) + d + [0, 0, continued ? 1 : 0]
    }

    func withFIFO(kind: HidrawReadSession.Kind, idleMs: Int32 = 80, _ body: (Int32, Outputs) throws -> Void) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("hidraw0")
        #expect(mkfifo(path, 0o600) == 0)
        let out = Outputs()
        let loop = DeviceLoop(name: "hid", open: { try HidrawReadSession(path: path, kind: kind, idleTimeoutMilliseconds: idleMs) { out.add($0) } }, onLink: { out.add($0) })
        loop.start()
        defer { loop.stop() }
        #expect(out.wait { $0.links == [.attached] })
        let writer = open(path, O_WRONLY)
        #expect(writer >= 0)
        defer { close(writer) }
        try body(writer, out)
    }

    func write(_ fd: Int32, _ bytes: [UInt8], pieces: Int = 13) {
        for start in stride(from: 0, to: bytes.count, by: pieces) {
            let piece = Array(bytes[start..<min(start + pieces, bytes.count)])
            _ = piece.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        }
    }

    @Test func posScannerReportsBecomeScans() throws {
        try withFIFO(kind: .posScanner(descriptor: Self.descriptor)) { fd, out in
            // One scan in one report, then one in two reports, written in odd-sized pieces.
            let long = String(repeating: "7", count: 70)
            write(fd, Self.report("]C0", "6006491000000000018") + Self.report("]E0", String(long.prefix(56)), continued: true) + Self.report("]E0", String(long.dropFirst(56))))
            #expect(out.wait { $0.items.count == 2 })
            #expect(out.items == [.scan(Array("]C06006491000000000018".utf8)), .scan(Array(("]E0" + long).utf8))])
        }
    }

    @Test func aScanWhoseLastReportNeverComesEndsOnIdle() throws {
        try withFIFO(kind: .posScanner(descriptor: Self.descriptor), idleMs: 50) { fd, out in
            write(fd, Self.report("]E0", "4012345", continued: true))
            #expect(out.wait { $0.items.count == 1 })
            #expect(out.items == [.scan(Array("]E04012345".utf8))])
            // An unknown report id cannot be cut into reports: reported, and the stream goes on.
            write(fd, [0x09, 1, 2, 3])
            #expect(out.wait { $0.items.count == 2 })
            guard case .badReport(let why) = out.items.last else { Issue.record("\(out.items)"); return }
            #expect(why.contains("report id 9"))
            write(fd, Self.report("]C0", "42"))
            #expect(out.wait { $0.items.count == 3 })
            #expect(out.items.last == .scan(Array("]C042".utf8)))
        }
    }

    @Test func magtekReportsArePassedWhole() throws {
        try withFIFO(kind: .magtek) { fd, out in
            let report = MagTekHIDReport.make(track2: ";6035710000000000=49121200?")
            write(fd, report + report, pieces: 100)
            #expect(out.wait { $0.items.count == 2 })
            #expect(out.items == [.magtekReport(report), .magtekReport(report)])
            // Half a report, then silence: dropped as truncated, never guessed at.
            write(fd, Array(report.prefix(100)))
            #expect(out.wait { $0.items.count == 3 })
            guard case .badReport(let why) = out.items.last else { Issue.record("\(out.items)"); return }
            #expect(why.contains("truncated"))
        }
    }

    @Test func aScannerNeedsADescriptorThatDescribesAScanner() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("fifo")
        #expect(mkfifo(path, 0o600) == 0)
        // A FIFO has no descriptor to ask for; a keyboard's descriptor is not a scanner's.
        #expect(throws: SystemError.self) { try HidrawReadSession(path: path, kind: .posScanner(descriptor: nil), idleTimeoutMilliseconds: 10) { _ in } }
        let keyboard: [UInt8] = [0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0xC0]
        #expect(throws: SystemError.self) { try HidrawReadSession(path: path, kind: .posScanner(descriptor: keyboard), idleTimeoutMilliseconds: 10) { _ in } }
        #expect(throws: SystemError.self) { try HidrawReadSession(path: "/dev/null", kind: .magtek, idleTimeoutMilliseconds: 10) { _ in } }
    }
}

@Suite(.serialized) struct HotPlugTests {
    @Test func retryNowEndsTheBackoffWait() throws {
        let dir = try TemporaryDirectory()
        let link = dir.file("ttyUSB0")
        let c = Collector()
        let loop = serialLoop(path: link, collector: c)
        loop.initialBackoffMs = 30_000
        loop.maximumBackoffMs = 60_000
        loop.start()
        defer { loop.stop() }
        #expect(c.wait { $0.links.count == 1 })  // not there: detached, next try in 30 s
        let pty = try PseudoTerminal()
        #expect(symlink(pty.slavePath, link) == 0)
        let plugged = Date()
        loop.retryNow()  // what the udev monitor does on "add"
        #expect(c.wait(timeout: 5) { $0.links.last == .attached })
        #expect(Date().timeIntervalSince(plugged) < 5)
        // A retry wake-up while attached changes nothing.
        loop.retryNow()
        try pty.write(";1=2?\r")
        #expect(c.wait { $0.reads.count == 1 })
        #expect(c.links.count == 2)
    }

    /// The kernel announces a device when its `uevent` file is written (root only; skipped
    /// elsewhere).
    static let ueventFile = "/sys/devices/virtual/tty/tty/uevent"
    @Test(.enabled(if: access(HotPlugTests.ueventFile, W_OK) == 0)) func theMonitorHearsTheKernel() throws {
        let monitor = try UdevMonitor(subsystems: ["tty"], source: "kernel")
        let events = Mutex<[UdevMonitor.Event]>([])
        let heard = DispatchSemaphore(value: 0)
        monitor.start { e in
            events.withLock { $0.append(e) }
            heard.signal()
        }
        defer { monitor.stop() }
        let fd = open(Self.ueventFile, O_WRONLY)
        #expect(fd >= 0)
        _ = write(fd, "change", 6)
        close(fd)
        #expect(heard.wait(timeout: .now() + 5) == .success)
        let e = try #require(events.withLock { $0.first })
        #expect(e.action == "change")
        #expect(e.subsystem == "tty")
        #expect(e.sysPath.hasSuffix("/tty/tty"))
    }
}
