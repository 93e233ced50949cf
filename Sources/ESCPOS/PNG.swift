/// A decoded PNG: its header facts and its pixels as 8-bit RGBA.
public struct PNGImage: Sendable, Equatable {
    /// PNG colour types (PNG specification §11.2.2, IHDR).
    public enum ColorType: UInt8, Sendable {
        case grayscale = 0, rgb = 2, palette = 3, grayscaleAlpha = 4, rgba = 6

        var channels: Int {
            switch self {
            case .grayscale, .palette: return 1
            case .grayscaleAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }

        var allowedBitDepths: [Int] {
            switch self {
            case .grayscale: return [1, 2, 4, 8, 16]
            case .palette: return [1, 2, 4, 8]
            case .rgb, .grayscaleAlpha, .rgba: return [8, 16]
            }
        }
    }

    public let width: Int
    public let height: Int
    public let bitDepth: Int
    public let colorType: ColorType
    public let interlaced: Bool
    /// Row-major R, G, B, A bytes. 16-bit samples keep their high byte; samples under 8 bits are
    /// scaled to 0–255; transparency from `tRNS` becomes alpha.
    public let rgba: [UInt8]

    /// Luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B) composited over `background`
    /// (white by default), in integer arithmetic.
    public func grayImage(background: UInt8 = 255) -> GrayImage {
        var pixels = [UInt8](repeating: 0, count: width * height)
        let bg = Int(background)
        for i in 0..<(width * height) {
            let r = Int(rgba[4 * i]), g = Int(rgba[4 * i + 1]), b = Int(rgba[4 * i + 2]), a = Int(rgba[4 * i + 3])
            let luma = (299 * r + 587 * g + 114 * b + 500) / 1000
            pixels[i] = UInt8((luma * a + bg * (255 - a) + 127) / 255)
        }
        return GrayImage(unchecked: width, height, pixels)
    }
}

/// PNG (ISO/IEC 15948, W3C PNG specification) decoding and encoding. Pure Swift, no I/O.
///
/// The decoder reads every colour type and bit depth the specification allows, interlaced
/// (Adam7) or not, all five filter types, `PLTE` and `tRNS`; it checks every chunk's CRC-32,
/// the zlib stream's Adler-32, and rejects images wider or taller than
/// ``ImageLimits/maxDimension`` before allocating anything for them. Ancillary chunks other
/// than `tRNS` (gamma, colour profiles, text) are skipped; an unknown critical chunk is an error.
public enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    // MARK: Decoding

