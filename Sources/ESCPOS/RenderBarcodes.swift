/// The 1-D symbols the preview renderer draws for `GS k`: element widths in dots (bar, space,
/// bar, …, a bar first and last) and the human-readable interpretation (HRI) text.
///
/// Symbologies: UPC-A, EAN-13 (JAN-13), EAN-8 (JAN-8), CODE39, ITF and CODE128; the bar patterns
/// are those of the standards (ISO/IEC 15420 for EAN/UPC, 16388 for Code 39, 16390 for ITF, 15417
/// for Code 128 through ``Code128/patterns``). Printers add no quiet zone; neither does this.
enum RenderBarcode {
    struct Symbol: Equatable {
        var widths: [Int]
        var text: [UInt8]
        var totalWidth: Int { widths.reduce(0, +) }
    }

    enum Failure: Error, Equatable {
        /// A symbology the renderer does not draw; the name for the note.
        case unsupported(String)
        /// Data the symbology cannot hold.
        case invalidData
    }

    /// `m` as in `GS k m`: 0–6 (function A) or 65–79 (function B).
    static func symbol(type m: UInt8, data: [UInt8], moduleWidth w: Int) -> Result<Symbol, Failure> {
        let kind = m >= 65 ? m - 65 : m
        switch kind {
        case 0: return upcA(data, w)
        case 1: return .failure(.unsupported("UPC-E"))
        case 2: return ean13(data, w, text: nil)
        case 3: return ean8(data, w)
        case 4: return code39(data, w)
        case 5: return itf(data, w)
        case 6: return .failure(.unsupported("CODABAR"))
        case 7: return .failure(.unsupported("CODE93"))
        case 8: return code128(data[...], w)
        case 9...13: return .failure(.unsupported("GS1 DataBar / GS1-128"))
        default: return .failure(.unsupported("GS k type \(m)"))
        }
    }

    // MARK: EAN / UPC

    /// Set A ("L") patterns of digits 0–9, 7 modules each, 1 = bar. Set C ("R") is their
    /// complement, set B ("G") the complement reversed.
    private static let setA: [UInt8] = [0x0D, 0x19, 0x13, 0x3D, 0x23, 0x31, 0x2F, 0x3B, 0x37, 0x0B]
    /// Which of the six left digits of EAN-13 use set B, by the leading digit (bit 5 = first).
    private static let parity: [UInt8] = [0x00, 0x0B, 0x0D, 0x0E, 0x13, 0x19, 0x1C, 0x15, 0x16, 0x1A]

    private static func digits(_ data: [UInt8]) -> [Int]? {
        var out: [Int] = []
        for b in data {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            out.append(Int(b - 0x30))
        }
        return out
    }

    /// Modulo-10 check digit: weights 3 and 1 alternating from the rightmost data digit.
    static func checkDigit(_ d: [Int]) -> Int {
        var sum = 0
        for (i, v) in d.reversed().enumerated() { sum += v * (i % 2 == 0 ? 3 : 1) }
        return (10 - sum % 10) % 10
    }

    private static func pattern(_ digit: Int, set: Character) -> [Bool] {
        let a = setA[digit]
        var bits = (0..<7).map { a & (0x40 >> UInt8($0)) != 0 }
        switch set {
        case "C": bits = bits.map { !$0 }
        case "B": bits = bits.map { !$0 }.reversed()
        default: break
        }
        return bits
    }

    /// Modules (true = bar) to element widths in dots.
    private static func runs(_ modules: [Bool], _ w: Int) -> [Int] {
        var out: [Int] = []
        var current = true, count = 0
        for m in modules {
            if m == current {
                count += 1
            } else {
                out.append(count * w)
                current = m
                count = 1
            }
        }
        out.append(count * w)
        return out
    }

    private static func upcA(_ data: [UInt8], _ w: Int) -> Result<Symbol, Failure> {
        guard data.count == 11 || data.count == 12, let d = digits(data) else { return .failure(.invalidData) }
        let full = d.count == 12 ? d : d + [checkDigit(d)]
        return ean13([0x30] + full.map { UInt8(0x30 + $0) }, w, text: full.map { UInt8(0x30 + $0) })
    }

