/// A CODE128 symbol as ESC/POS `GS k 73` (function B, m = 73) wants it: the data bytes, each run
/// introduced by a code-set selector `{A` (7B 41), `{B` (7B 42) or `{C` (7B 43).
///
/// How the printer reads the data (Epson ESC/POS reference, `GS k`, m = 73):
/// * set A: bytes 00–5F (control characters, digits, upper case, punctuation);
/// * set B: bytes 20–7F (printable ASCII and DEL); the character "{" itself is sent as `{{`
///   (7B 7B), because 7B introduces a selector;
/// * set C: each byte 00–63 (binary, 0…99) stands for a pair of digits, so "1234" is `0C 22`.
///
/// Automatic code-set choice: a run of four or more digits (or data that is only an even number
/// of digits) goes in set C; other characters go in set B unless a control character (00–1F)
/// needs set A, which is then kept until a character only set B has (60–7F) comes. A run of an
/// odd number of digits puts its odd digit in set A/B: after the pairs when the run opens the
/// data, before them otherwise (the shorter symbol in both cases).
public struct Code128: Sendable, Equatable {
    public enum CodeSet: Sendable, Equatable { case a, b, c }

    /// How the code sets are chosen.
    public enum CodeSetChoice: Sendable, Equatable {
        /// Shortest-ish mix of A, B and C, as described on ``Code128``.
        case automatic
        /// The whole data in one set; data that set cannot hold is rejected.
        case only(CodeSet)
    }

    /// Where the printer prints the human-readable interpretation (`GS H n`).
    public enum HRIPosition: UInt8, Sendable { case none = 0, above = 1, below = 2, both = 3 }

    public enum Error: Swift.Error, Equatable {
        case empty
        /// The character at `index` (a byte, or a Unicode scalar of a string) is not ASCII.
        case notASCII(index: Int)
        /// The byte at `index` is ASCII but not in the code set asked for.
        case unencodable(byte: UInt8, index: Int, codeSet: CodeSet)
        /// Set C needs an even number of digits.
        case oddDigitCount
        /// `GS k` counts its data in one byte: at most 255 bytes with selectors and escapes.
        case tooLong(bytes: Int)
        /// The symbol is wider than the paper: `dots` needed, `available` printable.
        case tooWide(dots: Int, available: Int)
    }

    /// The data as given.
    public let data: [UInt8]
    /// The bytes after `n` in `GS k 73 n`: selectors, escapes and data.
    public let payload: [UInt8]
    /// The symbol character values (0…105) the printer draws: start, data (a C pair is one),
    /// code-set switches and the check character; the stop pattern (106) is not included.
    public let symbolValues: [Int]

    /// Symbol characters without the stop pattern.
    public var symbolCount: Int { symbolValues.count }

    /// Bars and spaces across the symbol, in modules (11 per symbol character, 13 for stop);
    /// quiet zones not included.
    public var moduleCount: Int { symbolCount * 11 + 13 }

    /// Encodes ASCII `data` (bytes 00–7F).
    public init(_ data: [UInt8], codeSet: CodeSetChoice = .automatic) throws(Code128.Error) {
        guard !data.isEmpty else { throw .empty }
        if let i = data.firstIndex(where: { $0 > 0x7F }) { throw .notASCII(index: i) }
        var segments: [(CodeSet, ArraySlice<UInt8>)]
        switch codeSet {
        case .automatic:
            segments = Self.automaticSegments(data)
        case .only(let set):
            if let i = data.firstIndex(where: { !Self.fits($0, set) }) {
                throw .unencodable(byte: data[i], index: i, codeSet: set)
            }
            if set == .c && data.count % 2 != 0 { throw .oddDigitCount }
            segments = [(set, data[...])]
        }
        // Merge neighbours in the same set (automatic choice may produce them).
        var merged: [(CodeSet, [UInt8])] = []
        for (set, slice) in segments where !slice.isEmpty {
            if let last = merged.last, last.0 == set {
                merged[merged.count - 1].1 += slice
            } else {
                merged.append((set, Array(slice)))
            }
        }
        var payload: [UInt8] = []
        var values: [Int] = []
        for (i, (set, chunk)) in merged.enumerated() {
            payload += [0x7B, set == .a ? 0x41 : set == .b ? 0x42 : 0x43]
            // Start A/B/C (103/104/105) first, later the switch Code A/B/C (101/100/99).
            switch set {
            case .a: values.append(i == 0 ? 103 : 101)
            case .b: values.append(i == 0 ? 104 : 100)
            case .c: values.append(i == 0 ? 105 : 99)
            }
            switch set {
            case .c:
                var j = 0
                while j + 1 < chunk.count {
                    let pair = (chunk[j] - 0x30) * 10 + (chunk[j + 1] - 0x30)
                    payload.append(pair)
                    values.append(Int(pair))
                    j += 2
                }
            case .a, .b:
                for byte in chunk {
                    if byte == 0x7B { payload.append(0x7B) }
                    payload.append(byte)
                    values.append(byte < 0x20 ? Int(byte) + 64 : Int(byte) - 32)
                }
            }
        }
        // Check character: start value + Σ position × value, modulo 103.
        var sum = values[0]
        for (position, value) in values.enumerated().dropFirst() { sum += position * value }
        values.append(sum % 103)
        guard payload.count <= 255 else { throw .tooLong(bytes: payload.count) }
        self.data = data
        self.payload = payload
        self.symbolValues = values
    }

    /// Encodes a string; every character must be ASCII.
    public init(_ string: String, codeSet: CodeSetChoice = .automatic) throws(Code128.Error) {
        var bytes: [UInt8] = []
        for (i, scalar) in string.unicodeScalars.enumerated() {
            guard scalar.isASCII else { throw .notASCII(index: i) }
            bytes.append(UInt8(scalar.value))
        }
        try self.init(bytes, codeSet: codeSet)
    }

