/// A recorded exchange with a contactless card, as text (`giftbridge decode --apdu-log FILE`):
///
///     # comment
///     atr 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68
///     > FF CA 00 00 00
///     < 04 A1 B2 C3 D4 E5 F6 90 00
///     !removed
///
/// `atr` (once, before the first command; an ISO 14443-4 card's `3B 80 80 01 01` when absent)
/// is the ATR the reader made for the card; `>` a command APDU, `<` the card's answer to it
/// (data then SW1 SW2); `!removed` where the card left the field. Hex may be spaced or not.
public struct APDULog: Sendable, Equatable {
    public enum Entry: Sendable, Equatable {
        case command([UInt8])
        case response([UInt8])
        case removed
    }

    public static let defaultATR: [UInt8] = [0x3B, 0x80, 0x80, 0x01, 0x01]

    public var atr: [UInt8]
    public var entries: [Entry]

    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public init(atr: [UInt8] = APDULog.defaultATR, entries: [Entry]) {
        self.atr = atr
        self.entries = entries
    }

    public static func parse(_ text: String) -> Result<APDULog, ParseError> {
        var atr: [UInt8]?
        var entries: [Entry] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = n + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line == "!removed" {
                entries.append(.removed)
                continue
            }
            if line.hasPrefix("atr ") || line.hasPrefix("atr\t") {
                guard atr == nil, entries.isEmpty else { return .failure(ParseError(line: number, message: "the ATR comes once, before the first command")) }
                guard let bytes = Hex.bytes(line.dropFirst(4)), !bytes.isEmpty, bytes.count <= 33 else {
                    return .failure(ParseError(line: number, message: "the ATR is not 1 to 33 bytes of hex"))
                }
                atr = bytes
                continue
            }
            guard let mark = line.first, mark == ">" || mark == "<" else {
                return .failure(ParseError(line: number, message: "a line starts with '>', '<', 'atr', '!removed' or '#'"))
            }
            guard let bytes = Hex.bytes(line.dropFirst()) else { return .failure(ParseError(line: number, message: "not hex")) }
            if mark == ">" {
                guard bytes.count >= 4, bytes.count <= 261 else { return .failure(ParseError(line: number, message: "a command APDU is 4 to 261 bytes")) }
                if case .command? = entries.last { return .failure(ParseError(line: number, message: "a command without an answer before it")) }
                entries.append(.command(bytes))
            } else {
                guard bytes.count >= 2, bytes.count <= 258 else { return .failure(ParseError(line: number, message: "an answer is 2 to 258 bytes (data, SW1 SW2)")) }
                guard case .command? = entries.last else { return .failure(ParseError(line: number, message: "an answer without a command before it")) }
                entries.append(.response(bytes))
            }
        }
        return .success(APDULog(atr: atr ?? defaultATR, entries: entries))
    }

    public var text: String {
        var lines = ["atr " + Hex.string(atr, separator: " ")]
        for e in entries {
            switch e {
            case .command(let c): lines.append("> " + Hex.string(c, separator: " "))
            case .response(let r): lines.append("< " + Hex.string(r, separator: " "))
            case .removed: lines.append("!removed")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Answers commands from a recorded exchange: each command must be the next one recorded.
public final class ReplayChannel: CardChannel, @unchecked Sendable {
    private let entries: [APDULog.Entry]
    private var next = 0

    public init(_ log: APDULog) { entries = log.entries }

    /// Whether every recorded command was asked for.
    public var isExhausted: Bool { next >= entries.count }

    public func transmit(_ command: [UInt8]) throws(ChannelError) -> [UInt8] {
        guard next < entries.count else { throw .failed("the log ends before the command \(Hex.string(command.prefix(4), separator: " ")) …") }
        switch entries[next] {
        case .removed:
            next += 1
            throw .removed
        case .response:
            throw .failed("the log has an answer where a command was expected")
        case .command(let recorded):
            guard recorded == command else {
                throw .failed("the reading logic sent \(Hex.string(command.prefix(4), separator: " ")) … where the log has \(Hex.string(recorded.prefix(4), separator: " ")) …")
            }
            next += 1
            guard next < entries.count else { throw .removed }
            switch entries[next] {
            case .response(let r):
                next += 1
                return r
            case .removed:
                next += 1
                throw .removed
            case .command:
                throw .failed("a command without an answer in the log")
            }
        }
    }
}
