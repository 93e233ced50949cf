/// Limits every image type and decoder in this module enforces, so a hostile or broken file
/// cannot make it allocate without bound.
public enum ImageLimits {
    /// Widest and tallest image accepted, in pixels: 4096 (a 576-dot receipt at 7× its width).
    /// At most 4096 × 4096 = 16.8 M pixels, 64 MiB as RGBA.
    public static let maxDimension = 4096
}

/// Why an image could not be built or decoded.
public enum ImageError: Error, Equatable, Sendable {
    /// Width or height below 1 or above ``ImageLimits/maxDimension``.
    case invalidDimensions(width: Int, height: Int)
    /// Pixel or byte count that does not match the dimensions.
    case sizeMismatch(expected: Int, actual: Int)
    /// Not the format asked for (wrong magic number or signature).
    case notThisFormat
    /// The data ends before the image does.
    case truncated
    /// Broken structure; the text says what.
    case malformed(String)
    /// Valid but not handled here; the text says what.
    case unsupported(String)
    /// A CRC-32 or Adler-32 check failed; the text names the chunk or stream.
    case checksumMismatch(String)
    /// The zlib stream inside could not be inflated.
    case compression(InflateError)

    static func checkDimensions(_ width: Int, _ height: Int) throws(ImageError) {
        guard width >= 1, height >= 1, width <= ImageLimits.maxDimension, height <= ImageLimits.maxDimension else {
            throw .invalidDimensions(width: width, height: height)
        }
    }
}

/// A 1-bit image as thermal printers take it: rows of packed bits, most significant bit the
/// leftmost dot, 1 = black (a printed dot), each row padded with white to a whole byte.
public struct Bitmap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Packed rows, `bytesPerRow × height` bytes; padding bits are always 0.
    public private(set) var data: [UInt8]

    /// Bytes per row: width rounded up to a multiple of 8 dots.
    public var bytesPerRow: Int { (width + 7) / 8 }

    /// An all-white bitmap.
    public init(width: Int, height: Int) throws(ImageError) {
        try ImageError.checkDimensions(width, height)
        self.width = width
        self.height = height
        data = [UInt8](repeating: 0, count: (width + 7) / 8 * height)
    }

    /// A bitmap from packed rows (`bytesPerRow × height` bytes, 1 = black); padding bits are cleared.
    public init(width: Int, height: Int, packedRows: [UInt8]) throws(ImageError) {
        try ImageError.checkDimensions(width, height)
        let rowBytes = (width + 7) / 8
        guard packedRows.count == rowBytes * height else {
            throw .sizeMismatch(expected: rowBytes * height, actual: packedRows.count)
        }
        self.width = width
        self.height = height
        data = packedRows
        let padding = rowBytes * 8 - width
        if padding > 0 {
            let keep = UInt8(truncatingIfNeeded: 0xFF << padding)
            for y in 0..<height { data[y * rowBytes + rowBytes - 1] &= keep }
        }
    }

    /// Whether the dot at column `x`, row `y` is black. Reading outside gives white; writing
    /// outside does nothing.
    public subscript(x x: Int, y y: Int) -> Bool {
        get {
            guard x >= 0, y >= 0, x < width, y < height else { return false }
            return data[y * bytesPerRow + (x >> 3)] & (0x80 >> UInt8(x & 7)) != 0
        }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = y * bytesPerRow + (x >> 3)
            if newValue { data[i] |= 0x80 >> UInt8(x & 7) } else { data[i] &= ~(0x80 >> UInt8(x & 7)) }
        }
    }

    /// The same picture as gray levels (black 0, white 255).
    public var grayImage: GrayImage {
        var pixels = [UInt8](repeating: 255, count: width * height)
        for y in 0..<height {
            for x in 0..<width where self[x: x, y: y] { pixels[y * width + x] = 0 }
        }
        // Dimensions were checked when this bitmap was made.
        return GrayImage(unchecked: width, height, pixels)
    }

    /// Scaled to `width` dots (height in proportion, at least 1): area-averaged and thresholded
    /// at mid-gray when shrinking, each dot repeated when growing by a whole factor, otherwise
    /// area-averaged (edges of a scaled logo stay sharp, no dither noise).
    public func scaled(toWidth newWidth: Int) throws(ImageError) -> Bitmap {
        if newWidth == width { return self }
        return try grayImage.scaled(toWidth: newWidth).thresholded()
    }
}

