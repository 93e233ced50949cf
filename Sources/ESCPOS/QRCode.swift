/// A QR Code (model 2, ISO/IEC 18004) as a square matrix of modules, encoded in byte mode.
///
/// Pure Swift, no I/O: used for printers without native QR (`GS ( k`) and by previews.
/// Versions 1–40, error correction L/M/Q/H, Reed–Solomon over GF(256) (polynomial 0x11D),
/// all eight masks scored with the four penalty rules (runs, 2×2 blocks, finder-like
/// patterns, dark proportion), format and version information with their BCH codes.
public struct QRCode: Sendable, Equatable {
    /// Error correction level; recovers about 7 % (L), 15 % (M), 25 % (Q), 30 % (H) of the symbol.
    public enum ErrorCorrection: Int, Sendable, CaseIterable {
        case low, medium, quartile, high

        /// The two format-information bits (L 01, M 00, Q 11, H 10).
        var formatBits: Int {
            switch self {
            case .low: return 1
            case .medium: return 0
            case .quartile: return 3
            case .high: return 2
            }
        }
    }

    public enum Error: Swift.Error, Equatable {
        /// The data does not fit in version 40 (or in `maximumVersion`) at this level.
        case dataTooLong(bytes: Int, capacity: Int)
        /// A version outside 1…40 or a mask outside 0…7 was asked for.
        case invalidParameter
    }

    /// 1…40; the symbol is `17 + 4 × version` modules wide.
    public let version: Int
    public let errorCorrection: ErrorCorrection
    /// The mask pattern applied, 0…7.
    public let mask: Int
    /// Modules per side.
    public let size: Int
    /// Row-major, `true` = dark.
    private let modules: [Bool]

