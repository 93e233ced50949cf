/// Draws an ESC/POS byte stream the way a thermal printer would print it, onto a 1-bit
/// ``Bitmap`` as wide as the profile's paper (``PrinterProfile/dotsWidth``) and as tall as the
/// receipt: a preview for designing receipts without a printer. Pure: no I/O.
///
/// Interpreted (standard mode; Epson's ESC/POS reference describes each command):
/// * text: printable bytes, `LF`, `CR` (ignored, as with automatic line feed off), `HT` (tab
///   stops every 8 characters, or `ESC D`), `ESC SP` spacing, `ESC $` / `ESC \` positions;
///   bytes 80–FF through the code page `ESC t n` (or Star's `ESC GS t n`) selects, by the
///   profile's slot table; a slot the profile does not list draws U+FFFD.
/// * styles: `ESC !`, `ESC E` and `ESC G` (bold: each glyph drawn twice, one dot apart),
///   `ESC -` (1- or 2-dot underline), `GS !` (width and height ×1…8), `ESC M` (font A 12×24,
///   B 9×17), `GS B` (white on black), `ESC a` (alignment, taken when a line starts),
///   `GS L` / `GS W` (left margin and print area), `ESC 2` / `ESC 3` (line spacing; default 30).
/// * paper: `ESC d n` (lines), `ESC J n` (dots), `GS V` and `ESC i`/`ESC m` (a dashed line
///   marks the cut: long dashes full, short dashes partial), `ESC @` (reset; drops the line
///   being built, as the printer clears its buffer).
/// * graphics: `GS v 0` raster images (all four scalings), `ESC *` column images (8 and
///   24 dots), `GS ( L` / `GS 8 L` monochrome graphics (function 112 store, 50 print).
/// * codes: `GS k` CODE128 (m = 73, payload with `{A`/`{B`/`{C`, `{S`, `{1`…`{4`, `{{`),
///   EAN-13, UPC-A, EAN-8, CODE39 and ITF, both function A (NUL-terminated) and B (length byte),
///   with `GS h` height, `GS w` module width, `GS H` HRI position and `GS f` HRI font;
///   `GS ( k` QR Code: functions 165 (model; model 1 and micro are drawn as model 2), 167
///   (module size), 169 (error correction), 180 (store), 181 (print), drawn by ``QRCode``
///   without a quiet zone, as printers do.
/// * recorded, not drawn: `ESC p` and `DLE DC4 1` drawer kicks, cuts (also drawn), unknown
///   commands, unsupported symbols, truncated commands (see ``Note``).
///
/// Everything else Epson documents with a known length (status requests, NV images, user
/// characters, page mode, …) is skipped by that length; an unknown `ESC x` / `GS x` / `FS x`
/// skips those two bytes. The input may be anything: commands cut off by its end, lengths that
/// promise more data than there is, garbage. Nothing traps; every index is checked. Output is at
/// most ``maxHeight`` dots tall (default 20 000, 2.5 m of 203-dpi paper); what would print
/// below is dropped and noted. Heights above ``ImageLimits/maxDimension`` are allowed here, so
/// a long preview is a bitmap that ``PNG/decode(_:)`` would refuse to read back.
public struct ESCPOSRenderer: Sendable {
    public static let defaultMaxHeight = 20_000

