extension ESCPOSWriter {
    /// Prints `text` (its UTF-8 bytes) as a QR Code, model 2.
    ///
    /// With ``PrinterProfile/nativeQR`` the printer draws it (`GS ( k`, cn = 0x31):
    /// ```
    /// 1D 28 6B 04 00 31 41 32 00     function 165: model 2
    /// 1D 28 6B 03 00 31 43 size      function 167: module size in dots, 1–16
    /// 1D 28 6B 03 00 31 45 e         function 169: error correction 30 L, 31 M, 32 Q, 33 H
    /// 1D 28 6B pL pH 31 50 30 d…     function 180: store k bytes, pL + pH·256 = k + 3
    /// 1D 28 6B 03 00 31 51 30        function 181: print the stored symbol
    /// ```
    /// Otherwise the symbol is encoded here (``QRCode``) and sent as a `GS v 0` raster image
    /// (bands of ``defaultBandHeight`` rows): `size` dots per module, with the 4-module quiet zone
    /// the standard asks for; the module size shrinks until the symbol fits
    /// ``PrinterProfile/dotsWidth``. Both paths print at the current `ESC a` alignment.
    ///
    /// Throws ``QRCode/Error/dataTooLong(bytes:capacity:)`` for more bytes than version 40 holds
    /// at that level (2953 at L … 1273 at H); nothing is written then.
    public mutating func qr(_ text: String, size: Int = 6, errorCorrection: QRCode.ErrorCorrection = .medium) throws(QRCode.Error) {
        let data = Array(text.utf8)
        let moduleSize = min(max(size, 1), 16)
        if profile.nativeQR {
            let capacity = QRCode.byteCapacity(version: 40, errorCorrection: errorCorrection)
            guard data.count <= capacity else { throw .dataTooLong(bytes: data.count, capacity: capacity) }
            let storeLength = data.count + 3
            raw([0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00])
            raw([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, UInt8(moduleSize)])
            raw([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, UInt8(0x30 + errorCorrection.rawValue)])
            raw([0x1D, 0x28, 0x6B, UInt8(storeLength & 0xFF), UInt8(storeLength >> 8), 0x31, 0x50, 0x30] + data)
            raw([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30])
        } else {
            let code = try QRCode(bytes: data, errorCorrection: errorCorrection)
            var scale = moduleSize
            while scale > 1 && (code.size + 8) * scale > profile.dotsWidth { scale -= 1 }
            // A version-40 symbol with its quiet zone is 185 modules: well inside the 4096 limit.
            guard let bitmap = try? code.bitmap(moduleSize: scale, quietZone: 4) else { return }
            raw(bitmap.rasterCommands(bandHeight: Self.defaultBandHeight))
        }
    }
}
