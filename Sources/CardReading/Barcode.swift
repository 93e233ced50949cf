/// Barcode reads: the AIM symbology identifier (ISO/IEC 15424) a scanner may put in front, GS1
/// element strings (FNC1 as GS, 0x1D), and `tel:` numbers.

public enum Symbology: String, Sendable, Codable, CaseIterable {
    case code128, gs1_128, ean13, ean8, upcA = "upc_a", gs1DataBar = "gs1_databar", dataMatrix = "data_matrix"
    case gs1DataMatrix = "gs1_data_matrix", qr, gs1QR = "gs1_qr", code39, codabar, code93, code11, itf, pdf417
    case msi, aztec, maxicode, other, unknown

    /// Whether the data are GS1 element strings (FNC1 in first position).
    public var isGS1: Bool { self == .gs1_128 || self == .gs1DataBar || self == .gs1DataMatrix || self == .gs1QR }

    /// The symbology an AIM identifier `]cm` names.
    public static func aim(code: Character, modifier: Character, dataLength: Int) -> Symbology {
        switch (code, modifier) {
        case ("C", "1"): return .gs1_128
        case ("C", _): return .code128
        case ("E", "4"): return .ean8
        case ("E", _): return dataLength == 12 ? .upcA : .ean13
        case ("e", _): return .gs1DataBar
        case ("d", "2"), ("d", "5"): return .gs1DataMatrix
        case ("d", _): return .dataMatrix
        case ("Q", "3"), ("Q", "4"), ("Q", "5"), ("Q", "6"): return .gs1QR
        case ("Q", _): return .qr
        case ("A", _): return .code39
        case ("F", _): return .codabar
        case ("G", _): return .code93
        case ("H", _): return .code11
        case ("I", _): return .itf
        case ("L", _): return .pdf417
        case ("M", _): return .msi
        case ("z", _): return .aztec
        case ("U", _): return .maxicode
        default: return .other
        }
    }
}

/// One GS1 element: an application identifier and its value.
public struct GS1Element: Sendable, Equatable, Codable {
    public var ai: String
    public var value: String
}

public enum BarcodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case badCharacter
    case tooLong
    case malformedGS1(String)

    public var reasonCode: String {
        switch self {
        case .empty: "empty"
        case .badCharacter: "bad_character"
        case .tooLong: "too_long"
        case .malformedGS1: "malformed_gs1"
        }
    }

    public var description: String {
        switch self {
        case .empty: "the scan was empty"
        case .badCharacter: "the scan contains control characters other than GS"
        case .tooLong: "the scan is longer than 4096 characters"
        case .malformedGS1(let why): "GS1 element string: \(why)"
        }
    }
}

/// A decoded barcode read.
public struct BarcodeRead: Sendable, Equatable {
    /// The AIM identifier (`]C1`), when the scanner sent one.
    public var aim: String?
    public var symbology: Symbology
    /// The data without the AIM identifier.
    public var data: String
    /// For GS1 symbologies: the element strings.
    public var gs1: [GS1Element]?

    /// A phone number from a `tel:` URI (RFC 3966), without the `?query`.
    public var phoneNumber: String? {
        let lower = data.lowercased()
        guard lower.hasPrefix("tel:") else { return nil }
        let number = data.dropFirst(4).split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let cleaned = number.filter { $0.isNumber || $0 == "+" }
        return cleaned.count >= 3 ? cleaned : nil
    }
}

public struct BarcodeDecoder: Sendable {
    public var prefix: String
    public var suffix: String

    public init(prefix: String = "", suffix: String = "") {
        self.prefix = prefix
        self.suffix = suffix
    }

