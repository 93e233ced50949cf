/// The input fields of a USB HID report descriptor (HID 1.11 §6.2.2): where each field of each
/// input report sits, how wide it is and which usages it carries. Enough to read a scanner's
/// reports by what the device says about them instead of by one vendor's byte offsets.
public struct HIDReportDescriptor: Sendable, Equatable {
    /// One Input main item: `count` values of `size` bits from `bitOffset` on (after the report id
    /// byte, when the report has one).
    public struct Field: Sendable, Equatable {
        public var reportId: UInt8
        public var bitOffset: Int
        public var size: Int
        public var count: Int
        /// Usages as `page << 16 | id`, one per value, the last one repeated when fewer were given.
        public var usages: [UInt32]
        /// Constant fields are padding.
        public var isConstant: Bool
        /// Variable (one usage per value) rather than an array of selectors.
        public var isVariable: Bool
        /// The usage page of the innermost application collection the field is in.
        public var collectionUsage: UInt32?

        public func usage(at index: Int) -> UInt32? {
            guard !usages.isEmpty else { return nil }
            return usages[min(index, usages.count - 1)]
        }
    }

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case truncated(offset: Int)
        case unbalancedCollection(offset: Int)
        case tooLarge(offset: Int)

        public var description: String {
            switch self {
            case .truncated(let o): "report descriptor ends inside an item at byte \(o)"
            case .unbalancedCollection(let o): "End Collection without a collection at byte \(o)"
            case .tooLarge(let o): "report size or count out of range at byte \(o)"
            }
        }
    }

    public var fields: [Field]
    /// Whether reports start with a report id byte (any Report ID item present).
    public var usesReportIds: Bool

    /// Input report length in bytes per report id, the id byte included when there is one.
    public var inputReportLengths: [UInt8: Int] {
        var bits: [UInt8: Int] = [:]
        for f in fields { bits[f.reportId] = max(bits[f.reportId] ?? 0, f.bitOffset + f.size * f.count) }
        return bits.mapValues { ($0 + 7) / 8 + (usesReportIds ? 1 : 0) }
    }

    public static func parse(_ bytes: [UInt8]) -> Result<HIDReportDescriptor, ParseError> {
        struct Globals { var page: UInt32 = 0; var size = 0; var count = 0; var reportId: UInt8 = 0 }
        var globals = Globals()
        var stack: [Globals] = []
        var localUsages: [UInt32] = []
        var usageMin: UInt32?
        var collections: [UInt32?] = []
        var fields: [Field] = []
        var offsets: [UInt8: Int] = [:]
        var usesReportIds = false
        var i = 0
        while i < bytes.count {
            let prefix = bytes[i]
            if prefix == 0xFE {  // long item: skip it
                guard i + 2 < bytes.count else { return .failure(.truncated(offset: i)) }
                let len = Int(bytes[i + 1])
                guard i + 3 + len <= bytes.count else { return .failure(.truncated(offset: i)) }
                i += 3 + len
                continue
            }
            let sizeCode = Int(prefix & 0x03)
            let dataSize = sizeCode == 3 ? 4 : sizeCode
            guard i + 1 + dataSize <= bytes.count else { return .failure(.truncated(offset: i)) }
            var value: UInt32 = 0
            for k in 0..<dataSize { value |= UInt32(bytes[i + 1 + k]) << (8 * UInt32(k)) }
            let type = (prefix >> 2) & 0x03
            let tag = prefix >> 4
            switch (type, tag) {
            case (0, 0x8):  // Input
                let reportId = globals.reportId
                let offset = offsets[reportId] ?? 0
                guard globals.size <= 32, globals.count <= 4096 else { return .failure(.tooLarge(offset: i)) }
                var usages = localUsages
                if usages.isEmpty, let min = usageMin { usages = [min] }
                fields.append(Field(
                    reportId: reportId, bitOffset: offset, size: globals.size, count: globals.count,
                    usages: usages, isConstant: value & 0x01 != 0, isVariable: value & 0x02 != 0,
                    collectionUsage: collections.last(where: { $0 != nil }) ?? nil))
                offsets[reportId] = offset + globals.size * globals.count
                localUsages = []
                usageMin = nil
            case (0, 0x9), (0, 0xB):  // Output, Feature: not read here
                localUsages = []
                usageMin = nil
            case (0, 0xA):  // Collection: remember the application collection's usage
                collections.append(value == 1 ? localUsages.first : nil)
                localUsages = []
                usageMin = nil
            case (0, 0xC):  // End Collection
                guard !collections.isEmpty else { return .failure(.unbalancedCollection(offset: i)) }
                collections.removeLast()
            case (1, 0x0): globals.page = value & 0xFFFF
            case (1, 0x7): globals.size = Int(value)
            case (1, 0x8):
                globals.reportId = UInt8(truncatingIfNeeded: value)
                usesReportIds = true
            case (1, 0x9): globals.count = Int(value)
            case (1, 0xA): stack.append(globals)
            case (1, 0xB): if let g = stack.popLast() { globals = g }
            case (2, 0x0): localUsages.append(dataSize == 4 ? value : (globals.page << 16) | value)
            case (2, 0x1): usageMin = dataSize == 4 ? value : (globals.page << 16) | value
            case (2, 0x2):  // Usage Maximum: expand small ranges so each value has its usage
                if let min = usageMin {
                    let max = dataSize == 4 ? value : (globals.page << 16) | value
                    if max >= min && max - min < 1024 { localUsages += Array(min...max) }
                    usageMin = nil
                }
            default: break
            }
            i += 1 + dataSize
        }
        return .success(HIDReportDescriptor(fields: fields, usesReportIds: usesReportIds))
    }
}

