/// NDEF (NFC Forum Data Exchange Format) messages: the records a tag carries, and the two
/// kinds a gift card uses — a text record or a URI record.
public enum NDEFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The tag has no NDEF message (a blank tag, or one not formatted for NDEF).
    case noMessage
    /// The bytes break the NDEF or tag layout (lengths past the end, a bad header).
    case malformed(String)
    /// A record type giftbridge does not read (chunked records).
    case unsupported(String)

    public var description: String {
        switch self {
        case .noMessage: "the tag holds no NDEF message"
        case .malformed(let why): "malformed NDEF: \(why)"
        case .unsupported(let why): "unsupported NDEF: \(why)"
        }
    }
}

public struct NDEFRecord: Sendable, Equatable {
    /// The type name format (3 bits): 1 NFC Forum well-known, 3 absolute URI, …
    public var tnf: UInt8
    public var type: [UInt8]
    public var id: [UInt8]
    public var payload: [UInt8]

    public init(tnf: UInt8, type: [UInt8], id: [UInt8] = [], payload: [UInt8]) {
        self.tnf = tnf
        self.type = type
        self.id = id
        self.payload = payload
    }

    /// What a gift card's record says, when it is a text or URI record.
    public enum Content: Sendable, Equatable {
        case text(String, language: String)
        case uri(String)
    }

    /// The record as text or URI; nil for other record types.
    public var content: Content? {
        if tnf == 0x01 && type == [0x54] {  // "T"
            guard let status = payload.first else { return nil }
            let langLength = Int(status & 0x3F)
            guard payload.count >= 1 + langLength else { return nil }
            let language = String(decoding: payload[1..<(1 + langLength)], as: UTF8.self)
            let body = Array(payload[(1 + langLength)...])
            let text: String
            if status & 0x80 != 0 {
                // UTF-16 with an optional byte order mark; big endian without one.
                var units: [UInt16] = []
                var b = body[...]
                var bigEndian = true
                if b.count >= 2 && b[b.startIndex] == 0xFF && b[b.startIndex + 1] == 0xFE { bigEndian = false; b = b.dropFirst(2) }
                else if b.count >= 2 && b[b.startIndex] == 0xFE && b[b.startIndex + 1] == 0xFF { b = b.dropFirst(2) }
                guard b.count % 2 == 0 else { return nil }
                var i = b.startIndex
                while i < b.endIndex {
                    units.append(bigEndian ? UInt16(b[i]) << 8 | UInt16(b[i + 1]) : UInt16(b[i + 1]) << 8 | UInt16(b[i]))
                    i += 2
                }
                text = String(decoding: units, as: UTF16.self)
            } else {
                text = String(decoding: body, as: UTF8.self)
            }
            return .text(text, language: language)
        }
        if tnf == 0x01 && type == [0x55] {  // "U"
            guard let code = payload.first else { return nil }
            let prefix = Int(code) < NDEF.uriPrefixes.count ? NDEF.uriPrefixes[Int(code)] : ""
            return .uri(prefix + String(decoding: payload.dropFirst(), as: UTF8.self))
        }
        if tnf == 0x03 {  // absolute URI: the type is the URI
            return .uri(String(decoding: type, as: UTF8.self))
        }
        return nil
    }

    public var encoded: [UInt8] { NDEF.encode([self]) }
}

public enum NDEF {
    /// The URI identifier codes of the NFC Forum URI record type definition (RTD-URI 1.0).
    public static let uriPrefixes: [String] = [
        "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:",
        "ftp://anonymous:anonymous@", "ftp://ftp.", "ftps://", "sftp://", "smb://", "nfs://", "ftp://",
        "dav://", "news:", "telnet://", "imap:", "rtsp://", "urn:", "pop:", "sip:", "sips:", "tftp:",
        "btspp://", "btl2cap://", "btgoep://", "tcpobex://", "irdaobex://", "file://", "urn:epc:id:",
        "urn:epc:tag:", "urn:epc:pat:", "urn:epc:raw:", "urn:epc:", "urn:nfc:",
    ]

    /// The largest NDEF message giftbridge reads from a tag.
    public static let maximumMessageLength = 8192

