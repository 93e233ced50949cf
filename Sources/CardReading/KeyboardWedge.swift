import Foundation

/// One `struct input_event` from an evdev node (24 bytes on 64-bit Linux: timeval, type, code,
/// value, little-endian).
public struct InputEvent: Equatable, Sendable {
    public var seconds: Int64
    public var microseconds: Int64
    public var type: UInt16
    public var code: UInt16
    public var value: Int32

    public static let size = 24
    public static let evSyn: UInt16 = 0, evKey: UInt16 = 1
    public static let synReport: UInt16 = 0, synDropped: UInt16 = 3

    public init(seconds: Int64 = 0, microseconds: Int64 = 0, type: UInt16, code: UInt16, value: Int32) {
        self.seconds = seconds
        self.microseconds = microseconds
        self.type = type
        self.code = code
        self.value = value
    }

    /// Microseconds since the epoch.
    public var time: Int64 { seconds &* 1_000_000 &+ microseconds }

    /// Parses whole records; a trailing partial record is left for the caller (returned count).
    public static func parse(_ bytes: [UInt8]) -> (events: [InputEvent], consumed: Int) {
        var events: [InputEvent] = []
        var i = 0
        func int64(_ at: Int) -> Int64 { (0..<8).reduce(Int64(0)) { $0 | Int64(bytes[at + $1]) << (8 * $1) } }
        while i + size <= bytes.count {
            events.append(InputEvent(
                seconds: int64(i), microseconds: int64(i + 8),
                type: UInt16(bytes[i + 16]) | UInt16(bytes[i + 17]) << 8,
                code: UInt16(bytes[i + 18]) | UInt16(bytes[i + 19]) << 8,
                value: Int32(bitPattern: UInt32(bytes[i + 20]) | UInt32(bytes[i + 21]) << 8 | UInt32(bytes[i + 22]) << 16 | UInt32(bytes[i + 23]) << 24)))
            i += size
        }
        return (events, i)
    }

    /// The 24 bytes of this event, as the kernel writes them.
    public var bytes: [UInt8] {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        return le(seconds) + le(microseconds) + le(type) + le(code) + le(UInt32(bitPattern: value))
    }
}

/// What one key press meant: a key with the modifiers held, or a character entered another way
/// (Alt + numpad digits, Ctrl+]).
public enum KeyStroke: Equatable, Sendable {
    case key(code: UInt16, shift: Bool, altGr: Bool, caps: Bool)
    case literal(Character)
}

/// A keyboard layout: what a reader's key presses mean when the reader was set up for it.
public struct KeyboardLayout: Sendable, Equatable {
    public let name: String
    private let table: [UInt16: [String]]

    public static let names = ["us", "gb", "de", "fr", "be", "ch", "es"]

    public static func named(_ name: String) -> KeyboardLayout? {
        tables[name].map { KeyboardLayout(name: name, table: $0) }
    }

    /// Keypad keys type the same on every layout (Num Lock on).
    static let keypad: [UInt16: Character] = [
        71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+", 79: "1", 80: "2", 81: "3", 82: "0", 83: ".",
        55: "*", 98: "/",
    ]

    /// The text for a key: "" for none, "dead_<name>" for a dead key.
    func text(code: UInt16, shift: Bool, altGr: Bool, caps: Bool) -> String {
        if let k = Self.keypad[code] { return String(k) }
        guard let row = table[code] else { return "" }
        let index = altGr ? (shift ? 3 : 2) : (caps ? (shift ? 5 : 4) : (shift ? 1 : 0))
        return row[index]
    }

    /// Spacing forms of dead keys (dead key then space, or the dead key twice).
    static let deadSpacing: [String: String] = [
        "dead_circumflex": "^", "dead_acute": "´", "dead_grave": "`", "dead_diaeresis": "¨", "dead_tilde": "~",
        "dead_cedilla": "¸", "dead_abovering": "°", "dead_caron": "ˇ", "dead_doubleacute": "˝", "dead_ogonek": "˛",
    ]
    /// Combining marks, to compose a dead key with the next letter.
    static let deadCombining: [String: Character] = [
        "dead_circumflex": "\u{302}", "dead_acute": "\u{301}", "dead_grave": "\u{300}", "dead_diaeresis": "\u{308}",
        "dead_tilde": "\u{303}", "dead_cedilla": "\u{327}", "dead_abovering": "\u{30A}", "dead_caron": "\u{30C}",
    ]

    /// The text a sequence of key strokes types on this layout.
    public func render(_ strokes: [KeyStroke]) -> String {
        var out = ""
        var dead: String?
        for stroke in strokes {
            var text: String
            switch stroke {
            case .literal(let c): text = String(c)
            case .key(let code, let shift, let altGr, let caps): text = self.text(code: code, shift: shift, altGr: altGr, caps: caps)
            }
            if text.hasPrefix("dead_") {
                if let pending = dead {
                    out += Self.deadSpacing[pending] ?? ""
                    dead = pending == text ? nil : text
                } else {
                    dead = text
                }
                continue
            }
            if let pending = dead {
                dead = nil
                if text == " " {
                    text = Self.deadSpacing[pending] ?? ""
                } else if let mark = Self.deadCombining[pending], let first = text.first {
                    text = (String(first) + String(mark)).precomposedStringWithCanonicalMapping + text.dropFirst()
                } else {
                    text = (Self.deadSpacing[pending] ?? "") + text
                }
            }
            out += text
        }
        if let pending = dead { out += Self.deadSpacing[pending] ?? "" }
        return out
    }
}