    public static func decode(_ data: [UInt8]) throws(ImageError) -> PNGImage {
        guard data.count >= 8 else { throw data.elementsEqual(signature.prefix(data.count)) ? .truncated : .notThisFormat }
        guard Array(data[0..<8]) == signature else { throw .notThisFormat }
        var header: Header? = nil
        var palette: [UInt8] = []  // RGB triples
        var transparency: [UInt8]? = nil
        var compressed: [UInt8] = []
        var sawIDAT = false, ended = false
        var p = 8
        while !ended {
            guard p + 8 <= data.count else { throw .truncated }
            let length = Int(be32(data, p))
            guard length <= 0x7FFF_FFFF else { throw .malformed("chunk length above 2^31 - 1") }
            let typeStart = p + 4, bodyStart = p + 8
            guard bodyStart + length + 4 <= data.count else { throw .truncated }
            let type = String(decoding: data[typeStart..<bodyStart], as: UTF8.self)
            let body = data[bodyStart..<(bodyStart + length)]
            guard crc32(data[typeStart..<(bodyStart + length)]) == be32(data, bodyStart + length) else {
                throw .checksumMismatch(type)
            }
            p = bodyStart + length + 4
            if header == nil && type != "IHDR" { throw .malformed("first chunk is \(type), not IHDR") }
            switch type {
            case "IHDR":
                guard header == nil else { throw .malformed("second IHDR") }
                header = try Header(body)
            case "PLTE":
                guard let h = header, !sawIDAT, palette.isEmpty else { throw .malformed("PLTE out of place") }
                guard h.colorType != .grayscale, h.colorType != .grayscaleAlpha else { throw .malformed("PLTE in a grayscale image") }
                guard length % 3 == 0, length >= 3, length / 3 <= 256 else { throw .malformed("PLTE length \(length)") }
                palette = Array(body)
            case "tRNS":
                guard let h = header, !sawIDAT, transparency == nil else { throw .malformed("tRNS out of place") }
                switch h.colorType {
                case .grayscale: guard length == 2 else { throw .malformed("tRNS length") }
                case .rgb: guard length == 6 else { throw .malformed("tRNS length") }
                case .palette:
                    guard !palette.isEmpty, length <= palette.count / 3 else { throw .malformed("tRNS longer than PLTE") }
                case .grayscaleAlpha, .rgba: throw .malformed("tRNS with an alpha channel")
                }
                transparency = Array(body)
            case "IDAT":
                compressed += body
                sawIDAT = true
            case "IEND":
                ended = true
            default:
                // Bit 5 of the first type byte clear: critical; a decoder must not ignore it.
                if data[typeStart] & 0x20 == 0 { throw .unsupported("critical chunk \(type)") }
            }
        }
        guard let h = header else { throw .malformed("no IHDR") }
        guard sawIDAT else { throw .malformed("no IDAT") }
        if h.colorType == .palette && palette.isEmpty { throw .malformed("palette image without PLTE") }

        let passes = h.interlaced ? Self.adam7 : [Pass(x: 0, y: 0, dx: 1, dy: 1)]
        var expected = 0
        for pass in passes {
            let (w, rows) = pass.size(h.width, h.height)
            if w > 0 && rows > 0 { expected += rows * (1 + h.rowBytes(w)) }
        }
        let raw: [UInt8]
        do { raw = try Zlib.decompress(compressed, maxOutput: expected) } catch { throw .compression(error) }
        guard raw.count == expected else { throw .malformed("image data is \(raw.count) bytes, \(expected) expected") }

        var rgba = [UInt8](repeating: 0, count: h.width * h.height * 4)
        var offset = 0
        for pass in passes {
            let (w, rows) = pass.size(h.width, h.height)
            guard w > 0 && rows > 0 else { continue }
            let rowBytes = h.rowBytes(w)
            let unfiltered = try unfilter(raw, offset: offset, rows: rows, rowBytes: rowBytes, bytesPerPixel: max(1, h.bitsPerPixel / 8))
            offset += rows * (1 + rowBytes)
            for r in 0..<rows {
                for c in 0..<w {
                    let target = ((pass.y + r * pass.dy) * h.width + pass.x + c * pass.dx) * 4
                    try h.pixel(unfiltered, row: r * rowBytes, column: c, palette: palette, transparency: transparency, into: &rgba, at: target)
                }
            }
        }
        return PNGImage(width: h.width, height: h.height, bitDepth: h.bitDepth, colorType: h.colorType, interlaced: h.interlaced, rgba: rgba)
    }

    struct Header {
        let width: Int, height: Int, bitDepth: Int
        let colorType: PNGImage.ColorType
        let interlaced: Bool

        init(_ body: ArraySlice<UInt8>) throws(ImageError) {
            guard body.count == 13 else { throw .malformed("IHDR length \(body.count)") }
            let b = Array(body)
            let width = Int(be32(b, 0)), height = Int(be32(b, 4))
            try ImageError.checkDimensions(width, height)
            guard let colorType = PNGImage.ColorType(rawValue: b[9]) else { throw .malformed("colour type \(b[9])") }
            guard colorType.allowedBitDepths.contains(Int(b[8])) else { throw .malformed("bit depth \(b[8]) with colour type \(b[9])") }
            guard b[10] == 0 else { throw .unsupported("compression method \(b[10])") }
            guard b[11] == 0 else { throw .unsupported("filter method \(b[11])") }
            guard b[12] <= 1 else { throw .unsupported("interlace method \(b[12])") }
            self.width = width
            self.height = height
            self.bitDepth = Int(b[8])
            self.colorType = colorType
            self.interlaced = b[12] == 1
        }

        var bitsPerPixel: Int { bitDepth * colorType.channels }
        func rowBytes(_ pixels: Int) -> Int { (pixels * bitsPerPixel + 7) / 8 }