/// A bar code scanner in HID POS mode (usage page 0x8C, HID Point of Sale Usage Tables 1.02): the
/// scanned-data report holds the AIM symbology identifier (usages 0xFB–0xFD), the decoded data
/// (0xFE, NUL padded) and a "continued" flag (0xFF) when the data spans several reports.
public struct HIDPOSScanner: Sendable, Equatable {
    public static let page: UInt32 = 0x8C
    static func usage(_ id: UInt32) -> UInt32 { page << 16 | id }

    public let reportId: UInt8
    public let usesReportIds: Bool
    /// Bit offsets (after the id byte) of the three symbology identifier bytes, when present.
    let symbologyOffsets: [Int]
    let dataOffset: Int
    let dataLength: Int
    /// Bit offset of the continued flag, when present.
    let continuedOffset: Int?

    public enum LayoutError: Error, Equatable, Sendable, CustomStringConvertible {
        case descriptor(HIDReportDescriptor.ParseError)
        case notAScanner

        public var description: String {
            switch self {
            case .descriptor(let e): "bad HID report descriptor: \(e)"
            case .notAScanner: "the HID report descriptor has no decoded-data field (usage page 0x8C, usage 0xFE)"
            }
        }
    }

    /// The scanned-data layout from a report descriptor.
    public init(descriptor bytes: [UInt8]) throws(LayoutError) {
        let descriptor: HIDReportDescriptor
        switch HIDReportDescriptor.parse(bytes) {
        case .success(let d): descriptor = d
        case .failure(let e): throw .descriptor(e)
        }
        // The decoded data: a field of 8-bit values whose usage is 0x8C:0xFE.
        guard let data = descriptor.fields.first(where: { f in
            !f.isConstant && f.size == 8 && f.count > 0 && f.usages.contains(Self.usage(0xFE))
        }) else { throw .notAScanner }
        let sameReport = descriptor.fields.filter { $0.reportId == data.reportId && !$0.isConstant }
        // The data may share a field with the symbology bytes (one field, several usages).
        var symbology: [Int] = []
        var dataOffset = data.bitOffset
        var dataLength = data.count
        if let firstData = data.usages.firstIndex(of: Self.usage(0xFE)), firstData > 0 {
            for k in 0..<min(firstData, data.count) where (0xFB...0xFD).contains(data.usages[k] & 0xFFFF) && data.usages[k] >> 16 == Self.page {
                symbology.append(data.bitOffset + k * 8)
            }
            dataOffset = data.bitOffset + firstData * 8
            dataLength = data.count - firstData
        }
        if symbology.isEmpty {
            for id in UInt32(0xFB)...0xFD {
                for f in sameReport where f.size == 8 {
                    if let k = (0..<f.count).first(where: { f.usage(at: $0) == Self.usage(id) }) {
                        symbology.append(f.bitOffset + k * 8)
                        break
                    }
                }
            }
        }
        var continued: Int?
        for f in sameReport where f.size == 1 {
            if let k = (0..<f.count).first(where: { f.usage(at: $0) == Self.usage(0xFF) }) {
                continued = f.bitOffset + k
                break
            }
        }
        self.reportId = data.reportId
        self.usesReportIds = descriptor.usesReportIds
        self.symbologyOffsets = symbology.count == 3 ? symbology : []
        self.dataOffset = dataOffset
        self.dataLength = dataLength
        self.continuedOffset = continued
    }

