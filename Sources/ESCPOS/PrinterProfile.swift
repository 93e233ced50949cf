/// What the encoder needs to know about a printer model: its paper, its fonts and which `ESC t n`
/// slot holds which code page. Facts from escpos-printer-db (receipt-print-hq), see
/// `docs/` and the research notes for the sources.
public struct PrinterProfile: Sendable, Equatable {
    public var name: String
    public var vendor: String
    /// Characters per line in font A.
    public var columns: Int
    /// Printable width in dots.
    public var dotsWidth: Int
    /// Code page → `ESC t n` slot, for the pages the printer has.
    public var codePages: [CodePage: UInt8]
    /// Pages tried, in order, for a character the current page lacks. The first page holding "€"
    /// comes first, so "€" prints right by default.
    public var preference: [CodePage]
    /// Star printers in ESC/POS emulation select tables with `ESC GS t n`.
    public var starCommands: Bool
    public var nativeQR: Bool

    public init(
        name: String, vendor: String, columns: Int, dotsWidth: Int, codePages: [CodePage: UInt8],
        preference: [CodePage] = [.cp858, .cp1252, .iso8859_15, .cp850, .cp852, .cp866, .cp437],
        starCommands: Bool = false, nativeQR: Bool = true
    ) {
        self.name = name
        self.vendor = vendor
        self.columns = columns
        self.dotsWidth = dotsWidth
        self.codePages = codePages
        self.preference = preference.filter { codePages[$0] != nil }
        self.starCommands = starCommands
        self.nativeQR = nativeQR
    }

    /// The Epson slots that TM-T88V/VI, TM-T20II/III and most clones share.
    static let epsonSlots: [CodePage: UInt8] = [
        .cp437: 0, .cp850: 2, .cp1252: 16, .cp866: 17, .cp852: 18, .cp858: 19, .iso8859_15: 40,
    ]

    public static let generic80mm = PrinterProfile(
        name: "generic-80mm", vendor: "Generic", columns: 48, dotsWidth: 576, codePages: epsonSlots)
    public static let generic58mm = PrinterProfile(
        name: "generic-58mm", vendor: "Generic", columns: 32, dotsWidth: 384, codePages: epsonSlots)
    public static let epsonTMT88V = PrinterProfile(
        name: "epson-tm-t88v", vendor: "Epson", columns: 42, dotsWidth: 512, codePages: epsonSlots)
    public static let epsonTMT88VI = PrinterProfile(
        name: "epson-tm-t88vi", vendor: "Epson", columns: 42, dotsWidth: 512, codePages: epsonSlots)
    public static let epsonTMT20II = PrinterProfile(
        name: "epson-tm-t20ii", vendor: "Epson", columns: 48, dotsWidth: 576, codePages: epsonSlots)
    public static let epsonTMT20III = PrinterProfile(
        name: "epson-tm-t20iii", vendor: "Epson", columns: 48, dotsWidth: 576, codePages: epsonSlots)
    /// TM-m30: escpos-printer-db marks slot 19 unknown, so CP858 is not offered.
    public static let epsonTMm30 = PrinterProfile(
        name: "epson-tm-m30", vendor: "Epson", columns: 48, dotsWidth: 576,
        codePages: [.cp437: 0, .cp850: 2, .cp1252: 16, .cp866: 17, .cp852: 18, .iso8859_15: 40])
    public static let starESCPOS = PrinterProfile(
        name: "star-escpos", vendor: "Star", columns: 48, dotsWidth: 576,
        codePages: [.cp437: 1, .cp858: 4, .cp852: 5, .cp866: 10, .cp1252: 32],
        starCommands: true)
    public static let bixolonSRP350 = PrinterProfile(
        name: "bixolon-srp-350", vendor: "Bixolon", columns: 42, dotsWidth: 512,
        codePages: [.cp437: 0, .cp850: 2, .cp1252: 16, .cp866: 17, .cp852: 18, .cp858: 19, .iso8859_15: 40])

    public static let all: [PrinterProfile] = [
        generic80mm, generic58mm, epsonTMT88V, epsonTMT88VI, epsonTMT20II, epsonTMT20III, epsonTMm30, starESCPOS, bixolonSRP350,
    ]

    public static func named(_ name: String) -> PrinterProfile? { all.first { $0.name == name } }
}