    /// Something the renderer met that the picture alone does not show.
    public struct Note: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// A command this renderer does not know; its first bytes.
            case unknownCommand([UInt8])
            /// A command whose parameters or data the input ends before; its first bytes.
            case truncated([UInt8])
            /// `ESC t n` for a slot the profile has no code page for.
            case unknownCodePage(slot: UInt8)
            /// A command understood but not drawn (e.g. "PDF417", "NV image").
            case unsupported(String)
            /// `GS k` data its symbology cannot hold (the printer prints nothing).
            case invalidBarcode(type: UInt8)
            /// A barcode wider than the print area (the printer prints nothing).
            case barcodeTooWide(dots: Int, available: Int)
            /// `GS ( k` print without stored data, or data too long for a QR symbol.
            case qrNotPrinted(String)
            /// `ESC p` / `DLE DC4 1`: the drawer on connector pin 2 or 5 opens here.
            case drawerKick(pin: Int)
            /// `GS V` / `ESC i` / `ESC m`, drawn at row `y`.
            case cut(partial: Bool, y: Int)
            /// Output reached ``ESCPOSRenderer/maxHeight``: the rest is not drawn.
            case heightLimit(Int)
        }

        /// Offset of the command in the input.
        public let offset: Int
        public let kind: Kind

        public init(offset: Int, kind: Kind) {
            self.offset = offset
            self.kind = kind
        }

        public var description: String {
            func hex(_ b: [UInt8]) -> String {
                b.map { let s = String($0, radix: 16, uppercase: true); return s.count == 1 ? "0" + s : s }
                    .joined(separator: " ")
            }
            let what: String
            switch kind {
            case .unknownCommand(let b): what = "unknown command \(hex(b)), skipped"
            case .truncated(let b): what = "command \(hex(b)) cut off by the end of the data"
            case .unknownCodePage(let slot): what = "code page slot \(slot) not in the profile"
            case .unsupported(let s): what = "\(s) not drawn"
            case .invalidBarcode(let m): what = "barcode type \(m): data not valid for it, not printed"
            case .barcodeTooWide(let d, let a): what = "barcode \(d) dots wide, only \(a) available, not printed"
            case .qrNotPrinted(let s): what = "QR Code not printed: \(s)"
            case .drawerKick(let pin): what = "cash drawer kick (pin \(pin))"
            case .cut(let partial, let y): what = "\(partial ? "partial" : "full") cut at row \(y)"
            case .heightLimit(let h): what = "preview stops at \(h) dots"
            }
            return "byte \(offset): \(what)"
        }
    }

    /// The picture and the notes.
    public struct Rendering: Sendable {
        public let bitmap: Bitmap
        /// In input order; at most ``maxNotes`` (``droppedNotes`` counts the rest).
        public let notes: [Note]
        public let droppedNotes: Int
        /// Whether ``ESCPOSRenderer/maxHeight`` cut the picture short.
        public var clipped: Bool { notes.contains { if case .heightLimit = $0.kind { return true } else { return false } } }
    }

    public static let maxNotes = 200

    public let profile: PrinterProfile
    /// Tallest output, in dots (at least 1).
    public let maxHeight: Int

    public init(profile: PrinterProfile, maxHeight: Int = defaultMaxHeight) {
        self.profile = profile
        self.maxHeight = max(1, maxHeight)
    }

    /// Renders `bytes`. Throws only when the profile's paper width is outside
    /// 1…``ImageLimits/maxDimension``.
    public func render(_ bytes: [UInt8]) throws(ImageError) -> Rendering {
        guard profile.dotsWidth >= 1, profile.dotsWidth <= ImageLimits.maxDimension else {
            throw .invalidDimensions(width: profile.dotsWidth, height: 1)
        }
        var machine = Interpreter(profile: profile, input: bytes, maxHeight: maxHeight)
        machine.run()
        return Rendering(bitmap: machine.canvas.bitmap(), notes: machine.notes, droppedNotes: machine.droppedNotes)
    }

    public static func render(_ bytes: [UInt8], profile: PrinterProfile) throws(ImageError) -> Rendering {
        try ESCPOSRenderer(profile: profile).render(bytes)
    }

    /// The preview as a 1-bit PNG file.
    public static func renderPNG(_ bytes: [UInt8], profile: PrinterProfile) throws(ImageError) -> [UInt8] {
        PNG.encode(try render(bytes, profile: profile).bitmap)
    }
}

// MARK: - Canvas

/// Packed 1-bit rows (as ``Bitmap``) that grow downwards up to a limit.
struct RenderCanvas {
    let width: Int
    let bytesPerRow: Int
    let maxHeight: Int
    private(set) var rows: [UInt8] = []
    /// Rows allocated.
    private(set) var height = 0
    /// The paper used so far (feeds included), at least the rows drawn.
    var paperHeight = 0

    init(width: Int, maxHeight: Int) {
        self.width = width
        self.bytesPerRow = (width + 7) / 8
        self.maxHeight = maxHeight
    }

    private mutating func grow(to h: Int) {
        let target = min(h, maxHeight)
        guard target > height else { return }
        rows.append(contentsOf: repeatElement(0, count: (target - height) * bytesPerRow))
        height = target
    }

    @inline(__always)
    mutating func set(_ x: Int, _ y: Int, _ black: Bool = true) {
        guard x >= 0, x < width, y >= 0, y < maxHeight else { return }
        if y >= height { grow(to: y + 1) }
        let i = y * bytesPerRow + (x >> 3)
        let bit: UInt8 = 0x80 >> UInt8(x & 7)
        if black { rows[i] |= bit } else { rows[i] &= ~bit }
    }

    func get(_ x: Int, _ y: Int) -> Bool {
        guard x >= 0, x < width, y >= 0, y < height else { return false }
        return rows[y * bytesPerRow + (x >> 3)] & (0x80 >> UInt8(x & 7)) != 0
    }

    /// Fills a rectangle, clipped to the canvas.
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, black: Bool = true) {
        let x0 = max(x, 0), x1 = min(x + w, width)
        let y0 = max(y, 0), y1 = min(y + h, maxHeight)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, black) } }
    }

    /// The picture: `paperHeight` rows (at least the rows drawn, at least 1, at most the limit).
    func bitmap() -> Bitmap {
        let h = min(max(paperHeight, height, 1), maxHeight)
        var b = Bitmap(unchecked: width, h)
        for y in 0..<min(height, h) {
            for bx in 0..<bytesPerRow {
                let v = rows[y * bytesPerRow + bx]
                guard v != 0 else { continue }
                for k in 0..<8 where v & (0x80 >> UInt8(k)) != 0 { b[x: bx * 8 + k, y: y] = true }
            }
        }
        return b
    }
}

// MARK: - Interpreter