/// An 8-bit grayscale image: row-major, 0 = black, 255 = white.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws(ImageError) {
        try ImageError.checkDimensions(width, height)
        guard pixels.count == width * height else { throw .sizeMismatch(expected: width * height, actual: pixels.count) }
        self.init(unchecked: width, height, pixels)
    }

    init(unchecked width: Int, _ height: Int, _ pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x x: Int, y y: Int) -> UInt8 {
        guard x >= 0, y >= 0, x < width, y < height else { return 255 }
        return pixels[y * width + x]
    }

    /// Resampled to `newWidth` pixels wide, the height in proportion (rounded, at least 1).
    /// Each target pixel is the area-weighted mean of the source pixels it covers (a box filter),
    /// in exact integer arithmetic; growing by a whole factor repeats pixels.
    public func scaled(toWidth newWidth: Int) throws(ImageError) -> GrayImage {
        let newHeight = max(1, (height * newWidth + width / 2) / width)
        try ImageError.checkDimensions(newWidth, newHeight)
        if newWidth == width && newHeight == height { return self }
        // Horizontal pass (rows of `width` → `newWidth`), then vertical (columns of `height` →
        // `newHeight`), each a 1-D box filter.
        let rows = Self.resample(
            pixels, lines: height, count: width, to: newWidth,
            input: (line: width, sample: 1), output: (line: newWidth, sample: 1))
        let out = Self.resample(
            rows, lines: newWidth, count: height, to: newHeight,
            input: (line: 1, sample: newWidth), output: (line: 1, sample: newWidth))
        return GrayImage(unchecked: newWidth, newHeight, out)
    }

    /// Resamples `lines` lines of `count` samples each to `target` samples; sample i of line l
    /// is at `l·input.line + i·input.sample`, and is written at `l·output.line + j·output.sample`.
    private static func resample(
        _ source: [UInt8], lines: Int, count: Int, to target: Int,
        input: (line: Int, sample: Int), output: (line: Int, sample: Int)
    ) -> [UInt8] {
        // On a common scale, source sample i covers [i·target, (i+1)·target) and target sample j
        // covers [j·count, (j+1)·count); j is the overlap-weighted mean.
        var out = [UInt8](repeating: 0, count: lines * target)
        for l in 0..<lines {
            for j in 0..<target {
                let start = j * count, end = start + count
                var i = start / target
                var sum = 0
                while i < count && i * target < end {
                    let overlap = min(end, (i + 1) * target) - max(start, i * target)
                    sum += Int(source[l * input.line + i * input.sample]) * overlap
                    i += 1
                }
                out[l * output.line + j * output.sample] = UInt8((sum + count / 2) / count)
            }
        }
        return out
    }

    /// 1-bit by a fixed threshold: pixels darker than `level` become black.
    public func thresholded(_ level: UInt8 = 128) -> Bitmap {
        var bitmap = Bitmap(unchecked: width, height)
        for y in 0..<height {
            for x in 0..<width where pixels[y * width + x] < level { bitmap[x: x, y: y] = true }
        }
        return bitmap
    }

    /// 1-bit by Floyd–Steinberg error diffusion, rows left to right: each pixel becomes black
    /// below 128, and its error (value − 0 or 255) goes 7/16 right, 3/16 down-left, 5/16 down,
    /// 1/16 down-right. Integer arithmetic (errors in 1/16 units).
    public func dithered() -> Bitmap {
        var bitmap = Bitmap(unchecked: width, height)
        // Errors ×16 for this row and the next, with one guard cell each side.
        var current = [Int](repeating: 0, count: width + 2)
        var next = [Int](repeating: 0, count: width + 2)
        for y in 0..<height {
            for x in 0..<width {
                let value = Int(pixels[y * width + x]) + current[x + 1] / 16
                let black = value < 128
                let error = value - (black ? 0 : 255)
                if black { bitmap[x: x, y: y] = true }
                current[x + 2] += error * 7
                next[x] += error * 3
                next[x + 1] += error * 5
                next[x + 2] += error
            }
            swap(&current, &next)
            for i in next.indices { next[i] = 0 }
        }
        return bitmap
    }
}

