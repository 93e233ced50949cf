import Testing

@testable import ESCPOS

@Suite struct PrinterStatusTests {
    @Test func repliesOfAFinePrinter() throws {
        // Bits 1 and 4 set in every reply: 0x12 is "nothing to report".
        let s = try PrinterStatus.parse([0x12, 0x12, 0x12, 0x12])
        #expect(s.canPrint)
        #expect(s.problem == nil)
        #expect(s.summary == "ready")
        #expect(PrinterStatus.query(4) == [0x10, 0x04, 0x04])
    }

    @Test func eachFaultByItsBits() throws {
        // Paper out: n=2 bit 5 (printing stopped), n=4 bits 5–6; offline (n=1 bit 3).
        let paperOut = try PrinterStatus.parse([0x1A, 0x32, 0x12, 0x72])
        #expect(paperOut.paperOut && paperOut.paperOutStop && paperOut.offline)
        #expect(paperOut.problem == "paper_out")
        #expect(!paperOut.canPrint)
        // Cover open: n=2 bit 2; named before the paper.
        let cover = try PrinterStatus.parse([0x1A, 0x16, 0x12, 0x12])
        #expect(cover.problem == "cover_open")
        #expect(cover.summary == "cover open")
        // Near end only: still prints.
        let near = try PrinterStatus.parse([0x12, 0x12, 0x12, 0x1E])
        #expect(near.paperNearEnd && near.canPrint)
        #expect(near.summary == "ready (paper near end)")
        // n=3: autocutter (bit 3), unrecoverable (bit 5), head too hot (bit 6).
        #expect(try PrinterStatus.parse([0x12, 0x12, 0x1A, 0x12]).problem == "cutter_error")
        #expect(try PrinterStatus.parse([0x12, 0x12, 0x32, 0x12]).problem == "printer_error")
        #expect(try PrinterStatus.parse([0x12, 0x12, 0x52, 0x12]).problem == "recovering")
        #expect(try PrinterStatus.parse([0x12, 0x52, 0x12, 0x12]).problem == "printer_error")
        #expect(try PrinterStatus.parse([0x1A]).problem == "offline")
    }

    /// DLE EOT 1 bit 2 is the drawer connector's pin 3 (emupos: `16` with the drawer open, as
    /// docs/emupos.md measured); the drawer's wiring decides what the level means.
    @Test func theDrawerSensorIsPin3OfDLEEOT1() throws {
        let open = try PrinterStatus.parse([0x16, 0x12, 0x12, 0x12])
        #expect(open.drawerPin3High == true)
        #expect(open.canPrint, "an open drawer is no printer fault")
        #expect(open.withoutDrawer == (try PrinterStatus.parse([0x12, 0x12, 0x12, 0x12])).withoutDrawer)
        let shut = try PrinterStatus.parse([0x12, 0x12, 0x12, 0x12])
        #expect(shut.drawerPin3High == false)
        #expect(try PrinterStatus.parse([0x1E, 0x12, 0x12, 0x12]).offline, "offline with the drawer open")
        #expect(PrinterStatus().drawerPin3High == nil)
        #expect(CashDrawer().isOpen(open) == true && CashDrawer().isOpen(shut) == false)
        let reversed = CashDrawer(openWhenHigh: false)
        #expect(reversed.isOpen(open) == false && reversed.isOpen(shut) == true)
        #expect(CashDrawer().isOpen(PrinterStatus()) == nil)
    }

    @Test func theKickIsESCpWithThePinAndPulse() {
        #expect(CashDrawer().kick == [0x1B, 0x70, 0x00, 50, 250])
        #expect(CashDrawer(pin: 5, onMs: 120, offMs: 500).kick == [0x1B, 0x70, 0x01, 60, 250])
        #expect(CashDrawer(pin: 2, onMs: 510, offMs: 2).kick == [0x1B, 0x70, 0x00, 255, 1])
    }

    @Test func bytesWithoutTheFixedBitsAreNotReplies() {
        #expect(throws: PrinterStatus.ReplyError.notAStatusReply(query: 1, byte: 0x00)) { try PrinterStatus.parse([0x00]) }
        #expect(throws: PrinterStatus.ReplyError.notAStatusReply(query: 2, byte: 0x93)) { try PrinterStatus.parse([0x12, 0x93]) }
        #expect(!PrinterStatus.isReply(0x41))
        #expect((0...255).filter { PrinterStatus.isReply(UInt8($0)) }.count == 16)
    }

    @Test func usbPortStatus() {
        // IEEE 1284 lines: 0x18 selected, no error; 0x08 no error (the Linux gadget's default).
        #expect(PrinterStatus(portStatus: 0x18)?.canPrint == true)
        #expect(PrinterStatus(portStatus: 0x08)?.canPrint == true)
        // Paper empty (with or without the error line).
        #expect(PrinterStatus(portStatus: 0x38)?.problem == "paper_out")
        #expect(PrinterStatus(portStatus: 0x30)?.problem == "paper_out")
        // Error line down, paper fine.
        #expect(PrinterStatus(portStatus: 0x10)?.problem == "printer_error")
        // All zero: the device does not implement the request.
        #expect(PrinterStatus(portStatus: 0x00) == nil)
        // Merged into a DLE EOT status: paper empty is added, nothing else changes.
        var s = try! PrinterStatus.parse([0x16, 0x12, 0x12, 0x12])
        s.merge(portStatus: 0x38)
        #expect(s.problem == "paper_out")
        var fine = try! PrinterStatus.parse([0x16, 0x12, 0x12, 0x12])
        fine.merge(portStatus: 0x10)
        #expect(fine.canPrint)
    }
}
