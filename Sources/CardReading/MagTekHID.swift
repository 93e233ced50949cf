/// MagTek swipe readers in HID mode (vendor usage page 0xFF00): one 337-byte input report per
/// swipe — decode status of tracks 1–3 (bit 0 = error), their lengths, the card encode type,
/// then three 110-byte fields with each track's characters including its sentinels.
public enum MagTekHIDReport {
    public static let size = 337
    static let trackOffsets = [7, 117, 227]
    static let trackField = 110

    public enum ReportError: Error, Equatable, Sendable {
        case wrongSize(Int)
    }

    /// The swipe in one report. A track with length 0 was not on the card; a track whose status
    /// has bit 0 set could not be read.
    public static func decode(_ report: [UInt8]) -> Result<Swipe, SwipeError> {
        guard report.count == size else { return .failure(.unexpectedCharacter(offset: 0)) }
        var swipe = Swipe()
        for t in 0..<3 {
            let status = report[t]
            let length = Int(report[3 + t])
            guard length > 0 || status & 1 != 0 else { continue }
            if status & 1 != 0 {
                switch t {
                case 0: swipe.track1 = .unreadable
                case 1: swipe.track2 = .unreadable
                default: swipe.track3 = .unreadable
                }
                continue
            }
            guard length <= trackField else { return .failure(.trackTooLong(track: t + 1)) }
            let field = report[trackOffsets[t]..<(trackOffsets[t] + length)]
            guard field.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .failure(.invalidCharacter(track: t + 1)) }
            var text = String(decoding: field, as: UTF8.self)
            // The field carries the sentinels; the track parsers take what lies between them.
            let starts: [Character] = ["%", ";", "+"]
            guard text.first == starts[t] else { return .failure(.unexpectedCharacter(offset: trackOffsets[t])) }
            text.removeFirst()
            guard let end = text.firstIndex(of: "?") else { return .failure(.missingEndSentinel(track: t + 1)) }
            let data = String(text[..<end])
            switch t {
            case 0:
                switch Track1.parse(data: data) { case .success(let x): swipe.track1 = .ok(x); case .failure(let e): return .failure(e) }
            case 1:
                switch Track2.parse(data: data) { case .success(let x): swipe.track2 = .ok(x); case .failure(let e): return .failure(e) }
            default:
                switch Track3.parse(data: data) { case .success(let x): swipe.track3 = .ok(x); case .failure(let e): return .failure(e) }
            }
        }
        if swipe.goodTracks.isEmpty { return .failure(swipe.track1 == nil && swipe.track2 == nil && swipe.track3 == nil ? .empty : .readError) }
        return .success(swipe)
    }

    /// A report as a reader would send it (for tests and for recording fixtures).
    public static func make(track1: String? = nil, track2: String? = nil, track3: String? = nil, errors: [Bool] = [false, false, false]) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: size)
        for (t, track) in [track1, track2, track3].enumerated() {
            if errors[t] { r[t] = 1 }
            guard let track else { continue }
            let bytes = Array(track.utf8.prefix(trackField))
            r[3 + t] = UInt8(bytes.count)
            for (i, b) in bytes.enumerated() { r[trackOffsets[t] + i] = b }
        }
        return r
    }
}
