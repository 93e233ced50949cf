/// Magnetic stripe decoding: ISO/IEC 7813 tracks 1 and 2, ISO 4909 track 3, as keyboard-wedge and
/// serial readers send them (`%…?;…?+…?`, an optional LRC after each end sentinel, `E` for a track
/// that could not be read).

/// Why a swipe could not be turned into card data. Carries no card data itself.
public enum SwipeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing but framing characters arrived.
    case empty
    /// Every track the reader saw came back as an error track (`%E?`, `;E?`).
    case readError
    /// A character outside any track where a start sentinel was expected.
    case unexpectedCharacter(offset: Int)
    /// A track started but its end sentinel never came (a partial read).
    case missingEndSentinel(track: Int)
    /// More characters between the sentinels than the track can hold.
    case trackTooLong(track: Int)
    /// A character that the track's character set does not have.
    case invalidCharacter(track: Int)
    /// The LRC character after the end sentinel does not match the track.
    case lrcMismatch(track: Int)
    /// The reader was configured to send an LRC but none came.
    case missingLRC(track: Int)
    /// The primary account number is empty, longer than 19 digits, or not digits.
    case invalidPAN(track: Int)
    /// No field separator after the account number.
    case missingFieldSeparator(track: Int)
    /// The same track appeared twice in one swipe.
    case duplicateTrack(track: Int)
    /// Only tracks that carry no account number were read (track 3 alone).
    case noAccountTrack
    /// A keyboard-wedge read that is a valid swipe only on another keyboard layout.
    case layoutMismatch(layout: String)

    /// A stable machine code for APIs and events.
    public var reasonCode: String {
        switch self {
        case .empty: "empty"
        case .readError: "read_error_track"
        case .unexpectedCharacter: "unexpected_character"
        case .missingEndSentinel: "missing_end_sentinel"
        case .trackTooLong: "too_long"
        case .invalidCharacter: "bad_character"
        case .lrcMismatch: "lrc_mismatch"
        case .missingLRC: "missing_lrc"
        case .invalidPAN: "invalid_pan"
        case .missingFieldSeparator: "missing_field_separator"
        case .duplicateTrack: "duplicate_track"
        case .noAccountTrack: "no_account_track"
        case .layoutMismatch: "layout_mismatch"
        }
    }

    public var description: String {
        switch self {
        case .empty: "the read was empty"
        case .readError: "the reader reported every track as unreadable; swipe again"
        case .unexpectedCharacter(let offset): "unexpected character at offset \(offset) where a start sentinel was expected"
        case .missingEndSentinel(let t): "track \(t) has no end sentinel (partial read)"
        case .trackTooLong(let t): "track \(t) is longer than the format allows"
        case .invalidCharacter(let t): "track \(t) contains a character outside its character set"
        case .lrcMismatch(let t): "track \(t) failed its LRC check"
        case .missingLRC(let t): "track \(t) has no LRC character although the reader is set to send one"
        case .invalidPAN(let t): "track \(t) has no valid account number (1 to 19 digits)"
        case .missingFieldSeparator(let t): "track \(t) has no field separator after the account number"
        case .duplicateTrack(let t): "track \(t) appears twice in one read"
        case .noAccountTrack: "no track with an account number was read"
        case .layoutMismatch(let layout): "the reader types a different keyboard layout: the keys make a valid swipe on '\(layout)'; set the reader's layout to \(layout)"
        }
    }
}

/// Whether the reader appends a longitudinal redundancy check character after each end sentinel.
public enum LRCMode: String, Sendable, Codable, CaseIterable {
    /// The reader sends no LRC (the default for keyboard-wedge and serial readers).
    case absent
    /// Exactly one LRC character follows every end sentinel, and it is verified.
    case present
    /// An LRC is taken when the character after the end sentinel is the correct LRC and cannot be
    /// the start of the next track.
    case auto
}

/// The result for one track of a swipe.
public enum TrackRead<Track: Sendable & Equatable>: Sendable, Equatable {
    case ok(Track)
    /// The reader reported the track as unreadable (`E` in place of the data).
    case unreadable
}

/// Track 1 (IATA, alphanumeric): `%B<PAN>^<NAME>^<YYMM><SSS><discretionary>?`.
///
/// The cardholder name is checked for its place and dropped: it is never kept, so nothing that
/// holds a decoded swipe can log, store or forward it. Nor is the raw track (which holds it).
public struct Track1: Sendable, Equatable {
    public var formatCode: Character
    public var pan: String
    /// Whether the card carries a name (its text is not kept).
    public var hasName: Bool
    /// YYMM, or nil when the card carries the `^` placeholder.
    public var expiry: String?
    public var serviceCode: String?
    public var discretionary: String

    /// Data characters between the sentinels: at most 76 (79 with SS, ES and LRC).
    public static let maximumDataLength = 76