extension Bitmap {
    /// Dimensions already checked by the caller.
    init(unchecked width: Int, _ height: Int) {
        self.width = width
        self.height = height
        data = [UInt8](repeating: 0, count: (width + 7) / 8 * height)
    }

    /// `GS v 0` raster commands printing this bitmap, one command per band of at most
    /// `bandHeight` rows (1…2047, default 256) so printers with small receive buffers keep up:
    /// per band `1D 76 30 00 xL xH yL yH` and `xL+xH·256 = bytesPerRow` × `yL+yH·256` data bytes.
    public func rasterCommands(bandHeight: Int = 256) -> [UInt8] {
        let band = min(max(bandHeight, 1), 2047)
        var out: [UInt8] = []
        out.reserveCapacity(data.count + (height / band + 1) * 8)
        var y = 0
        while y < height {
            let rows = min(band, height - y)
            out += [0x1D, 0x76, 0x30, 0x00,
                    UInt8(bytesPerRow & 0xFF), UInt8(bytesPerRow >> 8), UInt8(rows & 0xFF), UInt8(rows >> 8)]
            out += data[(y * bytesPerRow)..<((y + rows) * bytesPerRow)]
            y += rows
        }
        return out
    }
}

extension QRCode {
    /// The symbol drawn with `moduleSize` × `moduleSize` dots per module and a light border of
    /// `quietZone` modules (the standard asks for 4).
    public func bitmap(moduleSize: Int = 1, quietZone: Int = 4) throws(ImageError) -> Bitmap {
        let scale = max(moduleSize, 1), border = max(quietZone, 0)
        let side = (size + 2 * border) * scale
        var bitmap = try Bitmap(width: side, height: side)
        for y in 0..<size {
            for x in 0..<size where self[x: x, y: y] {
                for dy in 0..<scale {
                    for dx in 0..<scale { bitmap[x: (x + border) * scale + dx, y: (y + border) * scale + dy] = true }
                }
            }
        }
        return bitmap
    }
}

extension ESCPOSWriter {
    /// Default rows per `GS v 0` band.
    public static let defaultBandHeight = 256

    /// Prints a 1-bit image with `GS v 0`, aligned with `ESC a` (which stays in effect).
    /// An image wider than ``PrinterProfile/dotsWidth`` is scaled down to it (never wider);
    /// narrower ones print at their size. Call at the start of a line: printers ignore `GS v 0`
    /// while text waits in the line buffer.
    ///
    /// Bytes: `1B 61 n`, then per band of at most `bandHeight` rows
    /// `1D 76 30 00 xL xH yL yH` + rows. Example: a 10×2 bitmap, centred →
    /// `1B 61 01 1D 76 30 00 02 00 02 00 r0a r0b r1a r1b`.
    public mutating func image(_ bitmap: Bitmap, align: Alignment = .center, bandHeight: Int = defaultBandHeight) {
        let fitted = bitmap.width > profile.dotsWidth ? ((try? bitmap.scaled(toWidth: profile.dotsWidth)) ?? bitmap) : bitmap
        raw([0x1B, 0x61, align.rawValue])
        raw(fitted.rasterCommands(bandHeight: bandHeight))
    }

    /// Prints a grayscale image: scaled down to ``PrinterProfile/dotsWidth`` if wider,
    /// Floyd–Steinberg dithered (or thresholded at 128 when `dither` is false), then as
    /// the `Bitmap` variant of `image(_:align:bandHeight:)`.
    public mutating func image(
        _ gray: GrayImage, align: Alignment = .center, dither: Bool = true, bandHeight: Int = defaultBandHeight
    ) {
        let fitted = gray.width > profile.dotsWidth ? ((try? gray.scaled(toWidth: profile.dotsWidth)) ?? gray) : gray
        image(dither ? fitted.dithered() : fitted.thresholded(), align: align, bandHeight: bandHeight)
    }
}