    public func decode(_ text: String) -> Result<BarcodeRead, BarcodeError> {
        var s = Substring(text)
        while let last = s.last, last == "\r" || last == "\n" || last == "\r\n" || last == "\t" { s = s.dropLast() }
        if !prefix.isEmpty, s.hasPrefix(prefix) { s = s.dropFirst(prefix.count) }
        if !suffix.isEmpty, s.hasSuffix(suffix) { s = s.dropLast(suffix.count) }
        guard !s.isEmpty else { return .failure(.empty) }
        guard s.count <= 4096 else { return .failure(.tooLong) }
        guard s.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\u{1D}" }) && !s.unicodeScalars.contains("\u{7F}") else {
            return .failure(.badCharacter)
        }
        var aim: String?
        var symbology = Symbology.unknown
        let chars = Array(s)
        if chars.count >= 3, chars[0] == "]" {
            aim = String(chars[0..<3])
            s = s.dropFirst(3)
            symbology = Symbology.aim(code: chars[1], modifier: chars[2], dataLength: s.count)
        }
        let data = String(s)
        var read = BarcodeRead(aim: aim, symbology: symbology, data: data, gs1: nil)
        if symbology.isGS1 {
            switch GS1.parse(data) {
            case .success(let elements): read.gs1 = elements
            case .failure(let e): return .failure(e)
            }
        }
        return .success(read)
    }
}

/// GS1 element strings: AIs with fixed lengths run into the next AI; variable-length ones end at GS.
enum GS1 {
    /// Fixed data lengths by AI prefix (GS1 General Specifications, figure 5.10.1-1 and the
    /// common AIs); AIs not listed are variable length up to their maximum.
    static let fixed: [String: Int] = [
        "00": 18, "01": 14, "02": 14, "03": 14, "04": 16, "11": 6, "12": 6, "13": 6, "14": 6, "15": 6, "16": 6, "17": 6,
        "18": 6, "19": 6, "20": 2, "31": 10, "32": 10, "33": 10, "34": 10, "35": 10, "36": 10, "41": 16,
    ]
    /// AI lengths by first two digits (2, 3 or 4 digits).
    static func aiLength(_ prefix: String) -> Int {
        switch Int(prefix) ?? -1 {
        case 0...30, 90...99: return 2
        case 31...36: return 4
        case 37: return 2
        case 40...49: return 3
        case 70...79, 80...89: return 4
        default: return 2
        }
    }

    static func parse(_ data: String) -> Result<[GS1Element], BarcodeError> {
        var chars = Array(data)
        if chars.first == "\u{1D}" { chars.removeFirst() }
        var i = 0
        var out: [GS1Element] = []
        while i < chars.count {
            guard i + 2 <= chars.count else { return .failure(.malformedGS1("truncated AI")) }
            let prefix = String(chars[i..<(i + 2)])
            guard prefix.allSatisfy(\.isNumber) else { return .failure(.malformedGS1("AI must be digits")) }
            let aiLength = aiLength(prefix)
            guard i + aiLength <= chars.count else { return .failure(.malformedGS1("truncated AI \(prefix)")) }
            let ai = String(chars[i..<(i + aiLength)])
            guard ai.allSatisfy(\.isNumber) else { return .failure(.malformedGS1("AI must be digits")) }
            i += aiLength
            if let length = fixed[prefix] {
                guard i + length <= chars.count else { return .failure(.malformedGS1("AI (\(ai)) needs \(length) characters")) }
                out.append(GS1Element(ai: ai, value: String(chars[i..<(i + length)])))
                i += length
                if i < chars.count, chars[i] == "\u{1D}" { i += 1 }
            } else {
                let end = chars[i...].firstIndex(of: "\u{1D}") ?? chars.count
                guard end > i else { return .failure(.malformedGS1("AI (\(ai)) has no value")) }
                guard end - i <= 90 else { return .failure(.malformedGS1("AI (\(ai)) value too long")) }
                out.append(GS1Element(ai: ai, value: String(chars[i..<end])))
                i = end + 1
            }
        }
        return out.isEmpty ? .failure(.malformedGS1("no elements")) : .success(out)
    }
}