    public static func parse(data: String) -> Result<Track1, SwipeError> {
        let chars = Array(data.unicodeScalars)
        guard chars.count <= maximumDataLength else { return .failure(.trackTooLong(track: 1)) }
        guard chars.allSatisfy({ (0x20...0x5F).contains($0.value) && $0 != "%" && $0 != "?" }) else {
            return .failure(.invalidCharacter(track: 1))
        }
        guard let fc = chars.first, ("A"..."Z").contains(fc) else { return .failure(.invalidCharacter(track: 1)) }
        let fields = String(String.UnicodeScalarView(chars.dropFirst())).split(separator: "^", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return .failure(.missingFieldSeparator(track: 1)) }
        let pan = String(fields[0])
        guard (1...19).contains(pan.count), pan.allSatisfy(\.isASCIIDigit) else { return .failure(.invalidPAN(track: 1)) }
        let (expiry, serviceCode, rest) = splitExpiryAndServiceCode(Array(fields[2]), placeholder: "^")
        return .success(Track1(
            formatCode: Character(fc), pan: pan, hasName: !fields[1].allSatisfy { $0 == " " },
            expiry: expiry, serviceCode: serviceCode, discretionary: rest))
    }
}

/// Track 2 (ABA, numeric): `;<PAN>=<YYMM><SSS><discretionary>?`, with `=` for an absent expiry or
/// service code.
public struct Track2: Sendable, Equatable {
    public var pan: String
    public var expiry: String?
    public var serviceCode: String?
    public var discretionary: String
    /// The data between the sentinels: what Paytronix calls `trackInfo`.
    public var data: String

    /// Data characters between the sentinels: at most 37 (40 with SS, ES and LRC).
    public static let maximumDataLength = 37

    public var luhnValid: Bool { PAN.luhnValid(pan) }

    public static func parse(data: String) -> Result<Track2, SwipeError> {
        let chars = Array(data.unicodeScalars)
        guard chars.count <= maximumDataLength else { return .failure(.trackTooLong(track: 2)) }
        guard chars.allSatisfy({ ("0"..."9").contains($0) || $0 == "=" }) else {
            return .failure(.invalidCharacter(track: 2))
        }
        guard let fs = chars.firstIndex(of: "=") else { return .failure(.missingFieldSeparator(track: 2)) }
        let pan = String(String.UnicodeScalarView(chars[..<fs]))
        guard (1...19).contains(pan.count) else { return .failure(.invalidPAN(track: 2)) }
        let (expiry, serviceCode, rest) = splitExpiryAndServiceCode(
            Array(String(String.UnicodeScalarView(chars[(fs + 1)...]))), placeholder: "=")
        return .success(Track2(pan: pan, expiry: expiry, serviceCode: serviceCode, discretionary: rest, data: data))
    }
}

/// Track 3 (numeric, ISO 4909). Kept only as data: it carries no account number we use.
public struct Track3: Sendable, Equatable {
    public var data: String
    public static let maximumDataLength = 104

    public static func parse(data: String) -> Result<Track3, SwipeError> {
        let chars = Array(data.unicodeScalars)
        guard chars.count <= maximumDataLength else { return .failure(.trackTooLong(track: 3)) }
        guard chars.allSatisfy({ (0x30...0x3E).contains($0.value) && $0 != ";" }) else {
            return .failure(.invalidCharacter(track: 3))
        }
        return .success(Track3(data: data))
    }
}