struct Interpreter {
    let profile: PrinterProfile
    let input: [UInt8]
    var pos = 0
    var canvas: RenderCanvas
    var notes: [ESCPOSRenderer.Note] = []
    var droppedNotes = 0
    /// Set when the height limit is reached: nothing more is drawn.
    var stopped = false

    /// Code page slot → page.
    let slots: [UInt8: CodePage]

    // Print position: top of the next line.
    var y = 0

    // Modes (`ESC @` resets them).
    var face: ReceiptFont.Face = .a
    var bold = false
    var underline = 0
    var widthScale = 1
    var heightScale = 1
    var reverse = false
    var alignment = 0
    var charSpacing = 0
    var lineSpacing = 30
    var leftMargin = 0
    var areaWidth: Int
    var page: CodePage?
    var tabStops: [Int] = Array(stride(from: 8, through: 256, by: 8))
    // Barcodes.
    var barHeight = 162
    var barModule = 3
    var hriPosition = 0
    var hriFace: ReceiptFont.Face = .a
    // QR Code.
    var qrModule = 3
    var qrLevel: QRCode.ErrorCorrection = .low
    var qrModel: UInt8 = 0x32
    var qrData: [UInt8]? = nil
    // GS ( L graphics buffer.
    var graphic: (width: Int, height: Int, scaleX: Int, scaleY: Int, data: [UInt8])? = nil

    // The line being built.
    struct Item {
        enum Kind {
            case glyph(Int, ReceiptFont.Face, bold: Bool, underline: Int, reverse: Bool, sx: Int, sy: Int)
            case blank
            /// `ESC *` columns: `dots` (8 or 24) bits per column, each bit sx × sy dots.
            case columns([UInt8], dots: Int, sx: Int, sy: Int)
        }
        var x: Int
        var width: Int
        var height: Int
        var kind: Kind
    }
    var line: [Item] = []
    var pen = 0
    var lineAlignment = 0

    init(profile: PrinterProfile, input: [UInt8], maxHeight: Int) {
        self.profile = profile
        self.input = input
        canvas = RenderCanvas(width: profile.dotsWidth, maxHeight: maxHeight)
        var s: [UInt8: CodePage] = [:]
        for (p, slot) in profile.codePages.sorted(by: { $0.value < $1.value }) where s[slot] == nil { s[slot] = p }
        slots = s
        areaWidth = profile.dotsWidth
        page = s[0] ?? .cp437
    }

    // MARK: Input

    mutating func note(_ offset: Int, _ kind: ESCPOSRenderer.Note.Kind) {
        if notes.count < ESCPOSRenderer.maxNotes {
            notes.append(.init(offset: offset, kind: kind))
        } else {
            droppedNotes += 1
        }
    }

    /// The next `n` bytes, or nil (and a truncation note for the command at `start`) when
    /// the input ends first; nothing is consumed then except the rest of the input.
    mutating func take(_ n: Int, command start: Int) -> ArraySlice<UInt8>? {
        guard n >= 0, pos + n <= input.count else {
            truncated(start)
            return nil
        }
        defer { pos += n }
        return input[pos..<(pos + n)]
    }

    mutating func byte(command start: Int) -> UInt8? { take(1, command: start)?.first }

    mutating func truncated(_ start: Int) {
        note(start, .truncated(Array(input[start..<min(input.count, start + 4)])))
        pos = input.count
    }

    mutating func u16(command start: Int) -> Int? {
        guard let b = take(2, command: start) else { return nil }
        return Int(b[b.startIndex]) | Int(b[b.startIndex + 1]) << 8
    }

    mutating func skip(_ n: Int, command start: Int) { _ = take(n, command: start) }

    /// The area text and images are placed in.
    var areaLeft: Int { min(max(leftMargin, 0), canvas.width - 1) }
    var areaRight: Int { min(canvas.width, areaLeft + max(areaWidth, 1)) }
    var area: Int { max(areaRight - areaLeft, 1) }

    mutating func resetModes() {
        face = .a; bold = false; underline = 0; widthScale = 1; heightScale = 1; reverse = false
        alignment = 0; charSpacing = 0; lineSpacing = 30; leftMargin = 0; areaWidth = profile.dotsWidth
        page = slots[0] ?? .cp437
        tabStops = Array(stride(from: 8, through: 256, by: 8))
        barHeight = 162; barModule = 3; hriPosition = 0; hriFace = .a
        line = []; pen = 0
    }

    // MARK: Main loop

    mutating func run() {
        while pos < input.count && !stopped {
            let start = pos
            let b = input[pos]
            pos += 1
            switch b {
            case 0x0A: printLine(feedLines: 1)
            case 0x09: tab()
            case 0x0C: if !line.isEmpty { printLine(feedLines: 1) }
            case 0x1B: esc(start)
            case 0x1D: gs(start)
            case 0x1C: fs(start)
            case 0x10: dle(start)
            case 0x00..<0x20, 0x7F: break  // CR and other controls: nothing
            default: character(b)
            }
        }
        if !line.isEmpty && !stopped { printLine(feedLines: 1) }
        if canvas.paperHeight < y { canvas.paperHeight = min(y, canvas.maxHeight) }
    }