    /// One scanned-data report: its AIM identifier (`]` + two characters, when the scanner sent
    /// one), its data with the NUL padding removed, and whether more reports follow.
    public struct Part: Sendable, Equatable {
        public var aim: String?
        public var data: [UInt8]
        public var continued: Bool
    }

    /// Reads one input report as `read(2)` returns it from `/dev/hidrawN`; nil for other reports
    /// (wrong report id) or a report too short for the layout.
    public func part(of report: [UInt8]) -> Part? {
        var body = report[...]
        if usesReportIds {
            guard body.first == reportId else { return nil }
            body = body.dropFirst()
        }
        let base = body.startIndex
        func byte(atBit bit: Int) -> UInt8? {
            let i = base + bit / 8
            return bit % 8 == 0 && i < body.endIndex ? body[i] : nil
        }
        func flag(atBit bit: Int) -> Bool? {
            let i = base + bit / 8
            return i < body.endIndex ? (body[i] >> UInt8(bit % 8)) & 1 == 1 : nil
        }
        guard dataOffset % 8 == 0, base + dataOffset / 8 < body.endIndex || dataLength == 0 else { return nil }
        let start = base + dataOffset / 8
        let end = min(body.endIndex, start + dataLength)
        var data = Array(body[start..<end])
        while data.last == 0 { data.removeLast() }
        var aim: String?
        let sym = symbologyOffsets.compactMap { byte(atBit: $0) }
        if sym.count == 3, sym.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            // Scanners fill these with "]" + code + modifier, or with the code and modifier only.
            let text = String(decoding: sym, as: UTF8.self)
            aim = text.hasPrefix("]") ? text : nil
        }
        let continued = continuedOffset.flatMap { flag(atBit: $0) } ?? false
        return Part(aim: aim, data: data, continued: continued)
    }
}

/// Joins HID POS parts into whole scans: a part flagged "continued" waits for the next one.
public struct HIDPOSAssembler: Sendable {
    public static let maximumLength = 4096
    private var aim: String?
    private var pending: [UInt8] = []
    private var overflowed = false

    public init() {}

    public enum Output: Sendable, Equatable {
        /// The text a keyboard-mode scanner would have typed: AIM identifier, then the data.
        case scan([UInt8])
        case overflow
    }

    public var hasPartialScan: Bool { !pending.isEmpty || aim != nil }

    public mutating func feed(_ part: HIDPOSScanner.Part) -> Output? {
        if aim == nil { aim = part.aim }
        if !overflowed {
            pending += part.data
            if pending.count > Self.maximumLength {
                overflowed = true
                pending = []
            }
        }
        guard !part.continued else { return nil }
        return finish()
    }

    /// Ends a scan whose last part never came (idle timeout).
    public mutating func flush() -> Output? {
        hasPartialScan || overflowed ? finish() : nil
    }

    private mutating func finish() -> Output? {
        defer {
            aim = nil
            pending = []
            overflowed = false
        }
        if overflowed { return .overflow }
        guard !pending.isEmpty else { return nil }
        // Scanners end the data with CR (or CR LF) when a suffix is configured; the barcode decoder
        // strips it.
        return .scan(Array((aim ?? "").utf8) + pending)
    }
}
