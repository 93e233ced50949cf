/// Real-time status of an ESC/POS printer from `DLE EOT n` (0x10 0x04 n) replies, Epson's
/// layout, which Star (ESC/POS mode), Bixolon, Citizen and the clones follow. Each reply is one
/// byte with bits 1 and 4 set and bits 0 and 7 clear; anything else is not a status reply.
public struct PrinterStatus: Sendable, Equatable, Codable {
    /// n = 1, printer status: bit 3 offline.
    public var offline = false
    /// n = 2, offline cause: bit 2 cover open.
    public var coverOpen = false
    /// n = 2, bit 5: printing stopped because the paper ran out.
    public var paperOutStop = false
    /// n = 2, bit 6, or n = 3 bit 5 (unrecoverable error).
    public var error = false
    /// n = 3, bit 3: autocutter error (a jam; cleared by the operator).
    public var cutterError = false
    /// n = 3, bit 6: an error the printer recovers from by itself (print head too hot).
    public var recoverableError = false
    /// n = 2, bit 3: paper being fed by the feed button.
    public var feeding = false
    /// n = 4, bits 2–3: roll paper near end.
    public var paperNearEnd = false
    /// n = 4, bits 5–6: roll paper end.
    public var paperOut = false
    /// n = 1, bit 2: the level of the drawer kick-out connector's pin 3, where a cash drawer's
    /// sensor switch is wired (nil until a reply to n = 1 says). Whether high means open is the
    /// drawer's wiring: ``CashDrawer/openWhenHigh``.
    public var drawerPin3High: Bool?

    public init() {}

    /// The four queries, in the order a status check sends them.
    public static let queries: [UInt8] = [1, 2, 3, 4]

    /// The bytes of one query.
    public static func query(_ n: UInt8) -> [UInt8] { [0x10, 0x04, n] }

    /// Whether `byte` has the fixed bits of a status reply.
    public static func isReply(_ byte: UInt8) -> Bool { byte & 0x93 == 0x12 }

    public enum ReplyError: Error, Equatable, Sendable, CustomStringConvertible {
        case notAStatusReply(query: UInt8, byte: UInt8)
        public var description: String {
            switch self {
            case .notAStatusReply(let q, let b): "reply 0x\(String(b, radix: 16)) to DLE EOT \(q) is not a status byte"
            }
        }
    }

    /// Folds one reply into the status.
    public mutating func apply(query n: UInt8, reply byte: UInt8) throws(ReplyError) {
        guard Self.isReply(byte) else { throw .notAStatusReply(query: n, byte: byte) }
        func bit(_ i: UInt8) -> Bool { byte & (1 << i) != 0 }
        switch n {
        case 1:
            offline = bit(3)
            drawerPin3High = bit(2)
        case 2:
            coverOpen = bit(2)
            feeding = bit(3)
            paperOutStop = bit(5)
            error = error || bit(6)
        case 3:
            cutterError = bit(3)
            error = error || bit(5)
            recoverableError = bit(6)
        case 4:
            paperNearEnd = bit(2) || bit(3)
            paperOut = bit(5) || bit(6)
        default: break
        }
    }

    /// The status from replies to the queries in ``queries``, in order.
    public static func parse(_ replies: [UInt8]) throws(ReplyError) -> PrinterStatus {
        var s = PrinterStatus()
        for (i, byte) in replies.enumerated() where i < queries.count {
            try s.apply(query: queries[i], reply: byte)
        }
        return s
    }

    /// The status from a USB printer class port status byte (IEEE 1284 lines: bit 5 paper
    /// empty, bit 4 select, bit 3 not-error), for printers that do not answer `DLE EOT`.
    /// Paper empty is paper out; a cleared not-error line is an error. Select is not used:
    /// many printers (and the Linux printer gadget) never raise it while printing fine. An
    /// all-zero byte is what devices that do not implement the request return: nil, no status.
    public init?(portStatus byte: UInt8) {
        guard byte != 0 else { return nil }
        self.init()
        paperOut = byte & 0x20 != 0
        error = byte & 0x08 == 0 && !paperOut
    }

    /// Folds a port status into a `DLE EOT` status: the port's paper-empty line is added (some
    /// printers report paper out only there).
    public mutating func merge(portStatus byte: UInt8) {
        guard let port = PrinterStatus(portStatus: byte) else { return }
        paperOut = paperOut || port.paperOut
    }

    /// The status without the drawer sensor: what a printer fault is made of.
    public var withoutDrawer: PrinterStatus {
        var s = self
        s.drawerPin3High = nil
        return s
    }

    /// Whether a job may be sent: online, cover shut, paper in, no error. Near end is fine.
    public var canPrint: Bool { problem == nil }

    /// The most important problem, as a machine code (nil when fine).
    public var problem: String? {
        if coverOpen { return "cover_open" }
        if paperOut || paperOutStop { return "paper_out" }
        if cutterError { return "cutter_error" }
        if error { return "printer_error" }
        if recoverableError { return "recovering" }
        if offline { return "offline" }
        return nil
    }

    /// Short human text, e.g. "paper out" or "ready (paper near end)".
    public var summary: String {
        var text: String
        switch problem {
        case "cover_open": text = "cover open"
        case "paper_out": text = "paper out"
        case "cutter_error": text = "cutter error"
        case "printer_error": text = "error"
        case "recovering": text = "recovering (print head cooling)"
        case "offline": text = "offline"
        default: text = "ready"
        }
        if paperNearEnd && problem == nil { text += " (paper near end)" }
        return text
    }
}