    // MARK: Text

    var cellWidth: Int { (ReceiptFont.face(face).width + charSpacing) * widthScale }

    mutating func character(_ b: UInt8) {
        let scalar: Unicode.Scalar
        if b < 0x80 {
            scalar = Unicode.Scalar(b)
        } else {
            scalar = page?.scalar(for: b) ?? "\u{FFFD}"
        }
        let font = ReceiptFont.face(face)
        let w = cellWidth, h = font.height * heightScale
        if pen + w > area && !line.isEmpty { printLine(feedLines: 1) }
        if line.isEmpty { lineAlignment = alignment }
        line.append(Item(
            x: pen, width: w, height: h,
            kind: .glyph(ReceiptFont.glyph(for: scalar), face, bold: bold, underline: underline, reverse: reverse,
                         sx: widthScale, sy: heightScale)))
        pen += w
    }

    mutating func tab() {
        let unit = cellWidth
        guard let stop = tabStops.first(where: { $0 * unit > pen }) else { return }
        let target = stop * unit
        guard target <= area else { return }
        if line.isEmpty { lineAlignment = alignment }
        line.append(Item(x: pen, width: target - pen, height: 0, kind: .blank))
        pen = target
    }

    /// Prints the line buffer and feeds: `feedLines` line spacings (the first at least as tall
    /// as the line), or, with `dots`, that many dots (at least the line's height).
    mutating func printLine(feedLines: Int = 1, dots: Int? = nil) {
        let h = line.map(\.height).max() ?? 0
        if !line.isEmpty {
            let lineWidth = line.map { $0.x + $0.width }.max() ?? 0
            var x0 = areaLeft
            if lineAlignment == 1 { x0 += max(0, (area - lineWidth) / 2) }
            if lineAlignment == 2 { x0 += max(0, area - lineWidth) }
            for item in line { draw(item, x: x0 + item.x, bottom: y + h) }
        }
        let feed: Int
        if let dots {
            feed = max(dots, h)
        } else if feedLines <= 0 {
            feed = h
        } else {
            feed = max(lineSpacing, h) + (feedLines - 1) * lineSpacing
        }
        line = []
        pen = 0
        advance(feed)
    }

    mutating func advance(_ dots: Int) {
        y += max(dots, 0)
        canvas.paperHeight = max(canvas.paperHeight, min(y, canvas.maxHeight))
        if y >= canvas.maxHeight && !stopped {
            stopped = true
            note(pos, .heightLimit(canvas.maxHeight))
        }
    }

    mutating func draw(_ item: Item, x: Int, bottom: Int) {
        switch item.kind {
        case .blank:
            break
        case let .glyph(g, f, bold, underline, reverse, sx, sy):
            let font = ReceiptFont.face(f)
            let top = bottom - font.height * sy
            if reverse { canvas.fill(x: x, y: top, width: item.width, height: font.height * sy) }
            for gy in 0..<font.height {
                for gx in 0..<font.width where font.dot(g, x: gx, y: gy) {
                    canvas.fill(x: x + gx * sx, y: top + gy * sy, width: sx + (bold ? 1 : 0), height: sy, black: !reverse)
                }
            }
            if underline > 0 && !reverse {
                canvas.fill(x: x, y: bottom - underline, width: item.width, height: underline)
            }
        case let .columns(data, dots, sx, sy):
            let top = bottom - item.height
            let bytesPerColumn = dots / 8
            let columns = data.count / bytesPerColumn
            for c in 0..<columns {
                for k in 0..<dots {
                    let byte = data[c * bytesPerColumn + k / 8]
                    if byte & (0x80 >> UInt8(k % 8)) != 0 {
                        canvas.fill(x: x + c * sx, y: top + k * sy, width: sx, height: sy)
                    }
                }
            }
        }
    }

    /// x of a block `width` dots wide at the current alignment.
    func blockX(_ width: Int) -> Int {
        switch alignment {
        case 1: return areaLeft + max(0, (area - width) / 2)
        case 2: return areaLeft + max(0, area - width)
        default: return areaLeft
        }
    }

    /// Ends a pending text line before a block (image, barcode, QR) is printed.
    mutating func flushForBlock() {
        if !line.isEmpty { printLine(feedLines: 1) }
    }

    // MARK: ESC