    private static func ean13(_ data: [UInt8], _ w: Int, text: [UInt8]?) -> Result<Symbol, Failure> {
        guard data.count == 12 || data.count == 13, let d0 = digits(data) else { return .failure(.invalidData) }
        let d = d0.count == 13 ? d0 : d0 + [checkDigit(d0)]
        var m: [Bool] = [true, false, true]
        let p = parity[d[0]]
        for i in 1...6 { m += pattern(d[i], set: p & (0x20 >> UInt8(i - 1)) != 0 ? "B" : "A") }
        m += [false, true, false, true, false]
        for i in 7...12 { m += pattern(d[i], set: "C") }
        m += [true, false, true]
        return .success(Symbol(widths: runs(m, w), text: text ?? d.map { UInt8(0x30 + $0) }))
    }

    private static func ean8(_ data: [UInt8], _ w: Int) -> Result<Symbol, Failure> {
        guard data.count == 7 || data.count == 8, let d0 = digits(data) else { return .failure(.invalidData) }
        let d = d0.count == 8 ? d0 : d0 + [checkDigit(d0)]
        var m: [Bool] = [true, false, true]
        for i in 0..<4 { m += pattern(d[i], set: "A") }
        m += [false, true, false, true, false]
        for i in 4..<8 { m += pattern(d[i], set: "C") }
        m += [true, false, true]
        return .success(Symbol(widths: runs(m, w), text: d.map { UInt8(0x30 + $0) }))
    }

    // MARK: CODE39

    private static let code39Characters = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. *$/+%".utf8)
    /// Nine elements (bar, space, … bar) per character, bit 8 the first: 1 = wide.
    private static let code39Patterns: [UInt16] = [
        0b000110100, 0b100100001, 0b001100001, 0b101100000, 0b000110001,
        0b100110000, 0b001110000, 0b000100101, 0b100100100, 0b001100100,
        0b100001001, 0b001001001, 0b101001000, 0b000011001, 0b100011000,
        0b001011000, 0b000001101, 0b100001100, 0b001001100, 0b000011100,
        0b100000011, 0b001000011, 0b101000010, 0b000010011, 0b100010010,
        0b001010010, 0b000000111, 0b100000110, 0b001000110, 0b000010110,
        0b110000001, 0b011000001, 0b111000000, 0b010010001, 0b110010000,
        0b011010000, 0b010000101, 0b110000100, 0b011000100, 0b010010100,
        0b010101000, 0b010100010, 0b010001010, 0b000101010,
    ]

    private static func code39(_ data: [UInt8], _ w: Int) -> Result<Symbol, Failure> {
        var body = data[...]
        if body.first == 0x2A { body = body.dropFirst() }
        if body.last == 0x2A { body = body.dropLast() }
        guard !body.isEmpty else { return .failure(.invalidData) }
        let narrow = w, wide = w * 5 / 2
        var widths: [Int] = []
        for (k, c) in ([0x2A] + Array(body) + [0x2A]).enumerated() {
            guard c != 0x2A || k == 0 || k == body.count + 1,
                  let i = code39Characters.firstIndex(of: c) else { return .failure(.invalidData) }
            if k > 0 { widths.append(narrow) }  // gap between characters
            let p = code39Patterns[i]
            for e in 0..<9 { widths.append(p & (0x100 >> UInt16(e)) != 0 ? wide : narrow) }
        }
        return .success(Symbol(widths: widths, text: [0x2A] + Array(body) + [0x2A]))
    }

    // MARK: ITF

    /// Five elements per digit, bit 4 the first: 1 = wide.
    private static let itfPatterns: [UInt8] = [0b00110, 0b10001, 0b01001, 0b11000, 0b00101,
                                               0b10100, 0b01100, 0b00011, 0b10010, 0b01010]