    /// The records of an NDEF message.
    public static func parse(_ bytes: [UInt8]) -> Result<[NDEFRecord], NDEFError> {
        guard !bytes.isEmpty else { return .failure(.noMessage) }
        var records: [NDEFRecord] = []
        var i = 0
        while i < bytes.count {
            let header = bytes[i]
            i += 1
            if records.isEmpty && header & 0x80 == 0 { return .failure(.malformed("the first record has no message-begin flag")) }
            if header & 0x20 != 0 { return .failure(.unsupported("chunked records")) }
            let short = header & 0x10 != 0
            let hasId = header & 0x08 != 0
            let tnf = header & 0x07
            guard i < bytes.count else { return .failure(.malformed("a record header ends early")) }
            let typeLength = Int(bytes[i])
            i += 1
            let payloadLength: Int
            if short {
                guard i < bytes.count else { return .failure(.malformed("a record header ends early")) }
                payloadLength = Int(bytes[i])
                i += 1
            } else {
                guard i + 4 <= bytes.count else { return .failure(.malformed("a record header ends early")) }
                payloadLength = bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) }
                i += 4
            }
            var idLength = 0
            if hasId {
                guard i < bytes.count else { return .failure(.malformed("a record header ends early")) }
                idLength = Int(bytes[i])
                i += 1
            }
            guard payloadLength <= maximumMessageLength, i + typeLength + idLength + payloadLength <= bytes.count else {
                return .failure(.malformed("a record is longer than the message"))
            }
            let type = Array(bytes[i..<(i + typeLength)])
            i += typeLength
            let id = Array(bytes[i..<(i + idLength)])
            i += idLength
            let payload = Array(bytes[i..<(i + payloadLength)])
            i += payloadLength
            records.append(NDEFRecord(tnf: tnf, type: type, id: id, payload: payload))
            if header & 0x40 != 0 {
                guard i == bytes.count else { return .failure(.malformed("bytes after the message-end record")) }
                return .success(records)
            }
        }
        return .failure(.malformed("no message-end record"))
    }

    /// An NDEF message of `records` (short records where they fit).
    public static func encode(_ records: [NDEFRecord]) -> [UInt8] {
        var out: [UInt8] = []
        for (n, r) in records.enumerated() {
            var header = r.tnf & 0x07
            if n == 0 { header |= 0x80 }
            if n == records.count - 1 { header |= 0x40 }
            let short = r.payload.count < 256
            if short { header |= 0x10 }
            if !r.id.isEmpty { header |= 0x08 }
            out.append(header)
            out.append(UInt8(r.type.count))
            if short {
                out.append(UInt8(r.payload.count))
            } else {
                let n = UInt32(r.payload.count)
                out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            }
            if !r.id.isEmpty { out.append(UInt8(r.id.count)) }
            out += r.type + r.id + r.payload
        }
        return out
    }

    /// A URI record, its prefix abbreviated by the longest identifier code that fits.
    public static func uriRecord(_ uri: String) -> NDEFRecord {
        var code = 0
        for (i, p) in uriPrefixes.enumerated() where !p.isEmpty && uri.hasPrefix(p) && p.count > uriPrefixes[code].count { code = i }
        let rest = uri.dropFirst(uriPrefixes[code].count)
        return NDEFRecord(tnf: 0x01, type: [0x55], payload: [UInt8(code)] + Array(rest.utf8))
    }

    /// A UTF-8 text record.
    public static func textRecord(_ text: String, language: String = "en") -> NDEFRecord {
        NDEFRecord(tnf: 0x01, type: [0x54], payload: [UInt8(language.utf8.count & 0x3F)] + Array(language.utf8) + Array(text.utf8))
    }

    /// The NDEF message inside a Type 2 tag's data area (the TLV blocks after the capability
    /// container): nil while `area` may be too short to hold it, else the message or an error.
    public static func type2Message(inDataArea area: [UInt8]) -> Result<[UInt8], NDEFError>? {
        var i = 0
        while i < area.count {
            let t = area[i]
            if t == 0x00 { i += 1; continue }  // NULL TLV
            if t == 0xFE { return .failure(.noMessage) }  // terminator before any NDEF TLV
            guard i + 1 < area.count else { return nil }
            var length = Int(area[i + 1])
            var start = i + 2
            if length == 0xFF {
                guard i + 3 < area.count else { return nil }
                length = Int(area[i + 2]) << 8 | Int(area[i + 3])
                start = i + 4
            }
            if t == 0x03 {
                guard length > 0 else { return .failure(.noMessage) }
                guard length <= maximumMessageLength else { return .failure(.malformed("an NDEF TLV of \(length) bytes")) }
                guard start + length <= area.count else { return nil }
                return .success(Array(area[start..<(start + length)]))
            }
            // Lock control, memory control, proprietary: skipped.
            i = start + length
        }
        return nil
    }
}
