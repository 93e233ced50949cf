extension Zlib {
    /// A zlib stream (header `78 01`, one deflate block, Adler-32) that any inflater reads.
    /// `fixedHuffman` (the default) uses LZ77 back-references in a 32 KiB window and the fixed
    /// Huffman code of RFC 1951 §3.2.6; otherwise the data goes in stored blocks of up to 65535
    /// bytes, uncompressed.
    public static func compress(_ data: [UInt8], fixedHuffman: Bool = true) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        out += fixedHuffman ? Deflate.fixed(data) : Deflate.stored(data)
        let adler = adler32(data)
        out += [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
        return out
    }
}

/// Raw deflate encoders (RFC 1951).
enum Deflate {
    /// Stored blocks; an empty input gives one empty final block.
    static func stored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        repeat {
            let end = min(start + 65535, data.count)
            let len = end - start
            out.append(end == data.count ? 1 : 0)  // BFINAL, BTYPE 00, padding
            out += [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8 & 0xFF)]
            out += data[start..<end]
            start = end
        } while start < data.count
        return out
    }

    /// One final fixed-Huffman block; greedy LZ77 with hash chains over 3-byte prefixes.
    static func fixed(_ data: [UInt8]) -> [UInt8] {
        var w = BitWriter()
        w.write(1, count: 1)  // BFINAL
        w.write(1, count: 2)  // BTYPE 01
        let window = 32768, maxChain = 64
        var head = [Int](repeating: -1, count: 1 << 15)
        var previous = [Int](repeating: -1, count: window)
        @inline(__always) func hash(_ i: Int) -> Int {
            (Int(data[i]) << 10 ^ Int(data[i + 1]) << 5 ^ Int(data[i + 2])) & 0x7FFF
        }
        func insert(_ i: Int) {
            guard i + 2 < data.count else { return }
            let h = hash(i)
            previous[i & (window - 1)] = head[h]
            head[h] = i
        }
        var i = 0
        while i < data.count {
            var bestLength = 0, bestDistance = 0
            if i + 2 < data.count {
                var candidate = head[hash(i)]
                var chain = 0
                let limit = min(258, data.count - i)
                while candidate >= 0 && i - candidate <= window && chain < maxChain {
                    var l = 0
                    while l < limit && data[candidate + l] == data[i + l] { l += 1 }
                    if l > bestLength {
                        bestLength = l
                        bestDistance = i - candidate
                        if l == limit { break }
                    }
                    let next = previous[candidate & (window - 1)]
                    if next >= candidate { break }  // slot reused by a newer position
                    candidate = next
                    chain += 1
                }
            }
            if bestLength >= 3 {
                w.writeLiteralOrLength(lengthSymbol: bestLength)
                w.writeDistance(bestDistance)
                for k in 0..<bestLength { insert(i + k) }
                i += bestLength
            } else {
                w.writeFixedCode(Int(data[i]))
                insert(i)
                i += 1
            }
        }
        w.writeFixedCode(256)
        return w.finish()
    }

    /// Bits least significant first; Huffman codes go most significant bit first.
    struct BitWriter {
        private(set) var bytes: [UInt8] = []
        private var buffer: UInt64 = 0
        private var count = 0

        mutating func write(_ value: Int, count n: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += n
            while count >= 8 {
                bytes.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                count -= 8
            }
        }

        mutating func writeCode(_ code: Int, length: Int) {
            var reversed = 0
            for i in 0..<length where code & (1 << i) != 0 { reversed |= 1 << (length - 1 - i) }
            write(reversed, count: length)
        }

        /// A literal/length symbol (0…287) in the fixed code.
        mutating func writeFixedCode(_ symbol: Int) {
            switch symbol {
            case 0...143: writeCode(0x30 + symbol, length: 8)
            case 144...255: writeCode(0x190 + symbol - 144, length: 9)
            case 256...279: writeCode(symbol - 256, length: 7)
            default: writeCode(0xC0 + symbol - 280, length: 8)
            }
        }

        /// A match length (3…258): its symbol, then extra bits.
        mutating func writeLiteralOrLength(lengthSymbol length: Int) {
            var s = DeflateTables.lengthBase.count - 1
            while DeflateTables.lengthBase[s] > length { s -= 1 }
            writeFixedCode(257 + s)
            write(length - DeflateTables.lengthBase[s], count: DeflateTables.lengthExtra[s])
        }

        /// A distance (1…32768): 5-bit fixed code, then extra bits.
        mutating func writeDistance(_ distance: Int) {
            var s = DeflateTables.distanceBase.count - 1
            while DeflateTables.distanceBase[s] > distance { s -= 1 }
            writeCode(s, length: 5)
            write(distance - DeflateTables.distanceBase[s], count: DeflateTables.distanceExtra[s])
        }

        mutating func finish() -> [UInt8] {
            if count > 0 { bytes.append(UInt8(buffer & 0xFF)) }
            buffer = 0
            count = 0
            return bytes
        }
    }
}
