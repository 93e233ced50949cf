/// Why a zlib (RFC 1950) or deflate (RFC 1951) stream could not be inflated.
public enum InflateError: Error, Equatable, Sendable {
    /// The input ends inside the stream.
    case truncated
    /// zlib header: compression method not 8, window above 32 KiB, or FCHECK wrong.
    case invalidHeader
    /// zlib header asks for a preset dictionary, which PNG and this decoder do not use.
    case presetDictionary
    /// Block type 3.
    case invalidBlockType
    /// A stored block whose LEN and NLEN are not complements.
    case storedLengthMismatch
    /// Huffman code lengths that do not form a prefix code (over-subscribed, incomplete,
    /// a repeat with nothing to repeat or past the end, no end-of-block code).
    case invalidCodeLengths
    /// A bit pattern no code has, or a reserved length (286, 287) or distance (30, 31) symbol.
    case invalidSymbol
    /// A back-reference before the start of the output.
    case distanceTooFar
    /// The output would exceed the limit the caller set.
    case outputLimitExceeded(limit: Int)
    /// The Adler-32 of the output is not the one the stream carries.
    case adlerMismatch
}

/// zlib streams (RFC 1950) around deflate data (RFC 1951). Pure Swift, no I/O.
public enum Zlib {
    /// Inflates a zlib stream: checks the header, inflates stored, fixed-Huffman and
    /// dynamic-Huffman blocks, then checks the Adler-32 trailer. `maxOutput` bounds the output
    /// (a guard against decompression bombs). Bytes after the trailer are ignored.
    public static func decompress(_ data: [UInt8], maxOutput: Int) throws(InflateError) -> [UInt8] {
        guard data.count >= 2 else { throw .truncated }
        let cmf = Int(data[0]), flg = Int(data[1])
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (cmf << 8 | flg) % 31 == 0 else { throw .invalidHeader }
        guard flg & 0x20 == 0 else { throw .presetDictionary }
        var inflater = Inflater(data, start: 2, maxOutput: maxOutput)
        try inflater.run()
        var trailer = inflater.reader.byteAlignedPosition()
        guard trailer + 4 <= data.count else { throw .truncated }
        var expected: UInt32 = 0
        for _ in 0..<4 {
            expected = expected << 8 | UInt32(data[trailer])
            trailer += 1
        }
        guard adler32(inflater.output) == expected else { throw .adlerMismatch }
        return inflater.output
    }

    /// Inflates raw deflate data (no zlib header or trailer).
    public static func inflate(_ data: [UInt8], maxOutput: Int) throws(InflateError) -> [UInt8] {
        var inflater = Inflater(data, start: 0, maxOutput: maxOutput)
        try inflater.run()
        return inflater.output
    }

    /// Adler-32 (RFC 1950 §8.2).
    public static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < data.count {
            // 5552 bytes is the most that cannot overflow 32 bits before the modulo.
            let end = min(i + 5552, data.count)
            while i < end {
                a &+= UInt32(data[i])
                b &+= a
                i += 1
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }
}

/// Bits least significant first, as deflate packs them.
struct BitReader {
    let data: [UInt8]
    private(set) var position: Int
    private var buffer: UInt64 = 0
    private(set) var count = 0

    init(_ data: [UInt8], start: Int) {
        self.data = data
        position = start
    }

    /// Loads whole bytes while there is room and input.
    @inline(__always) mutating func refill() {
        while count <= 56 && position < data.count {
            buffer |= UInt64(data[position]) << UInt64(count)
            position += 1
            count += 8
        }
    }

    mutating func bits(_ n: Int) throws(InflateError) -> Int {
        if n == 0 { return 0 }
        if count < n { refill() }
        guard count >= n else { throw .truncated }
        let value = Int(buffer & ((1 << UInt64(n)) - 1))
        buffer >>= UInt64(n)
        count -= n
        return value
    }

    /// The next `n` bits without consuming them; missing bits past the end read as 0.
    @inline(__always) mutating func peek(_ n: Int) -> Int {
        if count < n { refill() }
        return Int(buffer & ((1 << UInt64(n)) - 1))
    }

    @inline(__always) mutating func consume(_ n: Int) throws(InflateError) {
        guard count >= n else { throw .truncated }
        buffer >>= UInt64(n)
        count -= n
    }

    /// Drops the bits up to the next byte boundary and gives back buffered whole bytes;
    /// returns the index of the next unread byte.
    mutating func byteAlignedPosition() -> Int {
        let drop = count % 8
        buffer >>= UInt64(drop)
        count -= drop
        position -= count / 8
        buffer = 0
        count = 0
        return position
    }

    mutating func skip(toByte index: Int) { position = index }
}

/// A canonical Huffman code as a lookup table indexed by the next `maxLength` input bits
/// (least significant first); each entry is `symbol << 4 | length`, 0 when no code matches.
struct HuffmanTable {
    let maxLength: Int
    let entries: [UInt32]

    /// Builds the code for `lengths` (0 = symbol unused). Accepts complete codes, a single code
    /// of length 1 (RFC 1951 §3.2.7) and no codes at all (any use is then an error).
    init(lengths: ArraySlice<UInt8>) throws(InflateError) {
        var counts = [Int](repeating: 0, count: 16)
        for l in lengths { counts[Int(l)] += 1 }
        counts[0] = 0
        var left = 1
        for len in 1...15 {
            left <<= 1
            left -= counts[len]
            guard left >= 0 else { throw .invalidCodeLengths }
        }
        let used = counts.reduce(0, +)
        if left > 0 && !(used == 0 || (used == 1 && counts[1] == 1)) { throw .invalidCodeLengths }
        let maxLength = max(1, (1...15).last { counts[$0] > 0 } ?? 1)
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for len in 1...15 {
            code = (code + counts[len - 1]) << 1
            next[len] = code
        }
        var entries = [UInt32](repeating: 0, count: 1 << maxLength)
        for (symbol, l) in lengths.enumerated() where l > 0 {
            let len = Int(l)
            let c = next[len]
            next[len] += 1
            var reversed = 0
            for i in 0..<len where c & (1 << i) != 0 { reversed |= 1 << (len - 1 - i) }
            var i = reversed
            while i < entries.count {
                entries[i] = UInt32(symbol) << 4 | UInt32(len)
                i += 1 << len
            }
        }
        self.maxLength = maxLength
        self.entries = entries
    }

