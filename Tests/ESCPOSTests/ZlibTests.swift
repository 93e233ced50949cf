import Foundation
import Testing

@testable import ESCPOS

@Suite struct ZlibTests {
    /// The multi-line literal drops the final newline.
    let plain = Array((ZlibFixtures.plain + "\n").utf8)

    @Test func inflatesZlibsOwnStreams() throws {
        #expect(try Zlib.decompress(ZlibFixtures.stored, maxOutput: 100) == Array("giftbridge stored block".utf8))
        // Block type bits (after BFINAL) in the first byte of the deflate data: fixed 01, dynamic 10.
        #expect((ZlibFixtures.fixed[2] >> 1) & 3 == 1)
        #expect((ZlibFixtures.dynamic[2] >> 1) & 3 == 2)
        #expect(plain.count == 2562)
        #expect(try Zlib.decompress(ZlibFixtures.fixed, maxOutput: 10_000) == plain)
        #expect(try Zlib.decompress(ZlibFixtures.dynamic, maxOutput: 10_000) == plain)
        #expect(try Zlib.decompress(ZlibFixtures.multi, maxOutput: 10_000) == plain)
    }

    @Test func adler32() {
        // RFC 1950 worked value: Adler-32 of "Wikipedia" is 0x11E60398.
        #expect(Zlib.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(Zlib.adler32([]) == 1)
        // Long input exercises the deferred modulo: 100 000 × 0xFF.
        var a = 1, b = 0
        for _ in 0..<100_000 { a = (a + 255) % 65521; b = (b + a) % 65521 }
        #expect(Zlib.adler32([UInt8](repeating: 0xFF, count: 100_000)) == UInt32(b << 16 | a))
    }

    @Test func rejectsBrokenStreams() {
        let good = ZlibFixtures.dynamic
        // Header: method 7, FCHECK off by one, preset dictionary.
        #expect(throws: InflateError.invalidHeader) { try Zlib.decompress([0x77, 0x01] + good.dropFirst(2), maxOutput: 10_000) }
        #expect(throws: InflateError.invalidHeader) { try Zlib.decompress([0x78, 0xDB] + good.dropFirst(2), maxOutput: 10_000) }
        #expect(throws: InflateError.presetDictionary) { try Zlib.decompress([0x78, 0xBB, 0, 0, 0, 0], maxOutput: 10) }
        // Adler-32 trailer changed.
        var badAdler = good
        badAdler[badAdler.count - 1] ^= 1
        #expect(throws: InflateError.adlerMismatch) { try Zlib.decompress(badAdler, maxOutput: 10_000) }
        // Every truncation fails with a typed error.
        for n in 0..<good.count {
            #expect(throws: InflateError.self) { try Zlib.decompress(Array(good.prefix(n)), maxOutput: 10_000) }
        }
        // Output limit.
        #expect(throws: InflateError.outputLimitExceeded(limit: 100)) { try Zlib.decompress(good, maxOutput: 100) }
        // Stored block with LEN/NLEN not complementary; block type 3.
        #expect(throws: InflateError.storedLengthMismatch) { try Zlib.inflate([0x01, 0x05, 0x00, 0xFA, 0xFE, 1, 2, 3, 4, 5], maxOutput: 10) }
        #expect(throws: InflateError.invalidBlockType) { try Zlib.inflate([0x07], maxOutput: 10) }
        // Fixed block: length 3 at distance 1 with empty output (symbol 257 = 0000001, distance 0 = 00000).
        var w = Deflate.BitWriter()
        w.write(1, count: 1); w.write(1, count: 2)
        w.writeFixedCode(257); w.writeCode(0, length: 5); w.writeFixedCode(256)
        #expect(throws: InflateError.distanceTooFar) { try Zlib.inflate(w.finish(), maxOutput: 10) }
        // Fixed block using reserved distance symbol 30.
        var r = Deflate.BitWriter()
        r.write(1, count: 1); r.write(1, count: 2)
        r.writeFixedCode(65); r.writeFixedCode(257); r.writeCode(30, length: 5); r.writeFixedCode(256)
        #expect(throws: InflateError.invalidSymbol) { try Zlib.inflate(r.finish(), maxOutput: 10) }
    }

