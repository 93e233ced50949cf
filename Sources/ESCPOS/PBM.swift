/// Netpbm bitmaps (PBM): plain `P1` (ASCII 0/1) and raw `P4` (packed bits). Pure Swift, no I/O.
///
/// Both store 1 = black, rows top to bottom, like ``Bitmap``. Header tokens (magic, width,
/// height) are separated by whitespace and may be interleaved with `#` comments running to the
/// end of the line. Dimensions above ``ImageLimits/maxDimension`` are rejected.
public enum PBM {
    /// Decodes the first image of a P1 or P4 file.
    public static func decode(_ data: [UInt8]) throws(ImageError) -> Bitmap {
        guard data.count >= 2 else { throw .truncated }
        guard data[0] == 0x50, data[1] == 0x31 || data[1] == 0x34 else { throw .notThisFormat }
        let plain = data[1] == 0x31
        var p = 2
        let width = try number(data, &p)
        let height = try number(data, &p)
        try ImageError.checkDimensions(width, height)
        var bitmap = Bitmap(unchecked: width, height)
        if plain {
            // Raster: "0" and "1", whitespace ignored.
            var i = 0
            let total = width * height
            while i < total {
                guard p < data.count else { throw .truncated }
                let c = data[p]
                p += 1
                switch c {
                case 0x30, 0x31:
                    if c == 0x31 { bitmap[x: i % width, y: i / width] = true }
                    i += 1
                case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D: continue
                default: throw .malformed("byte \(c) in a P1 raster")
                }
            }
            return bitmap
        }
        // P4: exactly one whitespace byte after the height, then packed rows.
        guard p < data.count else { throw .truncated }
        guard isSpace(data[p]) else { throw .malformed("no whitespace before the P4 raster") }
        p += 1
        let needed = bitmap.bytesPerRow * height
        guard data.count - p >= needed else { throw .truncated }
        return try Bitmap(width: width, height: height, packedRows: Array(data[p..<(p + needed)]))
    }

    /// A raw (`P4`) PBM file.
    public static func encode(_ bitmap: Bitmap) -> [UInt8] {
        Array("P4\n\(bitmap.width) \(bitmap.height)\n".utf8) + bitmap.data
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (0x09...0x0D).contains(c) }

    /// Skips whitespace and comments, then reads a decimal number (at most 9 digits).
    private static func number(_ data: [UInt8], _ p: inout Int) throws(ImageError) -> Int {
        while p < data.count {
            if isSpace(data[p]) {
                p += 1
            } else if data[p] == 0x23 {
                while p < data.count && data[p] != 0x0A && data[p] != 0x0D { p += 1 }
            } else {
                break
            }
        }
        guard p < data.count else { throw .truncated }
        var value = 0, digits = 0
        while p < data.count, data[p] >= 0x30, data[p] <= 0x39 {
            guard digits < 9 else { throw .malformed("number too long") }
            value = value * 10 + Int(data[p] - 0x30)
            digits += 1
            p += 1
        }
        guard digits > 0 else { throw .malformed("expected a number") }
        return value
    }
}
