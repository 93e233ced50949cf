/// Builds ESC/POS bytes for one printer profile. Pure: no I/O.
///
/// Text goes through the profile's code pages: ASCII as is, other characters on the current page
/// when it has them, else after an `ESC t n` switch to the first preferred page that has them,
/// else in its closest ASCII form (ő → o, œ → oe, "…" → "..."; a space such as U+202F as a
/// space), and "?" only when there is none; `replaced` lists the characters printed so (spaces
/// aside). Control characters in text never reach the printer as commands.
public struct ESCPOSWriter: Sendable {
    public enum Alignment: UInt8, Sendable { case left = 0, center = 1, right = 2 }
    public enum Cut: Sendable { case full, partial }

    public let profile: PrinterProfile
    public private(set) var bytes: [UInt8] = []
    /// The page the printer is on; nil after initialise (slot 0, whatever it holds).
    private var currentPage: CodePage?
    /// Characters no page of the profile holds, in the order first met: each printed in its
    /// ASCII form, or as "?" without one. Spaces (U+00A0, U+202F …) print as a space unlisted.
    public private(set) var replaced: [Unicode.Scalar] = []

    public init(profile: PrinterProfile) {
        self.profile = profile
        bytes.reserveCapacity(1024)
    }

    /// `ESC @`: resets modes and the code page.
    public mutating func initialize() {
        bytes += [0x1B, 0x40]
        currentPage = nil
    }

    /// Writes text; "\n" becomes a line feed.
    public mutating func text(_ string: String) {
        var string = string
        // Native strings are contiguous UTF-8: ASCII goes straight through, one byte each, and
        // only other characters are decoded and looked up in the code pages.
        string.withUTF8 { utf8 in
            var i = 0
            let n = utf8.count
            while i < n {
                let b = utf8[i]
                if b < 0x80 {
                    if b >= 0x20 && b < 0x7F || b == 0x0A {
                        bytes.append(b)
                    } else {
                        bytes.append(0x20)  // tabs and stray controls: never a command
                    }
                    i += 1
                    continue
                }
                // A multi-byte sequence (valid UTF-8: String guarantees it).
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                var v = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for k in 1..<length where i + k < n { v = v << 6 | UInt32(utf8[i + k] & 0x3F) }
                i += length
                if let scalar = Unicode.Scalar(v) { encode(nonASCII: scalar) } else { bytes.append(0x3F) }
            }
        }
    }

    private mutating func encode(nonASCII scalar: Unicode.Scalar) {
        if (0x80...0x9F).contains(scalar.value) {
            bytes.append(0x20)
        } else if let page = currentPage, let b = page.byte(for: scalar) {
            bytes.append(b)
        } else if let (page, b) = firstPage(for: scalar) {
            selectCodePage(page)
            bytes.append(b)
        } else if scalar.properties.generalCategory == .spaceSeparator {
            bytes.append(0x20)
        } else {
            if !replaced.contains(scalar) { replaced.append(scalar) }
            if let ascii = Self.asciiForms[scalar.value] { bytes += ascii.utf8 } else { bytes.append(0x3F) }
        }
    }

    private func firstPage(for scalar: Unicode.Scalar) -> (CodePage, UInt8)? {
        for page in profile.preference {
            if let b = page.byte(for: scalar) { return (page, b) }
        }
        return nil
    }

    /// Text followed by a line feed.
    public mutating func line(_ string: String = "") {
        text(string)
        bytes.append(0x0A)
    }

    /// Left and right text on one line of `columns` characters (the profile's width by default);
    /// a left part too long for the line is cut, the right part is kept whole.
    ///
    /// Widths count Unicode scalars: each prints as one character cell (one byte on the page).
    public mutating func columns(_ left: String, _ right: String, width: Int? = nil) {
        let width = width ?? profile.columns
        let rightCount = right.unicodeScalars.count
        let room = max(0, width - rightCount - 1)
        var leftCount = left.unicodeScalars.count
        if leftCount > room {
            text(String(String.UnicodeScalarView(left.unicodeScalars.prefix(room))))
            leftCount = room
        } else {
            text(left)
        }
        for _ in 0..<max(1, width - leftCount - rightCount) { bytes.append(0x20) }
        text(right)
        bytes.append(0x0A)
    }

    public mutating func selectCodePage(_ page: CodePage) {
        guard let slot = profile.codePages[page] else { return }
        if profile.starCommands { bytes.append(0x1B); bytes.append(0x1D) } else { bytes.append(0x1B) }
        bytes.append(0x74)
        bytes.append(slot)
        currentPage = page
    }

    public mutating func bold(_ on: Bool) { command(0x1B, 0x45, on ? 1 : 0) }

    /// Three command bytes, appended without building an array.
    @inline(__always) mutating func command(_ a: UInt8, _ b: UInt8, _ c: UInt8) {
        bytes.append(a)
        bytes.append(b)
        bytes.append(c)
    }

    /// Underline: 0 off, 1 one dot, 2 two dots.
    public mutating func underline(_ dots: UInt8) { command(0x1B, 0x2D, min(dots, 2)) }

    public mutating func align(_ alignment: Alignment) { command(0x1B, 0x61, alignment.rawValue) }

    /// `GS ! n`: character magnification, 1…8 in each direction.
    public mutating func size(width: Int = 1, height: Int = 1) {
        let w = UInt8(min(max(width, 1), 8) - 1)
        let h = UInt8(min(max(height, 1), 8) - 1)
        command(0x1D, 0x21, (w << 4) | h)
    }

    /// `ESC d n`: print and feed n lines.
    public mutating func feed(lines: Int) { command(0x1B, 0x64, UInt8(min(max(lines, 0), 255))) }

    /// `GS V m n`: feed n dots (lines × the default line spacing is up to the printer) and cut.
    public mutating func cut(_ kind: Cut = .full, feedDots: UInt8 = 3) {
        bytes += [0x1D, 0x56, kind == .full ? 0x41 : 0x42, feedDots]
    }

    /// `ESC p m t1 t2`: pulse drawer pin 2 (m=0) or 5 (m=1), on t1×2 ms, off t2×2 ms.
    public mutating func kickDrawer(pin5: Bool = false, onMs: Int = 50, offMs: Int = 500) {
        bytes += [0x1B, 0x70, pin5 ? 1 : 0, UInt8(min(max(onMs / 2, 1), 255)), UInt8(min(max(offMs / 2, 1), 255))]
    }

    /// Raw bytes, for commands the writer does not model.
    public mutating func raw(_ data: [UInt8]) { bytes += data }
}