    @inline(__always) func decode(_ reader: inout BitReader) throws(InflateError) -> Int {
        let entry = entries[reader.peek(maxLength)]
        let len = Int(entry & 0xF)
        guard len > 0 else {
            if reader.count < maxLength { throw .truncated }
            throw .invalidSymbol
        }
        try reader.consume(len)
        return Int(entry >> 4)
    }

    static let fixedLiterals: HuffmanTable = {
        var lengths = [UInt8](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        // Complete by construction.
        return (try? HuffmanTable(lengths: lengths[...])) ?? HuffmanTable(empty: ())
    }()

    static let fixedDistances: HuffmanTable = {
        (try? HuffmanTable(lengths: [UInt8](repeating: 5, count: 32)[...])) ?? HuffmanTable(empty: ())
    }()

    /// A table that matches nothing.
    init(empty: Void) {
        maxLength = 1
        entries = [0, 0]
    }
}

/// RFC 1951 §3.2.5 tables.
enum DeflateTables {
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
        4097, 6145, 8193, 12289, 16385, 24577,
    ]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    /// Order in which a dynamic block sends the code-length code lengths.
    static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
}

struct Inflater {
    var reader: BitReader
    var output: [UInt8] = []
    let maxOutput: Int

    init(_ data: [UInt8], start: Int, maxOutput: Int) {
        reader = BitReader(data, start: start)
        self.maxOutput = max(0, maxOutput)
    }

    mutating func run() throws(InflateError) {
        var final = false
        while !final {
            final = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0: try stored()
            case 1: try codes(HuffmanTable.fixedLiterals, HuffmanTable.fixedDistances)
            case 2:
                let (literals, distances) = try dynamicTables()
                try codes(literals, distances)
            default: throw .invalidBlockType
            }
        }
    }

    private mutating func stored() throws(InflateError) {
        var p = reader.byteAlignedPosition()
        let data = reader.data
        guard p + 4 <= data.count else { throw .truncated }
        let len = Int(data[p]) | Int(data[p + 1]) << 8
        let nlen = Int(data[p + 2]) | Int(data[p + 3]) << 8
        guard len == ~nlen & 0xFFFF else { throw .storedLengthMismatch }
        p += 4
        guard p + len <= data.count else { throw .truncated }
        guard output.count + len <= maxOutput else { throw .outputLimitExceeded(limit: maxOutput) }
        output += data[p..<(p + len)]
        reader.skip(toByte: p + len)
    }

    private mutating func dynamicTables() throws(InflateError) -> (HuffmanTable, HuffmanTable) {
        let hlit = try reader.bits(5) + 257
        let hdist = try reader.bits(5) + 1
        let hclen = try reader.bits(4) + 4
        guard hlit <= 286, hdist <= 30 else { throw .invalidCodeLengths }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<hclen { codeLengthLengths[DeflateTables.codeLengthOrder[i]] = UInt8(try reader.bits(3)) }
        let codeLengthTable = try HuffmanTable(lengths: codeLengthLengths[...])
        var lengths = [UInt8](repeating: 0, count: hlit + hdist)
        var i = 0
        while i < lengths.count {
            let symbol = try codeLengthTable.decode(&reader)
            var repeatValue: UInt8 = 0
            var repeatCount = 0
            switch symbol {
            case 0...15:
                lengths[i] = UInt8(symbol)
                i += 1
                continue
            case 16:
                guard i > 0 else { throw .invalidCodeLengths }
                repeatValue = lengths[i - 1]
                repeatCount = 3 + (try reader.bits(2))
            case 17: repeatCount = 3 + (try reader.bits(3))
            case 18: repeatCount = 11 + (try reader.bits(7))
            default: throw .invalidSymbol
            }
            guard i + repeatCount <= lengths.count else { throw .invalidCodeLengths }
            for _ in 0..<repeatCount {
                lengths[i] = repeatValue
                i += 1
            }
        }
        guard lengths[256] > 0 else { throw .invalidCodeLengths }
        return (try HuffmanTable(lengths: lengths[0..<hlit]), try HuffmanTable(lengths: lengths[hlit...]))
    }

    private mutating func codes(_ literals: HuffmanTable, _ distances: HuffmanTable) throws(InflateError) {
        while true {
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                guard output.count < maxOutput else { throw .outputLimitExceeded(limit: maxOutput) }
                output.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let l = symbol - 257
            guard l < 29 else { throw .invalidSymbol }
            let length = DeflateTables.lengthBase[l] + (try reader.bits(DeflateTables.lengthExtra[l]))
            let d = try distances.decode(&reader)
            guard d < 30 else { throw .invalidSymbol }
            let distance = DeflateTables.distanceBase[d] + (try reader.bits(DeflateTables.distanceExtra[d]))
            guard distance <= output.count else { throw .distanceTooFar }
            guard output.count + length <= maxOutput else { throw .outputLimitExceeded(limit: maxOutput) }
            var from = output.count - distance
            for _ in 0..<length {
                output.append(output[from])
                from += 1
            }
        }
    }
}