    @Test func rejectsBadCodeLengths() {
        // Dynamic block whose code-length code is over-subscribed: HCLEN = 4+15, all lengths 1.
        var w = Deflate.BitWriter()
        w.write(1, count: 1); w.write(2, count: 2)
        w.write(0, count: 5); w.write(0, count: 5); w.write(15, count: 4)
        for _ in 0..<19 { w.write(1, count: 3) }
        #expect(throws: InflateError.invalidCodeLengths) { try Zlib.inflate(w.finish(), maxOutput: 10) }
        // Repeat (16) as the very first code length: code-length code with symbols 16 and 0 at length 1.
        var r = Deflate.BitWriter()
        r.write(1, count: 1); r.write(2, count: 2)
        r.write(0, count: 5); r.write(0, count: 5); r.write(0, count: 4)  // HCLEN 4: order 16, 17, 18, 0
        r.write(1, count: 3); r.write(0, count: 3); r.write(0, count: 3); r.write(1, count: 3)
        r.writeCode(1, length: 1)  // symbol 16 (codes: 0 → symbol 0, 1 → symbol 16)
        r.write(0, count: 2)
        #expect(throws: InflateError.invalidCodeLengths) { try Zlib.inflate(r.finish(), maxOutput: 10) }
    }

    @Test func randomGarbageNeverTraps() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for round in 0..<3000 {
            var bytes: [UInt8] = round % 2 == 0 ? [0x78, 0x9C] : []
            for _ in 0..<(round % 200) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            _ = try? Zlib.decompress(bytes, maxOutput: 1 << 16)
            _ = try? Zlib.inflate(bytes, maxOutput: 1 << 16)
        }
        // Flipping single bits of a valid stream gives either an error or some output, never a trap.
        for i in 2..<(ZlibFixtures.dynamic.count * 8) where i % 7 == 0 {
            var bytes = ZlibFixtures.dynamic
            bytes[i / 8] ^= 1 << UInt8(i % 8)
            _ = try? Zlib.decompress(bytes, maxOutput: 10_000)
        }
    }

    @Test func compressRoundTrips() throws {
        var state: UInt32 = 7
        let noise = (0..<5000).map { _ -> UInt8 in state = state &* 1103515245 &+ 12345; return UInt8(truncatingIfNeeded: state >> 16) }
        let inputs: [[UInt8]] = [[], [0x41], plain, noise, [UInt8](repeating: 0, count: 100_000), plain + noise + plain]
        for input in inputs {
            for fixed in [true, false] {
                let z = Zlib.compress(input, fixedHuffman: fixed)
                #expect(try Zlib.decompress(z, maxOutput: input.count) == input)
            }
        }
        // Back-references do their job on repetitive data.
        #expect(Zlib.compress(plain).count < plain.count / 2)
        #expect(Zlib.compress([UInt8](repeating: 0, count: 100_000)).count < 1000)
        // Stored blocks split at 65535 bytes.
        #expect(Zlib.compress([UInt8](repeating: 0, count: 100_000), fixedHuffman: false).count == 2 + 100_000 + 2 * 5 + 4)
    }

    @Test(.enabled(if: ExternalTools.python3 != nil, "python3 is not installed"))
    func pythonZlibReadsOurStreams() throws {
        let tool = try #require(ExternalTools.python3)
        for fixed in [true, false] {
            let z = Zlib.compress(plain + plain, fixedHuffman: fixed)
            let (status, out) = try ExternalTools.run(
                tool, ["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))"], stdin: z)
            #expect(status == 0)
            #expect(out == plain + plain)
        }
    }
}
