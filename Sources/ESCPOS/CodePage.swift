/// Single-byte character tables that ESC/POS printers select with `ESC t n`.
public enum CodePage: String, Sendable, CaseIterable, Codable {
    case cp437, cp850, cp852, cp858, cp866, cp1252
    case iso8859_15 = "iso8859-15"

    /// The byte for a Unicode scalar on this page, if the page has it.
    public func byte(for scalar: Unicode.Scalar) -> UInt8? {
        if scalar.value >= 0x20 && scalar.value < 0x7F { return UInt8(scalar.value) }
        return Self.reverseTables[ordinal][scalar.value]
    }

    /// The scalar a byte stands for on this page (for previews and tests).
    public func scalar(for byte: UInt8) -> Unicode.Scalar? {
        if byte < 0x80 { return Unicode.Scalar(byte) }
        let v = Self.upperHalves[self]![Int(byte) - 0x80]
        return v == 0 ? nil : Unicode.Scalar(v)
    }

    /// The page's position in `allCases`, to index the tables without hashing the page.
    private var ordinal: Int {
        switch self {
        case .cp437: 0
        case .cp850: 1
        case .cp852: 2
        case .cp858: 3
        case .cp866: 4
        case .cp1252: 5
        case .iso8859_15: 6
        }
    }

    private static let reverseTables: [[UInt32: UInt8]] = allCases.map { reverse[$0] ?? [:] }

    private static let reverse: [CodePage: [UInt32: UInt8]] = {
        var tables: [CodePage: [UInt32: UInt8]] = [:]
        for (page, upper) in upperHalves {
            var map: [UInt32: UInt8] = [:]
            for (i, v) in upper.enumerated() where v != 0 { map[v] = UInt8(0x80 + i) }
            tables[page] = map
        }
        return tables
    }()
}