    mutating func esc(_ start: Int) {
        guard let c = byte(command: start) else { return }
        switch c {
        case 0x40: resetModes()  // ESC @
        case 0x21:  // ESC ! n
            guard let n = byte(command: start) else { return }
            face = n & 0x01 != 0 ? .b : .a
            bold = n & 0x08 != 0
            heightScale = n & 0x10 != 0 ? 2 : 1
            widthScale = n & 0x20 != 0 ? 2 : 1
            underline = n & 0x80 != 0 ? 1 : 0
        case 0x45, 0x47:  // ESC E n, ESC G n
            guard let n = byte(command: start) else { return }
            bold = n & 1 != 0
        case 0x2D:  // ESC - n
            guard let n = byte(command: start) else { return }
            switch n {
            case 0, 0x30: underline = 0
            case 1, 0x31: underline = 1
            case 2, 0x32: underline = 2
            default: break
            }
        case 0x4D:  // ESC M n
            guard let n = byte(command: start) else { return }
            switch n {
            case 0, 0x30: face = .a
            case 1, 0x31, 2, 0x32: face = .b
            default: break
            }
        case 0x61:  // ESC a n
            guard let n = byte(command: start) else { return }
            switch n {
            case 0...2: alignment = Int(n)
            case 0x30...0x32: alignment = Int(n - 0x30)
            default: break
            }
            if line.isEmpty { lineAlignment = alignment }
        case 0x20:  // ESC SP n
            guard let n = byte(command: start) else { return }
            charSpacing = Int(n)
        case 0x32: lineSpacing = 30  // ESC 2
        case 0x33:  // ESC 3 n
            guard let n = byte(command: start) else { return }
            lineSpacing = Int(n)
        case 0x64:  // ESC d n
            guard let n = byte(command: start) else { return }
            printLine(feedLines: Int(n))
        case 0x4A:  // ESC J n
            guard let n = byte(command: start) else { return }
            printLine(dots: Int(n))
        case 0x74:  // ESC t n
            guard let n = byte(command: start) else { return }
            selectPage(n, start)
        case 0x1D:  // ESC GS t n (Star); other ESC GS commands are unknown
            guard let d = byte(command: start) else { return }
            if d == 0x74 {
                guard let n = byte(command: start) else { return }
                selectPage(n, start)
            } else {
                note(start, .unknownCommand([0x1B, 0x1D, d]))
            }
        case 0x24:  // ESC $ nL nH: absolute position
            guard let n = u16(command: start) else { return }
            if n < area {
                if line.isEmpty { lineAlignment = alignment }
                pen = n
            }
        case 0x5C:  // ESC \ nL nH: relative position (signed)
            guard let n = u16(command: start) else { return }
            let target = pen + Int(Int16(truncatingIfNeeded: n))
            if target >= 0 && target < area { pen = target }
        case 0x44:  // ESC D n1 … nk NUL
            var stops: [Int] = []
            while stops.count < 32, let n = byte(command: start), n != 0 {
                if let last = stops.last, Int(n) <= last { break }
                stops.append(Int(n))
            }
            tabStops = stops
        case 0x2A:  // ESC * m nL nH d…
            guard let m = byte(command: start), let n = u16(command: start) else { return }
            let dots = m >= 32 ? 24 : 8
            guard m == 0 || m == 1 || m == 32 || m == 33 else {
                note(start, .unknownCommand([0x1B, 0x2A, m]))
                return
            }
            let count = n * dots / 8
            let available = min(count, input.count - pos)
            let data = Array(input[pos..<(pos + available)])
            pos += available
            if available < count { note(start, .truncated([0x1B, 0x2A, m])) }
            let sx = (m == 0 || m == 32) ? 2 : 1
            let sy = dots == 8 ? 3 : 1
            let w = (available / (dots / 8)) * sx
            if line.isEmpty { lineAlignment = alignment }
            line.append(Item(x: pen, width: w, height: dots * sy, kind: .columns(data, dots: dots, sx: sx, sy: sy)))
            pen += w
        case 0x70:  // ESC p m t1 t2
            guard let m = byte(command: start) else { return }
            skip(2, command: start)
            note(start, .drawerKick(pin: m & 1 == 0 ? 2 : 5))
        case 0x69, 0x6D:  // ESC i / ESC m: partial cut (older command)
            cut(partial: true, feed: 0, start)
        case 0x26:  // ESC & y c1 c2 [x d1…d(y×x)]…: user-defined characters
            guard let yb = byte(command: start), let c1 = byte(command: start), let c2 = byte(command: start) else { return }
            guard c1 <= c2 else { return }
            for _ in c1...c2 {
                guard let x = byte(command: start) else { return }
                skip(Int(yb) * Int(x), command: start)
                if pos >= input.count { return }
            }
        case 0x28:  // ESC ( x pL pH …
            guard byte(command: start) != nil, let n = u16(command: start) else { return }
            skip(n, command: start)
        case 0x57:  // ESC W: page-mode print area
            skip(8, command: start)
        case 0x63:  // ESC c 3/4/5 n
            skip(2, command: start)
        case 0x25, 0x3D, 0x3F, 0x52, 0x54, 0x55, 0x56, 0x72, 0x75, 0x7B, 0x4B, 0x65, 0x4C, 0x53:
            // One-parameter commands and page-mode switches with no effect here.
            if c == 0x4C { note(start, .unsupported("page mode (ESC L)")); return }
            if c == 0x53 { return }
            skip(1, command: start)
        case 0x0C, 0x76: break  // ESC FF (page mode print), ESC v (status)
        default:
            note(start, .unknownCommand([0x1B, c]))
        }
    }

