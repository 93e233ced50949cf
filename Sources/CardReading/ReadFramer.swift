/// Cuts the byte stream of a serial or keyboard-wedge reader into reads.
///
/// A read ends at a terminator (CR, LF, ETX by default) or, when the reader sends none, when the
/// caller sees the line go idle and calls ``flush()``. A read that grows past `maximumLength`
/// is discarded up to its next terminator and reported as an overflow, so a babbling device can
/// never make the daemon's memory grow.
public struct ReadFramer: Sendable {
    public enum Output: Equatable, Sendable {
        case read([UInt8])
        case overflow
    }

    public var terminators: Set<UInt8>
    public let maximumLength: Int
    private var buffer: [UInt8] = []
    private var discarding = false

    public init(terminators: Set<UInt8> = [0x0D, 0x0A, 0x03], maximumLength: Int = 1024) {
        self.terminators = terminators
        self.maximumLength = maximumLength
        buffer.reserveCapacity(128)
    }

    /// True while bytes of an unfinished read are held.
    public var hasPartialRead: Bool { !buffer.isEmpty || discarding }

    /// Feeds bytes; returns the reads they completed, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Output] {
        var out: [Output] = []
        for byte in bytes {
            if terminators.contains(byte) {
                if discarding {
                    out.append(.overflow)
                    discarding = false
                } else if !buffer.isEmpty {
                    out.append(.read(buffer))
                }
                wipe()
            } else if !discarding {
                if buffer.count == maximumLength {
                    discarding = true
                    wipe()
                } else {
                    buffer.append(byte)
                }
            }
        }
        return out
    }

    /// Ends the current read because the line went idle.
    public mutating func flush() -> Output? {
        defer { wipe(); discarding = false }
        if discarding { return .overflow }
        return buffer.isEmpty ? nil : .read(buffer)
    }

    /// Overwrites held bytes before dropping them: card data does not linger in memory.
    private mutating func wipe() {
        for i in buffer.indices { buffer[i] = 0 }
        buffer.removeAll(keepingCapacity: true)
    }
}
