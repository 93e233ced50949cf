/// A card's answer to a command APDU: data and the two status bytes.
public struct APDUResponse: Sendable, Equatable {
    public var data: [UInt8]
    public var sw1: UInt8
    public var sw2: UInt8

    public init(data: [UInt8], sw1: UInt8, sw2: UInt8) {
        self.data = data
        self.sw1 = sw1
        self.sw2 = sw2
    }

    /// A raw answer (data then SW1 SW2); nil when it is shorter than two bytes.
    public init?(raw: [UInt8]) {
        guard raw.count >= 2 else { return nil }
        data = Array(raw.dropLast(2))
        sw1 = raw[raw.count - 2]
        sw2 = raw[raw.count - 1]
    }

    public var sw: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }
    public var isSuccess: Bool { sw1 == 0x90 && sw2 == 0x00 }
}

/// The command APDUs giftbridge sends to a contactless card through a PC/SC reader.
public enum APDU {
    /// PC/SC part 3 GET DATA: the card's UID (`FF CA 00 00 00`), answered by the reader itself.
    public static let getUID: [UInt8] = [0xFF, 0xCA, 0x00, 0x00, 0x00]

    /// PC/SC part 3 READ BINARY on a storage card: `length` bytes from block (page) `block`.
    /// On a Type 2 tag one read returns 16 bytes: four pages of four.
    public static func readBinaryBlocks(_ block: UInt8, length: UInt8 = 16) -> [UInt8] { [0xFF, 0xB0, 0x00, block, length] }

    /// ISO 7816-4 SELECT by DF name (an application identifier), first or only occurrence.
    public static func selectApplication(_ aid: [UInt8]) -> [UInt8] {
        [0x00, 0xA4, 0x04, 0x00, UInt8(aid.count)] + aid + [0x00]
    }

    /// ISO 7816-4 SELECT of an elementary file by its identifier, no answer data.
    public static func selectFile(_ id: UInt16) -> [UInt8] { [0x00, 0xA4, 0x00, 0x0C, 0x02, UInt8(id >> 8), UInt8(id & 0xFF)] }

    /// ISO 7816-4 READ BINARY of the selected file.
    public static func readBinary(offset: UInt16, length: UInt8) -> [UInt8] { [0x00, 0xB0, UInt8(offset >> 8), UInt8(offset & 0xFF), length] }
}

/// Hexadecimal text of bytes and back, for APDU logs and tests.
public enum Hex {
    public static func string(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return bytes.map { String(decoding: [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]], as: UTF8.self) }.joined(separator: separator)
    }

    /// Bytes of hex text; spaces and colons between pairs are allowed. Nil for anything else.
    public static func bytes(_ text: some StringProtocol) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for c in text.utf8 {
            if c == 0x20 || c == 0x3A || c == 0x09 {
                guard high == nil else { return nil }
                continue
            }
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x41 + 10
            case 0x61...0x66: v = c - 0x61 + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}

/// BER-TLV as ISO 7816-4 and EMV use it: tags of one to three bytes, definite lengths.
public struct TLV: Sendable, Equatable {
    public var tag: UInt32
    public var value: [UInt8]

    public init(tag: UInt32, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// Whether the tag's first byte marks a constructed object (its value is more TLVs).
    public var isConstructed: Bool {
        var first = tag
        while first > 0xFF { first >>= 8 }
        return first & 0x20 != 0
    }

    public var encoded: [UInt8] {
        var t: [UInt8] = []
        var v = tag
        repeat {
            t.insert(UInt8(v & 0xFF), at: 0)
            v >>= 8
        } while v != 0
        let n = value.count
        let length: [UInt8] = n < 0x80 ? [UInt8(n)] : n <= 0xFF ? [0x81, UInt8(n)] : [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
        return t + length + value
    }

    /// The objects in `bytes`, in order; nil when the bytes are not well-formed BER-TLV.
    /// Padding bytes 0x00 and 0xFF between objects are skipped, as ISO 7816-4 allows.
    public static func parse(_ bytes: [UInt8]) -> [TLV]? {
        var out: [TLV] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x00 || bytes[i] == 0xFF {
                i += 1
                continue
            }
            var tag = UInt32(bytes[i])
            if bytes[i] & 0x1F == 0x1F {
                var more = true
                var count = 0
                while more {
                    i += 1
                    count += 1
                    guard i < bytes.count, count <= 2 else { return nil }
                    tag = tag << 8 | UInt32(bytes[i])
                    more = bytes[i] & 0x80 != 0
                }
            }
            i += 1
            guard i < bytes.count else { return nil }
            var length = Int(bytes[i])
            i += 1
            if length == 0x81 || length == 0x82 {
                let n = length - 0x80
                guard i + n <= bytes.count else { return nil }
                length = bytes[i..<(i + n)].reduce(0) { $0 << 8 | Int($1) }
                i += n
            } else if length > 0x80 {
                return nil
            }
            guard i + length <= bytes.count else { return nil }
            out.append(TLV(tag: tag, value: Array(bytes[i..<(i + length)])))
            i += length
        }
        return out
    }

    /// The first object with `tag`, searched depth first through constructed objects.
    public static func find(_ tag: UInt32, in bytes: [UInt8]) -> [UInt8]? {
        guard let objects = parse(bytes) else { return nil }
        for o in objects {
            if o.tag == tag { return o.value }
            if o.isConstructed, let inner = find(tag, in: o.value) { return inner }
        }
        return nil
    }
}