    mutating func selectPage(_ n: UInt8, _ start: Int) {
        if let p = slots[n] {
            page = p
        } else {
            page = nil
            note(start, .unknownCodePage(slot: n))
        }
    }

    mutating func cut(partial: Bool, feed: Int, _ start: Int) {
        flushForBlock()
        advance(feed + 6)
        guard !stopped else { return }
        let dash = partial ? 4 : 12, gap = partial ? 8 : 6
        var x = 0
        while x < canvas.width {
            canvas.fill(x: x, y: y, width: dash, height: 2)
            x += dash + gap
        }
        note(start, .cut(partial: partial, y: y))
        advance(8)
    }

    // MARK: GS

    mutating func gs(_ start: Int) {
        guard let c = byte(command: start) else { return }
        switch c {
        case 0x21:  // GS ! n
            guard let n = byte(command: start) else { return }
            guard n & 0x88 == 0 else { return }
            widthScale = Int(n >> 4) + 1
            heightScale = Int(n & 0x07) + 1
        case 0x42:  // GS B n
            guard let n = byte(command: start) else { return }
            reverse = n & 1 != 0
        case 0x56:  // GS V m [n]
            guard let m = byte(command: start) else { return }
            switch m {
            case 0, 0x30: cut(partial: false, feed: 0, start)
            case 1, 0x31: cut(partial: true, feed: 0, start)
            case 0x41, 0x42, 0x61, 0x62, 0x67, 0x68:
                guard let n = byte(command: start) else { return }
                cut(partial: m & 1 == 0, feed: Int(n), start)
            default:
                note(start, .unknownCommand([0x1D, 0x56, m]))
            }
        case 0x4C:  // GS L nL nH
            guard let n = u16(command: start) else { return }
            if line.isEmpty { leftMargin = min(n, canvas.width - 1) }
        case 0x57:  // GS W nL nH
            guard let n = u16(command: start) else { return }
            if line.isEmpty { areaWidth = max(n, 1) }
        case 0x68:  // GS h n
            guard let n = byte(command: start) else { return }
            if n >= 1 { barHeight = Int(n) }
        case 0x77:  // GS w n
            guard let n = byte(command: start) else { return }
            if (1...6).contains(n) { barModule = Int(n) }
        case 0x48:  // GS H n
            guard let n = byte(command: start) else { return }
            switch n {
            case 0...3: hriPosition = Int(n)
            case 0x30...0x33: hriPosition = Int(n - 0x30)
            default: break
            }
        case 0x66:  // GS f n
            guard let n = byte(command: start) else { return }
            hriFace = (n == 1 || n == 0x31) ? .b : .a
        case 0x6B: barcode(start)
        case 0x28:  // GS ( x pL pH …
            guard let x = byte(command: start), let n = u16(command: start),
                  let body = take(n, command: start) else { return }
            switch x {
            case 0x6B: qr(Array(body), start)
            case 0x4C: graphics(Array(body), start)
            default: break
            }
        case 0x38:  // GS 8 x p1 p2 p3 p4 …
            guard let x = byte(command: start), let p = take(4, command: start) else { return }
            var n = 0
            for (k, b) in p.enumerated() { n |= Int(b) << (8 * k) }
            guard let body = take(n, command: start) else { return }
            if x == 0x4C { graphics(Array(body), start) }
        case 0x76:  // GS v 0 m xL xH yL yH d…
            guard let zero = byte(command: start) else { return }
            guard zero == 0x30 else {
                note(start, .unknownCommand([0x1D, 0x76, zero]))
                return
            }
            raster(start)
        case 0x2A:  // GS * x y d…: downloaded bit image
            guard let x = byte(command: start), let yb = byte(command: start) else { return }
            skip(Int(x) * Int(yb) * 8, command: start)
        case 0x2F:  // GS / m: print downloaded bit image
            skip(1, command: start)
            note(start, .unsupported("downloaded bit image (GS /)"))
        case 0x24, 0x50, 0x5C:  // GS $, GS P, GS \: two parameters
            skip(2, command: start)
        case 0x5E, 0x7A:  // GS ^ r t m, GS z 0 t1 t2
            skip(3, command: start)
        case 0x67:  // GS g 0|2 m nL nH
            skip(4, command: start)
        case 0x43:  // GS C 0|1|2 … (counters); GS C ; … is ASCII, skipped as unknown
            guard let f = byte(command: start) else { return }
            switch f {
            case 0x30: skip(2, command: start)
            case 0x31: skip(6, command: start)
            case 0x32: skip(2, command: start)
            default: note(start, .unknownCommand([0x1D, 0x43, f]))
            }
        case 0x45, 0x49, 0x54, 0x61, 0x62, 0x72, 0x6A:  // one parameter, no effect here
            skip(1, command: start)
        case 0x3A, 0x63: break  // GS : (macro), GS c
        default:
            note(start, .unknownCommand([0x1D, c]))
        }
    }

    // MARK: FS, DLE