        /// Sample `channel` of pixel `column` in the unfiltered row starting at `row`.
        @inline(__always) func sample(_ data: [UInt8], row: Int, column: Int, channel: Int) -> Int {
            switch bitDepth {
            case 16:
                let i = row + (column * colorType.channels + channel) * 2
                return Int(data[i]) << 8 | Int(data[i + 1])
            case 8:
                return Int(data[row + column * colorType.channels + channel])
            default:  // 1, 2, 4: one channel
                let bit = column * bitDepth
                let shift = 8 - bitDepth - bit % 8
                return Int(data[row + bit / 8] >> UInt8(shift)) & ((1 << bitDepth) - 1)
            }
        }

        /// A sample scaled to 8 bits.
        @inline(__always) func eight(_ v: Int) -> UInt8 {
            switch bitDepth {
            case 16: return UInt8(v >> 8)
            case 8: return UInt8(v)
            default: return UInt8(v * 255 / ((1 << bitDepth) - 1))
            }
        }

        func pixel(
            _ data: [UInt8], row: Int, column: Int, palette: [UInt8], transparency: [UInt8]?,
            into out: inout [UInt8], at i: Int
        ) throws(ImageError) {
            func s(_ c: Int) -> Int { sample(data, row: row, column: column, channel: c) }
            func key(_ k: Int) -> Int? {
                guard let t = transparency, t.count >= 2 * k + 2 else { return nil }
                return Int(t[2 * k]) << 8 | Int(t[2 * k + 1])
            }
            switch colorType {
            case .grayscale:
                let v = s(0), g = eight(v)
                out[i] = g; out[i + 1] = g; out[i + 2] = g
                out[i + 3] = key(0) == v ? 0 : 255
            case .rgb:
                let r = s(0), g = s(1), b = s(2)
                out[i] = eight(r); out[i + 1] = eight(g); out[i + 2] = eight(b)
                out[i + 3] = (key(0) == r && key(1) == g && key(2) == b) ? 0 : 255
            case .palette:
                let index = s(0)
                guard index * 3 + 2 < palette.count else { throw .malformed("palette index \(index) out of range") }
                out[i] = palette[index * 3]; out[i + 1] = palette[index * 3 + 1]; out[i + 2] = palette[index * 3 + 2]
                if let t = transparency, index < t.count { out[i + 3] = t[index] } else { out[i + 3] = 255 }
            case .grayscaleAlpha:
                let g = eight(s(0))
                out[i] = g; out[i + 1] = g; out[i + 2] = g
                out[i + 3] = eight(s(1))
            case .rgba:
                out[i] = eight(s(0)); out[i + 1] = eight(s(1)); out[i + 2] = eight(s(2)); out[i + 3] = eight(s(3))
            }
        }
    }

    /// One Adam7 pass: first pixel (x, y) and the step between pixels.
    struct Pass {
        let x: Int, y: Int, dx: Int, dy: Int
        func size(_ width: Int, _ height: Int) -> (Int, Int) {
            ((width - x + dx - 1) / dx, (height - y + dy - 1) / dy)
        }
    }

    static let adam7: [Pass] = [
        Pass(x: 0, y: 0, dx: 8, dy: 8), Pass(x: 4, y: 0, dx: 8, dy: 8), Pass(x: 0, y: 4, dx: 4, dy: 8),
        Pass(x: 2, y: 0, dx: 4, dy: 4), Pass(x: 0, y: 2, dx: 2, dy: 4), Pass(x: 1, y: 0, dx: 2, dy: 2),
        Pass(x: 0, y: 1, dx: 1, dy: 2),
    ]