    private static func itf(_ data: [UInt8], _ w: Int) -> Result<Symbol, Failure> {
        guard !data.isEmpty, data.count % 2 == 0, let d = digits(data) else { return .failure(.invalidData) }
        let narrow = w, wide = w * 5 / 2
        var widths = [narrow, narrow, narrow, narrow]
        var i = 0
        while i + 1 < d.count {
            let bars = itfPatterns[d[i]], spaces = itfPatterns[d[i + 1]]
            for e in 0..<5 {
                widths.append(bars & (0x10 >> UInt8(e)) != 0 ? wide : narrow)
                widths.append(spaces & (0x10 >> UInt8(e)) != 0 ? wide : narrow)
            }
            i += 2
        }
        widths += [wide, narrow, narrow]
        return .success(Symbol(widths: widths, text: data))
    }

    // MARK: CODE128

    /// Reads a `GS k 73` payload as the printer does: a code-set selector `{A`/`{B`/`{C` first;
    /// `{A`/`{B`/`{C` later switch sets, `{S` shifts one character between A and B, `{1`…`{4` are
    /// FNC1…FNC4 and `{{` is "{" (set B). Set C bytes are 0–99, one digit pair each.
    static func code128(_ payload: ArraySlice<UInt8>, _ w: Int) -> Result<Symbol, Failure> {
        let p = Array(payload)
        guard p.count >= 2, p[0] == 0x7B, (0x41...0x43).contains(p[1]) else { return .failure(.invalidData) }
        var set = p[1]  // 0x41 A, 0x42 B, 0x43 C
        var values: [Int] = [set == 0x41 ? 103 : set == 0x42 ? 104 : 105]
        var text: [UInt8] = []
        var shift = false
        var i = 2
        func dataValue(_ b: UInt8, in s: UInt8) -> Int? {
            switch s {
            case 0x41: return b < 0x20 ? Int(b) + 64 : b < 0x60 ? Int(b) - 32 : nil
            case 0x42: return b >= 0x20 && b <= 0x7F ? Int(b) - 32 : nil
            default: return nil
            }
        }
        while i < p.count {
            let b = p[i]
            if b == 0x7B {
                guard i + 1 < p.count else { return .failure(.invalidData) }
                let c = p[i + 1]
                i += 2
                switch c {
                case 0x41, 0x42, 0x43:
                    guard !shift else { return .failure(.invalidData) }
                    if c != set {
                        values.append(c == 0x41 ? 101 : c == 0x42 ? 100 : 99)
                        set = c
                    }
                case 0x53:  // {S
                    guard set != 0x43, !shift else { return .failure(.invalidData) }
                    values.append(98)
                    shift = true
                case 0x31: values.append(102)  // FNC1
                case 0x32:
                    guard set != 0x43 else { return .failure(.invalidData) }
                    values.append(97)
                case 0x33:
                    guard set != 0x43 else { return .failure(.invalidData) }
                    values.append(96)
                case 0x34:
                    guard set != 0x43 else { return .failure(.invalidData) }
                    values.append(set == 0x41 ? 101 : 100)
                case 0x7B:
                    let s: UInt8 = shift ? (set == 0x41 ? 0x42 : 0x41) : set
                    guard let v = dataValue(0x7B, in: s) else { return .failure(.invalidData) }
                    values.append(v)
                    text.append(0x7B)
                    shift = false
                default:
                    return .failure(.invalidData)
                }
                continue
            }
            i += 1
            if set == 0x43 {
                guard b <= 99 else { return .failure(.invalidData) }
                values.append(Int(b))
                text += [0x30 + b / 10, 0x30 + b % 10]
            } else {
                let s: UInt8 = shift ? (set == 0x41 ? 0x42 : 0x41) : set
                guard let v = dataValue(b, in: s) else { return .failure(.invalidData) }
                values.append(v)
                text.append(b >= 0x20 && b < 0x7F ? b : 0x20)
                shift = false
            }
        }
        guard values.count > 1 else { return .failure(.invalidData) }
        var sum = values[0]
        for (k, v) in values.enumerated().dropFirst() { sum += k * v }
        values.append(sum % 103)
        values.append(106)
        var widths: [Int] = []
        for v in values {
            for c in Code128.patterns[v].utf8 { widths.append(Int(c - 0x30) * w) }
        }
        return .success(Symbol(widths: widths, text: text))
    }
}
