/// A 1-bit monospaced font for receipt previews, decoded from the generated ``FontTables``
/// (rendered from DejaVu Sans Mono by `scripts/gen-font.py`).
///
/// Font A has a 12 × 24 dot cell (42 columns on 512 dots, 48 on 576), font B 9 × 17, the cells
/// of Epson's fonts A and B. Every character of every ``CodePage`` has a glyph; anything else
/// is drawn as U+FFFD.
struct ReceiptFont: Sendable {
    enum Face: Sendable, Equatable { case a, b }

    let width: Int
    let height: Int
    let bytesPerGlyph: Int
    /// All glyphs, `bytesPerGlyph` each, in the order of ``FontTables/scalars``.
    private let data: [UInt8]

    static let a = ReceiptFont(width: 12, height: 24, hex: FontTables.fontA)
    static let b = ReceiptFont(width: 9, height: 17, hex: FontTables.fontB)

    static func face(_ face: Face) -> ReceiptFont { face == .a ? a : b }

    /// Glyph number of each scalar.
    private static let indexOf: [UInt32: Int] = {
        var map: [UInt32: Int] = [:]
        for (i, s) in FontTables.scalars.enumerated() { map[s] = i }
        return map
    }()

    private static let replacement = indexOf[0xFFFD] ?? 0

    private init(width: Int, height: Int, hex: String) {
        self.width = width
        self.height = height
        bytesPerGlyph = (width * height + 7) / 8
        var bytes: [UInt8] = []
        bytes.reserveCapacity(FontTables.scalars.count * bytesPerGlyph)
        var high: UInt8? = nil
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x41 + 10
            case 0x61...0x66: v = c - 0x61 + 10
            default: continue
            }
            if let h = high {
                bytes.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        // A short table (it is generated, so it is not) would leave glyphs blank, never crash.
        let want = FontTables.scalars.count * bytesPerGlyph
        if bytes.count < want { bytes += [UInt8](repeating: 0, count: want - bytes.count) }
        data = bytes
    }

    /// Whether the font has its own glyph for `scalar`.
    static func hasGlyph(_ scalar: Unicode.Scalar) -> Bool { indexOf[scalar.value] != nil }

    /// The glyph number for a scalar; U+FFFD's for scalars without a glyph.
    static func glyph(for scalar: Unicode.Scalar) -> Int { indexOf[scalar.value] ?? replacement }

    /// Whether dot (x, y) of glyph `glyph` is black; outside the cell, white.
    @inline(__always)
    func dot(_ glyph: Int, x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < width, y < height, glyph >= 0 else { return false }
        let bit = y * width + x
        let i = glyph * bytesPerGlyph + (bit >> 3)
        guard i < data.count else { return false }
        return data[i] & (0x80 >> UInt8(bit & 7)) != 0
    }

    /// One glyph as a bitmap of the cell (for tests and tools).
    func bitmap(for scalar: Unicode.Scalar) -> Bitmap {
        var b = Bitmap(unchecked: width, height)
        let g = Self.glyph(for: scalar)
        for y in 0..<height { for x in 0..<width where dot(g, x: x, y: y) { b[x: x, y: y] = true } }
        return b
    }
}