/// A complete keyboard-wedge read: its key strokes and how fast they came.
public struct WedgeRead: Equatable, Sendable {
    public var strokes: [KeyStroke]
    /// Microseconds between the first and the last key press.
    public var duration: Int64
    /// The longest pause between two key presses, in microseconds.
    public var longestGap: Int64

    /// Readers type a whole track in a burst (gaps of a few ms); people pause far longer.
    public func looksTypedByHand(maximumReaderGap: Int64 = 50_000) -> Bool { strokes.count > 1 && longestGap > maximumReaderGap }

    public func text(_ layout: KeyboardLayout) -> String { layout.render(strokes) }
}

/// Turns evdev key events of one keyboard-wedge reader into reads: modifiers, Caps Lock,
/// AltGr, Alt + numpad codes, Ctrl+] (GS), autorepeat ignored, a read ending at Enter, keypad
/// Enter or Tab (or when the caller sees the device go idle and calls ``flush()``).
public struct WedgeAssembler: Sendable {
    public var terminators: Set<UInt16>
    public let maximumStrokes: Int
    private var strokes: [KeyStroke] = []
    private var shiftDown: Set<UInt16> = []
    private var altGr = false
    private var alt = false
    private var ctrl = false
    private var caps = false
    private var altDigits: String?
    private var first: Int64?
    private var last: Int64?
    private var longestGap: Int64 = 0
    /// After the kernel dropped events (`SYN_DROPPED`): the rest of that read is thrown away.
    private var discarding = false

    public init(terminators: Set<UInt16> = [28, 96, 15], maximumStrokes: Int = 512) {
        self.terminators = terminators
        self.maximumStrokes = maximumStrokes
    }

    public var hasPartialRead: Bool { !strokes.isEmpty }

    public enum Output: Equatable, Sendable {
        case read(WedgeRead)
        case overflow
        /// The kernel dropped key events (`SYN_DROPPED`: the reader typed faster than it was
        /// read). The read in progress is dropped whole, never guessed at: the keys after the
        /// drop are ignored until the read ends (a terminator, or ``flush()`` at idle).
        case keysLost
    }

    public mutating func feed(_ events: [InputEvent]) -> [Output] {
        var out: [Output] = []
        for e in events {
            if e.type == InputEvent.evSyn && e.code == InputEvent.synDropped {
                // The kernel dropped events: the read in progress cannot be trusted, nor which
                // modifiers are down (a release may be among the lost events).
                reset()
                shiftDown = []
                altGr = false
                alt = false
                ctrl = false
                if !discarding { out.append(.keysLost) }
                discarding = true
                continue
            }
            guard e.type == InputEvent.evKey, e.value != 2 else { continue }
            let down = e.value == 1
            switch e.code {
            case 42, 54: if down { shiftDown.insert(e.code) } else { shiftDown.remove(e.code) }
            case 100: altGr = down
            case 29, 97: ctrl = down
            case 58: if down { caps.toggle() }
            case 56:
                alt = down
                if down {
                    altDigits = ""
                } else if let digits = altDigits, let v = UInt32(digits), let scalar = Unicode.Scalar(v) {
                    append(.literal(Character(scalar)), at: e.time, into: &out)
                    altDigits = nil
                }
            default:
                guard down else { continue }
                if alt, altDigits != nil, let digit = KeyboardLayout.keypad[e.code], digit.isNumber {
                    altDigits?.append(digit)
                    continue
                }
                if terminators.contains(e.code) {
                    if discarding {
                        discarding = false
                    } else if !strokes.isEmpty {
                        out.append(.read(complete()))
                    }
                    continue
                }
                if discarding { continue }
                if ctrl && e.code == 27 {
                    append(.literal("\u{1D}"), at: e.time, into: &out)
                    continue
                }
                append(.key(code: e.code, shift: !shiftDown.isEmpty, altGr: altGr, caps: caps), at: e.time, into: &out)
            }
        }
        return out
    }

    private mutating func append(_ stroke: KeyStroke, at time: Int64, into out: inout [Output]) {
        if strokes.count >= maximumStrokes {
            reset()
            out.append(.overflow)
            return
        }
        // Device clocks can jump (or be garbage): wrapping arithmetic, never a trap.
        if let last { longestGap = max(longestGap, time &- last) }
        if first == nil { first = time }
        last = time
        strokes.append(stroke)
    }

    /// Ends the read in progress (the device went idle); a read cut by lost events ends here
    /// without a result.
    public mutating func flush() -> WedgeRead? {
        if discarding {
            discarding = false
            reset()
            return nil
        }
        return strokes.isEmpty ? nil : complete()
    }

    private mutating func complete() -> WedgeRead {
        let read = WedgeRead(strokes: strokes, duration: max(0, (last ?? 0) &- (first ?? 0)), longestGap: longestGap)
        reset()
        return read
    }

    private mutating func reset() {
        strokes.removeAll(keepingCapacity: true)
        first = nil
        last = nil
        longestGap = 0
        altDigits = nil
    }
}

extension MagstripeDecoder {
    /// Decodes a keyboard-wedge read typed on `layout`. When the text is no swipe but the same
    /// keys typed on another layout are, the error is ``SwipeError/layoutMismatch(layout:)``
    /// naming that layout.
    public func decode(_ read: WedgeRead, layout: KeyboardLayout) -> Result<Swipe, SwipeError> {
        let result = decode(read.text(layout))
        guard case .failure(let error) = result else { return result }
        switch error {
        case .unexpectedCharacter, .invalidCharacter, .missingEndSentinel, .missingFieldSeparator:
            for name in KeyboardLayout.names where name != layout.name {
                guard let other = KeyboardLayout.named(name) else { continue }
                if case .success = decode(read.text(other)) { return .failure(.layoutMismatch(layout: name)) }
            }
            return result
        default:
            return result
        }
    }
}