/// Expiry (YYMM) then service code (3 digits), each either present or replaced by one placeholder.
private func splitExpiryAndServiceCode(_ chars: [Character], placeholder: Character) -> (String?, String?, String) {
    var i = 0
    var expiry: String?
    if i < chars.count, chars[i] == placeholder {
        i += 1
    } else if chars.count - i >= 4, chars[i..<(i + 4)].allSatisfy(\.isASCIIDigit) {
        expiry = String(chars[i..<(i + 4)])
        i += 4
    }
    var serviceCode: String?
    if i < chars.count, chars[i] == placeholder {
        i += 1
    } else if chars.count - i >= 3, chars[i..<(i + 3)].allSatisfy(\.isASCIIDigit) {
        serviceCode = String(chars[i..<(i + 3)])
        i += 3
    }
    return (expiry, serviceCode, String(chars[i...]))
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// The longitudinal redundancy check of ISO/IEC 7811: XOR of the 6-bit (track 1) or 4-bit
/// (tracks 2 and 3) character values from the start sentinel through the end sentinel.
public enum LRC {
    public static func compute(track: Int, framed: some Collection<Unicode.Scalar>) -> Unicode.Scalar {
        let base: UInt32 = track == 1 ? 0x20 : 0x30
        let mask: UInt32 = track == 1 ? 0x3F : 0x0F
        var v: UInt32 = 0
        for s in framed { v ^= (s.value &- base) & mask }
        return Unicode.Scalar(base + v)!
    }
}

/// Everything one swipe produced, track by track.
public struct Swipe: Sendable, Equatable {
    public var track1: TrackRead<Track1>?
    public var track2: TrackRead<Track2>?
    public var track3: TrackRead<Track3>?

    public init(track1: TrackRead<Track1>? = nil, track2: TrackRead<Track2>? = nil, track3: TrackRead<Track3>? = nil) {
        self.track1 = track1
        self.track2 = track2
        self.track3 = track3
    }

    /// Numbers of the tracks that were read successfully.
    public var goodTracks: [Int] {
        var tracks: [Int] = []
        if case .ok = track1 { tracks.append(1) }
        if case .ok = track2 { tracks.append(2) }
        if case .ok = track3 { tracks.append(3) }
        return tracks
    }

    /// The swipe as a Paytronix `CardInfo`: track 2 (without sentinels) as `trackInfo` and its PAN
    /// as `printedCardNumber`; with only track 1, its PAN as `printedCardNumber`.
    public func cardInfo(includePrintedNumber: Bool = true) -> Result<CardInfo, SwipeError> {
        if case .ok(let t2) = track2 {
            return .success(CardInfo(printedCardNumber: includePrintedNumber ? t2.pan : nil, trackInfo: t2.data))
        }
        if case .ok(let t1) = track1 {
            return .success(CardInfo(printedCardNumber: t1.pan))
        }
        if case .ok = track3 { return .failure(.noAccountTrack) }
        return .failure(.readError)
    }
}

/// Splits the text of one swipe into its tracks and validates each.
public struct MagstripeDecoder: Sendable {
    public var lrc: LRCMode

    public init(lrc: LRCMode = .absent) {
        self.lrc = lrc
    }

    /// Whether text is meant as a swipe (its first character after framing is a start sentinel),
    /// as opposed to a barcode.
    public static func looksLikeSwipe(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first(where: { !framing.contains($0) }) else { return true }
        return first == "%" || first == ";" || first == "+"
    }

    /// Framing that readers put around a swipe and that carries no data: STX, ETX, ESC, CR, LF.
    static let framing: Set<Unicode.Scalar> = ["\u{02}", "\u{03}", "\u{1B}", "\r", "\n"]

    public func decode(_ text: String) -> Result<Swipe, SwipeError> {
        do { return .success(try decodeTracks(text)) } catch { return .failure(error) }
    }

    private func decodeTracks(_ text: String) throws(SwipeError) -> Swipe {
        let scalars = Array(text.unicodeScalars.filter { !Self.framing.contains($0) })
        guard !scalars.isEmpty else { throw .empty }
        var swipe = Swipe()
        var i = 0
        while i < scalars.count {
            let start = scalars[i]
            let track: Int
            switch start {
            case "%": track = 1
            case ";": track = 2
            case "+": track = 3
            default: throw .unexpectedCharacter(offset: i)
            }
            guard let end = scalars[(i + 1)...].firstIndex(of: "?") else {
                throw .missingEndSentinel(track: track)
            }
            let body = scalars[(i + 1)..<end]
            var next = end + 1
            let isErrorTrack = body.count == 1 && (body.first == "E" || body.first == "e")
            if !isErrorTrack {
                switch lrc {
                case .absent: break
                case .present:
                    guard next < scalars.count else { throw .missingLRC(track: track) }
                    guard scalars[next] == LRC.compute(track: track, framed: scalars[i...end]) else {
                        throw .lrcMismatch(track: track)
                    }
                    next += 1
                case .auto:
                    if next < scalars.count, scalars[next] == LRC.compute(track: track, framed: scalars[i...end]),
                        next == scalars.count - 1 || !["%", ";", "+"].contains(scalars[next])
                    {
                        next += 1
                    }
                }
            }
            var data = String(String.UnicodeScalarView(body))
            switch track {
            case 1:
                guard swipe.track1 == nil else { throw .duplicateTrack(track: 1) }
                if isErrorTrack { swipe.track1 = .unreadable; break }
                // Caps Lock on the host can lower-case the format code; the data is upper case.
                if let first = data.first, first.isLowercase { data = first.uppercased() + data.dropFirst() }
                swipe.track1 = .ok(try Track1.parse(data: data).get())
            case 2:
                guard swipe.track2 == nil else { throw .duplicateTrack(track: 2) }
                if isErrorTrack { swipe.track2 = .unreadable; break }
                swipe.track2 = .ok(try Track2.parse(data: data).get())
            default:
                guard swipe.track3 == nil else { throw .duplicateTrack(track: 3) }
                if isErrorTrack { swipe.track3 = .unreadable; break }
                swipe.track3 = .ok(try Track3.parse(data: data).get())
            }
            i = next
        }
        if swipe.goodTracks.isEmpty { throw .readError }
        return swipe
    }
}