    /// Whether the module at column `x`, row `y` is dark; modules outside the symbol (the quiet
    /// zone) are light.
    public subscript(x x: Int, y y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// Encodes `bytes` in byte mode in the smallest version from `minimumVersion` that holds them.
    /// `mask` forces a mask pattern; nil picks the one with the lowest penalty score.
    public init(
        bytes: [UInt8], errorCorrection: ErrorCorrection = .medium, minimumVersion: Int = 1,
        maximumVersion: Int = 40, mask: Int? = nil
    ) throws(QRCode.Error) {
        guard (1...40).contains(minimumVersion), (minimumVersion...40).contains(maximumVersion) else {
            throw .invalidParameter
        }
        if let mask, !(0...7).contains(mask) { throw .invalidParameter }
        guard let version = (minimumVersion...maximumVersion).first(where: {
            bytes.count <= Self.byteCapacity(version: $0, errorCorrection: errorCorrection)
        }) else {
            throw .dataTooLong(bytes: bytes.count, capacity: Self.byteCapacity(version: maximumVersion, errorCorrection: errorCorrection))
        }
        self.version = version
        self.errorCorrection = errorCorrection
        self.size = 17 + 4 * version

        let codewords = Self.codewords(
            Self.dataCodewords(bytes, version: version, errorCorrection: errorCorrection),
            version: version, errorCorrection: errorCorrection)
        var matrix = Matrix(version: version)
        matrix.placeData(codewords)

        if let mask {
            self.mask = mask
            self.modules = matrix.masked(mask, errorCorrection: errorCorrection).dark
        } else {
            var bestMask = 0
            var bestScore = Int.max
            var bestModules: [Bool] = []
            for m in 0..<8 {
                let candidate = matrix.masked(m, errorCorrection: errorCorrection).dark
                let score = Self.penalty(candidate, size: size)
                if score < bestScore {
                    (bestMask, bestScore, bestModules) = (m, score, candidate)
                }
            }
            self.mask = bestMask
            self.modules = bestModules
        }
    }

    /// Encodes the UTF-8 bytes of `text`.
    public init(
        _ text: String, errorCorrection: ErrorCorrection = .medium, minimumVersion: Int = 1, mask: Int? = nil
    ) throws(QRCode.Error) {
        try self.init(bytes: Array(text.utf8), errorCorrection: errorCorrection, minimumVersion: minimumVersion, mask: mask)
    }

    // MARK: - Capacity tables (ISO/IEC 18004 table 9)

    /// Error-correction codewords per block, per level (L, M, Q, H) and version 1…40.
    static let ecCodewordsPerBlock: [[Int]] = [
        [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
         28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
         26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
         28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
         30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    /// Error-correction blocks, per level (L, M, Q, H) and version 1…40.
    static let blockCounts: [[Int]] = [
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
         8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
         17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
         23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
         25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Modules left for data and error correction once the function patterns, format and
    /// version information are placed, counted on an empty matrix of each version.
    static let rawDataModules: [Int] = (1...40).map { v in
        Matrix(version: v).reserved.reduce(0) { $0 + ($1 ? 0 : 1) }
    }

    /// All codewords (data + error correction) of a version.
    static func totalCodewords(version: Int) -> Int { rawDataModules[version - 1] / 8 }

    /// Data codewords of a version at a level.
    static func dataCodewordCount(version: Int, errorCorrection: ErrorCorrection) -> Int {
        let l = errorCorrection.rawValue
        return totalCodewords(version: version) - ecCodewordsPerBlock[l][version - 1] * blockCounts[l][version - 1]
    }

    /// How many bytes byte mode holds in a version at a level.
    public static func byteCapacity(version: Int, errorCorrection: ErrorCorrection) -> Int {
        guard (1...40).contains(version) else { return 0 }
        let bits = dataCodewordCount(version: version, errorCorrection: errorCorrection) * 8
        let header = 4 + (version <= 9 ? 8 : 16)
        return max(0, (bits - header) / 8)
    }

    // MARK: - Bit stream and error correction

    /// Mode indicator 0100, character count, data, terminator, padding to a byte, pad codewords
    /// EC 11 alternating.
    static func dataCodewords(_ bytes: [UInt8], version: Int, errorCorrection: ErrorCorrection) -> [UInt8] {
        let capacity = dataCodewordCount(version: version, errorCorrection: errorCorrection)
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version <= 9 ? 8 : 16)
        for b in bytes { bits.append(Int(b), count: 8) }
        bits.append(0, count: min(4, capacity * 8 - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var out = bits.bytes
        var pad: UInt8 = 0xEC
        while out.count < capacity {
            out.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return out
    }

    /// Splits data into blocks (short blocks first), adds Reed–Solomon codewords to each and
    /// interleaves: data codewords column by column, then error-correction codewords.
    static func codewords(_ data: [UInt8], version: Int, errorCorrection: ErrorCorrection) -> [UInt8] {
        let l = errorCorrection.rawValue
        let blocks = blockCounts[l][version - 1]
        let ecLength = ecCodewordsPerBlock[l][version - 1]
        let total = totalCodewords(version: version)
        let longBlocks = total % blocks
        let shortData = total / blocks - ecLength
        let generator = ReedSolomon.generator(degree: ecLength)
        var dataBlocks: [[UInt8]] = []
        var ecBlocks: [[UInt8]] = []
        var start = 0
        for i in 0..<blocks {
            let length = shortData + (i >= blocks - longBlocks ? 1 : 0)
            let block = Array(data[start..<(start + length)])
            start += length
            dataBlocks.append(block)
            ecBlocks.append(ReedSolomon.remainder(block, generator: generator))
        }
        var out: [UInt8] = []
        out.reserveCapacity(total)
        for i in 0...shortData {
            for block in dataBlocks where i < block.count { out.append(block[i]) }
        }
        for i in 0..<ecLength {
            for block in ecBlocks { out.append(block[i]) }
        }
        return out
    }

    // MARK: - Penalty (ISO/IEC 18004 7.8.3)

    /// N1 (3 + run − 5 per run of ≥5 same-colour modules in a row or column), N2 (3 per 2×2
    /// same-colour block), N3 (40 per 1:1:3:1:1 finder-like pattern with 4 light modules on one
    /// side; outside the symbol counts as light) and N4 (10 per full 5 % the dark share is away
    /// from 50 %).
    static func penalty(_ dark: [Bool], size: Int) -> Int {
        var score = 0
        // N1 and N3, rows (pass 0) and columns (pass 1).
        for pass in 0..<2 {
            for a in 0..<size {
                @inline(__always) func at(_ b: Int) -> Bool {
                    guard b >= 0, b < size else { return false }
                    return pass == 0 ? dark[a * size + b] : dark[b * size + a]
                }
                var run = 1
                for b in 1...size {
                    if b < size && at(b) == at(b - 1) {
                        run += 1
                    } else {
                        if run >= 5 { score += 3 + run - 5 }
                        run = 1
                    }
                }
                // 1011101 with 0000 before or after it.
                for b in 0...(size - 7) {
                    guard at(b), !at(b + 1), at(b + 2), at(b + 3), at(b + 4), !at(b + 5), at(b + 6) else { continue }
                    let before = !at(b - 1) && !at(b - 2) && !at(b - 3) && !at(b - 4)
                    let after = !at(b + 7) && !at(b + 8) && !at(b + 9) && !at(b + 10)
                    if before || after { score += 40 }
                }
            }
        }
        // N2.
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let c = dark[y * size + x]
                if dark[y * size + x + 1] == c && dark[(y + 1) * size + x] == c && dark[(y + 1) * size + x + 1] == c {
                    score += 3
                }
            }
        }
        // N4.
        let total = size * size
        let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
        let deviation = abs(darkCount * 20 - total * 10)  // in units of 1/total of 5 %
        score += (deviation / total) * 10
        return score
    }

    // MARK: - Format and version information

    /// 15-bit format information: level bits and mask, BCH(15,5) with generator 0x537, XOR 0x5412.
    static func formatInformation(_ level: ErrorCorrection, mask: Int) -> Int {
        let data = level.formatBits << 3 | mask
        var rem = data << 10
        for bit in stride(from: 14, through: 10, by: -1) where rem & (1 << bit) != 0 {
            rem ^= 0x537 << (bit - 10)
        }
        return (data << 10 | rem) ^ 0x5412
    }

    /// 18-bit version information (versions ≥ 7): version and BCH(18,6) with generator 0x1F25.
    static func versionInformation(_ version: Int) -> Int {
        var rem = version << 12
        for bit in stride(from: 17, through: 12, by: -1) where rem & (1 << bit) != 0 {
            rem ^= 0x1F25 << (bit - 12)
        }
        return version << 12 | rem
    }

    /// Centre coordinates of the alignment patterns along one axis.
    static func alignmentCentres(version v: Int) -> [Int] {
        guard v >= 2 else { return [] }
        let n = v / 7 + 2
        let size = 17 + 4 * v
        let step: Int
        if v == 32 {
            step = 26
        } else {
            let spread = (size - 13 + (n - 1) - 1) / (n - 1)  // ceil((size - 13) / (n - 1))
            step = spread + spread % 2
        }
        var centres = [6]
        for i in 0..<(n - 1) { centres.insert(size - 7 - i * step, at: 1) }
        return centres
    }
}

// MARK: - Matrix construction

extension QRCode {
    struct Matrix: Equatable {
        let version: Int
        let size: Int
        var dark: [Bool]
        /// Function patterns, format and version areas: not data, not masked.
        var reserved: [Bool]

        init(version: Int) {
            self.version = version
            size = 17 + 4 * version
            dark = Array(repeating: false, count: size * size)
            reserved = Array(repeating: false, count: size * size)
            drawFunctionPatterns()
        }

        mutating func set(_ x: Int, _ y: Int, _ isDark: Bool) {
            dark[y * size + x] = isDark
            reserved[y * size + x] = true
        }

        mutating func drawFunctionPatterns() {
            // Timing patterns.
            for i in 0..<size {
                set(6, i, i % 2 == 0)
                set(i, 6, i % 2 == 0)
            }
            // Finders with their separators.
            for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 {
                        let x = cx + dx, y = cy + dy
                        guard x >= 0, y >= 0, x < size, y < size else { continue }
                        let d = max(abs(dx), abs(dy))
                        set(x, y, d != 2 && d != 4)
                    }
                }
            }
            // Alignment patterns, except where they would overlap a finder.
            let centres = QRCode.alignmentCentres(version: version)
            let last = centres.count - 1
            for (i, cy) in centres.enumerated() {
                for (j, cx) in centres.enumerated() {
                    if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                    for dy in -2...2 {
                        for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
                    }
                }
            }
            // Format areas (filled per mask later) and the dark module.
            drawFormat(0)
            set(8, size - 8, true)
            // Version information.
            if version >= 7 {
                let info = QRCode.versionInformation(version)
                for i in 0..<18 {
                    let bit = (info >> i) & 1 == 1
                    let a = size - 11 + i % 3, b = i / 3
                    set(a, b, bit)
                    set(b, a, bit)
                }
            }
        }

        /// Writes 15 format bits in both copies (bit 0 is the least significant).
        mutating func drawFormat(_ info: Int) {
            func bit(_ i: Int) -> Bool { (info >> i) & 1 == 1 }
            for i in 0...5 { set(8, i, bit(i)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for i in 9..<15 { set(14 - i, 8, bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
        }

        /// Places codewords (most significant bit first) in the two-column zigzag from the
        /// bottom-right corner, skipping reserved modules and the vertical timing column.
        /// Remainder bits stay light.
        mutating func placeData(_ codewords: [UInt8]) {
            var bitIndex = 0
            let totalBits = codewords.count * 8
            var right = size - 1
            var upward = true
            while right >= 1 {
                if right == 6 { right = 5 }
                for k in 0..<size {
                    let y = upward ? size - 1 - k : k
                    for x in [right, right - 1] where !reserved[y * size + x] {
                        if bitIndex < totalBits {
                            let byte = codewords[bitIndex >> 3]
                            dark[y * size + x] = (byte >> (7 - UInt8(bitIndex & 7))) & 1 == 1
                        }
                        bitIndex += 1
                    }
                }
                upward.toggle()
                right -= 2
            }
        }

        /// A copy with mask `mask` applied to the data modules and its format information drawn.
        func masked(_ mask: Int, errorCorrection: ErrorCorrection) -> Matrix {
            var copy = self
            for y in 0..<size {
                for x in 0..<size where !reserved[y * size + x] {
                    let flip: Bool
                    switch mask {
                    case 0: flip = (y + x) % 2 == 0
                    case 1: flip = y % 2 == 0
                    case 2: flip = x % 3 == 0
                    case 3: flip = (y + x) % 3 == 0
                    case 4: flip = (y / 2 + x / 3) % 2 == 0
                    case 5: flip = (y * x) % 2 + (y * x) % 3 == 0
                    case 6: flip = ((y * x) % 2 + (y * x) % 3) % 2 == 0
                    default: flip = ((y + x) % 2 + (y * x) % 3) % 2 == 0
                    }
                    if flip { copy.dark[y * size + x].toggle() }
                }
            }
            copy.drawFormat(QRCode.formatInformation(errorCorrection, mask: mask))
            return copy
        }
    }

    /// Bits appended most significant first.
    struct BitBuffer {
        private(set) var bytes: [UInt8] = []
        private(set) var count = 0

        mutating func append(_ value: Int, count n: Int) {
            for i in stride(from: n - 1, through: 0, by: -1) {
                if count % 8 == 0 { bytes.append(0) }
                if (value >> i) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count % 8) }
                count += 1
            }
        }
    }
}

/// Reed–Solomon error correction over GF(256) with the QR field polynomial
/// x⁸ + x⁴ + x³ + x² + 1 (0x11D) and generator roots α⁰…α^(n−1).
enum ReedSolomon {
    static let (exp, log): ([UInt8], [UInt8]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [UInt8](repeating: 0, count: 256)
        var x = 1
        for i in 0..<255 {
            exp[i] = UInt8(x)
            log[x] = UInt8(i)
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
        }
        for i in 255..<512 { exp[i] = exp[i - 255] }
        return (exp, log)
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        if a == 0 || b == 0 { return 0 }
        return exp[Int(log[Int(a)]) + Int(log[Int(b)])]
    }

    /// Coefficients of ∏(x − αⁱ), i < degree, highest power first, leading 1 omitted.
    static func generator(degree: Int) -> [UInt8] {
        var poly: [UInt8] = [1]
        for i in 0..<degree {
            var next = [UInt8](repeating: 0, count: poly.count + 1)
            for (j, c) in poly.enumerated() {
                next[j] ^= c
                next[j + 1] ^= multiply(c, exp[i])
            }
            poly = next
        }
        return Array(poly.dropFirst())
    }

    /// The remainder of data·x^n divided by the generator: the n error-correction codewords.
    static func remainder(_ data: [UInt8], generator: [UInt8]) -> [UInt8] {
        var rem = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ rem[0]
            rem.removeFirst()
            rem.append(0)
            for (i, g) in generator.enumerated() { rem[i] ^= multiply(g, factor) }
        }
        return rem
    }
}