    /// Reverses the per-row filters (None, Sub, Up, Average, Paeth) of one pass; returns the
    /// rows without their filter bytes.
    static func unfilter(_ raw: [UInt8], offset: Int, rows: Int, rowBytes: Int, bytesPerPixel bpp: Int) throws(ImageError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * rowBytes)
        for r in 0..<rows {
            let filter = raw[offset + r * (rowBytes + 1)]
            let src = offset + r * (rowBytes + 1) + 1
            let dst = r * rowBytes, up = dst - rowBytes
            for i in 0..<rowBytes {
                let x = raw[src + i]
                let a = i >= bpp ? out[dst + i - bpp] : 0
                let b = r > 0 ? out[up + i] : 0
                let c = (i >= bpp && r > 0) ? out[up + i - bpp] : 0
                let value: UInt8
                switch filter {
                case 0: value = x
                case 1: value = x &+ a
                case 2: value = x &+ b
                case 3: value = x &+ UInt8((Int(a) + Int(b)) / 2)
                case 4: value = x &+ paeth(a, b, c)
                default: throw .malformed("filter type \(filter)")
                }
                out[dst + i] = value
            }
        }
        return out
    }

    @inline(__always) static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    static func be32(_ d: [UInt8], _ i: Int) -> UInt32 {
        UInt32(d[i]) << 24 | UInt32(d[i + 1]) << 16 | UInt32(d[i + 2]) << 8 | UInt32(d[i + 3])
    }

    // MARK: CRC-32

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 as PNG (and zip, Ethernet) use it: reflected polynomial 0xEDB88320, initial and
    /// final value 0xFFFFFFFF.
    public static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    // MARK: Encoding

    /// A 1-bit grayscale PNG of a bitmap (black dots black), filter None, zlib fixed Huffman.
    /// PNG's 1-bit gray counts 1 as white, so the bits are inverted.
    public static func encode(_ bitmap: Bitmap) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity((bitmap.bytesPerRow + 1) * bitmap.height)
        for y in 0..<bitmap.height {
            raw.append(0)
            for i in 0..<bitmap.bytesPerRow { raw.append(~bitmap.data[y * bitmap.bytesPerRow + i]) }
        }
        return file(width: bitmap.width, height: bitmap.height, bitDepth: 1, raw: raw)
    }

    /// An 8-bit grayscale PNG; each row's filter is the one with the smallest sum of absolute
    /// filtered values (the usual heuristic), zlib fixed Huffman.
    public static func encode(_ image: GrayImage) -> [UInt8] {
        let w = image.width
        var raw: [UInt8] = []
        raw.reserveCapacity((w + 1) * image.height)
        var previous = [UInt8](repeating: 0, count: w)
        var candidate = [UInt8](repeating: 0, count: w)
        for y in 0..<image.height {
            let row = Array(image.pixels[(y * w)..<((y + 1) * w)])
            var best: (score: Int, filter: UInt8, bytes: [UInt8]) = (Int.max, 0, [])
            for filter in UInt8(0)...4 {
                var score = 0
                for i in 0..<w {
                    let a = i > 0 ? row[i - 1] : 0, b = y > 0 ? previous[i] : 0
                    let c = (i > 0 && y > 0) ? previous[i - 1] : 0
                    let predictor: UInt8
                    switch filter {
                    case 0: predictor = 0
                    case 1: predictor = a
                    case 2: predictor = b
                    case 3: predictor = UInt8((Int(a) + Int(b)) / 2)
                    default: predictor = paeth(a, b, c)
                    }
                    candidate[i] = row[i] &- predictor
                    score += abs(Int(Int8(bitPattern: candidate[i])))
                }
                if score < best.score { best = (score, filter, candidate) }
            }
            raw.append(best.filter)
            raw += best.bytes
            previous = row
        }
        return file(width: w, height: image.height, bitDepth: 8, raw: raw)
    }

    static func file(width: Int, height: Int, bitDepth: UInt8, raw: [UInt8]) -> [UInt8] {
        var out = signature
        var ihdr: [UInt8] = []
        for v in [UInt32(width), UInt32(height)] { ihdr += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        ihdr += [bitDepth, 0, 0, 0, 0]  // grayscale, deflate, filter method 0, not interlaced
        chunk("IHDR", ihdr, into: &out)
        chunk("IDAT", Zlib.compress(raw), into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    static func chunk(_ type: String, _ body: [UInt8], into out: inout [UInt8]) {
        let n = UInt32(body.count)
        out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        let typed = Array(type.utf8) + body
        out += typed
        let crc = crc32(typed[...])
        out += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }
}