    mutating func fs(_ start: Int) {
        guard let c = byte(command: start) else { return }
        switch c {
        case 0x21, 0x2D, 0x43, 0x57: skip(1, command: start)
        case 0x26, 0x2E: break
        case 0x53, 0x3F: skip(2, command: start)
        case 0x32: skip(2 + 72, command: start)
        case 0x70:  // FS p n m: print NV image
            skip(2, command: start)
            note(start, .unsupported("NV bit image (FS p)"))
        case 0x71:  // FS q n [xL xH yL yH d…]…: define NV images
            guard let n = byte(command: start) else { return }
            for _ in 0..<Int(n) {
                guard let x = u16(command: start), let yb = u16(command: start) else { return }
                skip(x * yb * 8, command: start)
                if pos >= input.count { return }
            }
        case 0x28:
            guard byte(command: start) != nil, let n = u16(command: start) else { return }
            skip(n, command: start)
        case 0x67:  // FS g 1 m a1–a4 nL nH d… / FS g 2 m a1–a4 nL nH
            guard let f = byte(command: start), take(5, command: start) != nil, let n = u16(command: start) else { return }
            if f == 0x31 { skip(n, command: start) }
        default:
            note(start, .unknownCommand([0x1C, c]))
        }
    }

    mutating func dle(_ start: Int) {
        guard pos < input.count else { return }
        switch input[pos] {
        case 0x04, 0x05:  // DLE EOT n, DLE ENQ n
            pos += 1
            skip(1, command: start)
        case 0x14:  // DLE DC4 fn …
            pos += 1
            guard let fn = byte(command: start) else { return }
            switch fn {
            case 1:
                guard let m = byte(command: start) else { return }
                skip(1, command: start)
                note(start, .drawerKick(pin: m & 1 == 0 ? 2 : 5))
            case 2, 3: skip(2, command: start)
            case 7: skip(1, command: start)
            case 8: skip(7, command: start)
            default: note(start, .unknownCommand([0x10, 0x14, fn]))
            }
        default:
            break  // a lone DLE: ignored
        }
    }

    // MARK: Images

    mutating func raster(_ start: Int) {
        guard let m = byte(command: start), let xBytes = u16(command: start), let rows = u16(command: start) else { return }
        let sx = (m & 1) + 1, sy = ((m >> 1) & 1) + 1
        guard m <= 3 || (0x30...0x33).contains(m) else {
            note(start, .unknownCommand([0x1D, 0x76, 0x30, m]))
            return
        }
        flushForBlock()
        let total = xBytes * rows
        let available = min(total, input.count - pos)
        if available < total { note(start, .truncated([0x1D, 0x76, 0x30, m])) }
        let x0 = blockX(xBytes * 8 * Int(sx))
        drawPacked(input[pos..<(pos + available)], bytesPerRow: xBytes, rows: rows, x: x0, sx: Int(sx), sy: Int(sy))
        pos += available
        // A cut-off image takes only the rows it has.
        let drawn = available < total ? (available + xBytes - 1) / max(xBytes, 1) : rows
        advance(drawn * Int(sy))
    }

    /// Draws packed rows (MSB left, 1 = black) at (x, self.y); rows past the data are white.
    mutating func drawPacked(_ data: ArraySlice<UInt8>, bytesPerRow: Int, rows: Int, x: Int, sx: Int, sy: Int) {
        guard bytesPerRow > 0 else { return }
        let visibleBytes = min(bytesPerRow, (canvas.width - x + 8 * sx - 1) / (8 * sx) + 1)
        var r = 0
        while r < rows {
            let rowStart = data.startIndex + r * bytesPerRow
            if rowStart >= data.endIndex { break }
            let top = y + r * sy
            if top >= canvas.maxHeight { break }
            for bx in 0..<max(0, visibleBytes) {
                let i = rowStart + bx
                guard i < data.endIndex else { break }
                let v = data[i]
                guard v != 0 else { continue }
                for k in 0..<8 where v & (0x80 >> UInt8(k)) != 0 {
                    canvas.fill(x: x + (bx * 8 + k) * sx, y: top, width: sx, height: sy)
                }
            }
            r += 1
        }
    }

    /// `GS ( L` / `GS 8 L` body: m fn …
    mutating func graphics(_ body: [UInt8], _ start: Int) {
        guard body.count >= 2 else { return }
        let fn = body[1]
        switch fn {
        case 0x70:  // fn 112: a bx by c xL xH yL yH d…
            guard body.count >= 10 else {
                note(start, .truncated([0x1D, 0x28, 0x4C]))
                return
            }
            let a = body[2], bx = body[3], by = body[4], color = body[5]
            let w = Int(body[6]) | Int(body[7]) << 8, h = Int(body[8]) | Int(body[9]) << 8
            guard a == 0x30 else {
                note(start, .unsupported("multi-tone graphics (GS ( L fn 112, a = \(a))"))
                return
            }
            guard color == 0x31 else { return }  // colours other than the first print nothing here
            graphic = (w, h, bx == 2 ? 2 : 1, by == 2 ? 2 : 1, Array(body[10...]))
        case 0x32, 0x02:  // fn 50: print the buffered graphic
            guard let g = graphic else { return }
            flushForBlock()
            let bytesPerRow = (g.width + 7) / 8
            drawPacked(g.data[...], bytesPerRow: bytesPerRow, rows: g.height, x: blockX(g.width * g.scaleX),
                       sx: g.scaleX, sy: g.scaleY)
            advance(g.height * g.scaleY)
            graphic = nil
        case 0x43, 0x44, 0x45, 0x53: note(start, .unsupported("NV / download graphics (GS ( L fn \(fn))"))
        default: break
        }
    }