    /// Bar and space widths in modules of each symbol character value 0…105 (bar first, six
    /// elements, 11 modules), and of stop (106: seven elements, 13 modules); ISO/IEC 15417 table 1.
    static let patterns: [String] = [
        "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
        "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
        "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
        "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
        "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
        "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
        "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
        "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
        "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
        "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
        "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
    ]

    /// The symbol drawn as the printer would (bars black), `moduleWidth` dots per module,
    /// `height` rows, with `quietZone` light modules each side (the standard asks for 10):
    /// for previews, and to check the encoding with a barcode reader.
    public func bitmap(moduleWidth: Int = 2, height: Int = 80, quietZone: Int = 10) throws(ImageError) -> Bitmap {
        let scale = max(moduleWidth, 1), border = max(quietZone, 0)
        var bitmap = try Bitmap(width: (moduleCount + 2 * border) * scale, height: height)
        var x = border * scale
        for value in symbolValues + [106] {
            for (k, width) in Self.patterns[value].utf8.enumerated() {
                let dots = Int(width - 0x30) * scale
                if k % 2 == 0 {
                    for y in 0..<height { for dx in 0..<dots { bitmap[x: x + dx, y: y] = true } }
                }
                x += dots
            }
        }
        return bitmap
    }

    static func fits(_ byte: UInt8, _ set: CodeSet) -> Bool {
        switch set {
        case .a: return byte < 0x60
        case .b: return byte >= 0x20 && byte <= 0x7F
        case .c: return isDigit(byte)
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func automaticSegments(_ data: [UInt8]) -> [(CodeSet, ArraySlice<UInt8>)] {
        var out: [(CodeSet, ArraySlice<UInt8>)] = []
        var current: CodeSet? = nil
        var i = 0
        // A or B for the text starting at `from`: the first character only one of them has decides.
        func textSet(from: Int) -> CodeSet {
            var k = from
            while k < data.count {
                if data[k] < 0x20 { return .a }
                if data[k] >= 0x60 { return .b }
                k += 1
            }
            return .b
        }
        while i < data.count {
            var run = 0
            while i + run < data.count && isDigit(data[i + run]) { run += 1 }
            let wholeEven = i == 0 && run == data.count && run % 2 == 0
            if run >= 4 || wholeEven {
                let pairs = run - run % 2
                if run % 2 == 1 && i != 0 {
                    // Odd digit first, in the set already in use.
                    let set = current ?? textSet(from: i)
                    out.append((set, data[i..<(i + 1)]))
                    out.append((.c, data[(i + 1)..<(i + run)]))
                    current = .c
                } else {
                    out.append((.c, data[i..<(i + pairs)]))
                    current = .c
                    if run % 2 == 1 {
                        let set = textSet(from: i + pairs)
                        out.append((set, data[(i + pairs)..<(i + run)]))
                        current = set
                    }
                }
                i += run
                continue
            }
            // One text character (digits of a short run included).
            let byte = data[i]
            let set: CodeSet
            if byte < 0x20 {
                set = .a
            } else if byte >= 0x60 {
                set = .b
            } else if let c = current, c != .c {
                set = c
            } else {
                set = textSet(from: i)
            }
            out.append((set, data[i..<(i + 1)]))
            current = set
            i += 1
        }
        return out
    }
}

extension ESCPOSWriter {
    /// Prints a CODE128 barcode with `GS k 73`. Nothing is written when it throws.
    ///
    /// Bytes: `1D 48 p` (HRI position, ``Code128/HRIPosition``), `1D 68 h` (height in dots, 1–255),
    /// `1D 77 w` (module width in dots, clamped to 2–6), then `1D 6B 49 n d1…dn` with the
    /// ``Code128/payload``. Example: `barcode128("GC-4821")` →
    /// `1D 48 02 1D 68 50 1D 77 02 1D 6B 49 09 7B 42 47 43 2D 7B 43 30 15`
    /// ("GC-" in set B, then 48 and 21 as set-C pairs); with `codeSet: .only(.b)` the last line is
    /// `1D 6B 49 09 7B 42 47 43 2D 34 38 32 31`.
    ///
    /// Throws ``Code128/Error`` for data that cannot be encoded, is longer than 255 bytes, or
    /// whose symbol (modules × module width) is wider than ``PrinterProfile/dotsWidth``.
    public mutating func barcode128(
        _ data: String, codeSet: Code128.CodeSetChoice = .automatic, height: UInt8 = 80,
        moduleWidth: UInt8 = 2, hri: Code128.HRIPosition = .below
    ) throws(Code128.Error) {
        let symbol = try Code128(data, codeSet: codeSet)
        try barcode128(symbol, height: height, moduleWidth: moduleWidth, hri: hri)
    }

    /// Prints an already encoded ``Code128`` symbol; the bytes are those of the `String` variant.
    public mutating func barcode128(
        _ symbol: Code128, height: UInt8 = 80, moduleWidth: UInt8 = 2, hri: Code128.HRIPosition = .below
    ) throws(Code128.Error) {
        let w = min(max(moduleWidth, 2), 6)
        let dots = symbol.moduleCount * Int(w)
        guard dots <= profile.dotsWidth else { throw .tooWide(dots: dots, available: profile.dotsWidth) }
        raw([0x1D, 0x48, hri.rawValue, 0x1D, 0x68, max(height, 1), 0x1D, 0x77, w])
        raw([0x1D, 0x6B, 0x49, UInt8(symbol.payload.count)] + symbol.payload)
    }
}