    // MARK: Barcodes

    mutating func barcode(_ start: Int) {
        guard let m = byte(command: start) else { return }
        var data: [UInt8] = []
        if m <= 6 {
            // Function A: data up to NUL.
            while true {
                guard let b = byte(command: start) else { return }
                if b == 0 { break }
                data.append(b)
            }
        } else if (65...79).contains(m) {
            guard let n = byte(command: start), let d = take(Int(n), command: start) else { return }
            data = Array(d)
        } else {
            note(start, .unknownCommand([0x1D, 0x6B, m]))
            return
        }
        flushForBlock()
        let symbol: RenderBarcode.Symbol
        switch RenderBarcode.symbol(type: m, data: data, moduleWidth: barModule) {
        case .success(let s): symbol = s
        case .failure(.unsupported(let name)):
            note(start, .unsupported(name))
            return
        case .failure(.invalidData):
            note(start, .invalidBarcode(type: m))
            return
        }
        let width = symbol.totalWidth
        guard width <= area else {
            note(start, .barcodeTooWide(dots: width, available: area))
            return
        }
        let x0 = blockX(width)
        if hriPosition & 1 != 0 { hri(symbol.text, x0: x0, width: width) }
        var x = x0
        for (k, w) in symbol.widths.enumerated() {
            if k % 2 == 0 { canvas.fill(x: x, y: y, width: w, height: barHeight) }
            x += w
        }
        advance(barHeight)
        if hriPosition & 2 != 0 { hri(symbol.text, x0: x0, width: width) }
    }

    /// The human-readable line, centred under (or over) the bars.
    mutating func hri(_ text: [UInt8], x0: Int, width: Int) {
        guard !stopped else { return }
        let font = ReceiptFont.face(hriFace)
        let textWidth = text.count * font.width
        var x = x0 + (width - textWidth) / 2
        if x < areaLeft { x = areaLeft }
        for b in text {
            let g = ReceiptFont.glyph(for: Unicode.Scalar(b < 0x80 ? b : 0x3F))
            for gy in 0..<font.height {
                for gx in 0..<font.width where font.dot(g, x: gx, y: gy) { canvas.set(x + gx, y + gy) }
            }
            x += font.width
        }
        advance(font.height)
    }

    // MARK: QR Code

    /// `GS ( k` body: cn fn parameters.
    mutating func qr(_ body: [UInt8], _ start: Int) {
        guard body.count >= 2 else { return }
        let cn = body[0], fn = body[1]
        guard cn == 0x31 else {
            if fn == 0x51 {
                let names: [UInt8: String] = [0x30: "PDF417", 0x32: "MaxiCode", 0x33: "GS1 DataBar",
                                              0x34: "composite symbol", 0x35: "Aztec Code", 0x36: "DataMatrix"]
                note(start, .unsupported(names[cn] ?? "2-D symbol type \(cn)"))
            }
            return
        }
        switch fn {
        case 0x41:  // 165: model
            if body.count >= 3 { qrModel = body[2] }
        case 0x43:  // 167: module size
            if body.count >= 3, (1...16).contains(body[2]) { qrModule = Int(body[2]) }
        case 0x45:  // 169: error correction
            if body.count >= 3, (0x30...0x33).contains(body[2]) {
                qrLevel = QRCode.ErrorCorrection(rawValue: Int(body[2] - 0x30)) ?? .low
            }
        case 0x50:  // 180: store
            qrData = body.count >= 3 ? Array(body[3...]) : []
        case 0x51:  // 181: print
            flushForBlock()
            guard let data = qrData, !data.isEmpty else {
                note(start, .qrNotPrinted("no data stored"))
                return
            }
            if qrModel != 0x32 { note(start, .unsupported("QR model \(qrModel == 0x31 ? "1" : "micro") (drawn as model 2)")) }
            let code: QRCode
            do {
                code = try QRCode(bytes: data, errorCorrection: qrLevel)
            } catch {
                note(start, .qrNotPrinted("\(data.count) bytes do not fit"))
                return
            }
            let side = code.size * qrModule
            let x0 = blockX(side)
            for my in 0..<code.size {
                for mx in 0..<code.size where code[x: mx, y: my] {
                    canvas.fill(x: x0 + mx * qrModule, y: y + my * qrModule, width: qrModule, height: qrModule)
                }
            }
            advance(side)
        default:
            break
        }
    }
}
