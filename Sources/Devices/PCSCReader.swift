#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPCSC
import Foundation
import NFC

/// What a device loop or a PC/SC reader offers the daemon: start, stop, and a hint that a
/// device may have appeared.
public protocol ReaderLoop: AnyObject, Sendable {
    func start()
    func stop()
    func retryNow()
}

extension DeviceLoop: ReaderLoop {}

/// A contactless reader driven by `pcscd` (ACR122U, ACR1252U, Identiv uTrust, the virtual
/// `vpcd` …), picked by a pattern on its PC/SC name.
///
/// One thread that sleeps in `SCardGetStatusChange` with an infinite timeout on the reader and
/// on `\\?PnP?\Notification`: a card entering the field, the reader unplugged or a new reader
/// plugged in wake it; nothing polls. ``stop()`` wakes it with `SCardCancel`. For each card it
/// connects (shared or exclusive, as configured), runs the pure ``ContactlessReader`` through
/// `SCardTransmit`, disconnects leaving the card as it is, and delivers the result.
public final class PCSCReader: ReaderLoop, @unchecked Sendable {
    public struct Settings: Sendable {
        /// A regular expression a reader's PC/SC name must match (the first such reader is used).
        public var namePattern: String
        /// `SCARD_SHARE_EXCLUSIVE` (no other application may talk to the card meanwhile) or shared.
        public var exclusive: Bool

        public init(namePattern: String, exclusive: Bool) {
            self.namePattern = namePattern
            self.exclusive = exclusive
        }
    }

    public struct PatternError: Error, CustomStringConvertible {
        public var pattern: String
        public var description: String { "not a valid regular expression: \(pattern)" }
    }

    /// A card's read: when the card entered the field, and what came of it.
    public struct CardEvent: Sendable {
        public var placed: ContinuousClock.Instant
        public var result: Result<NFCRead, NFCReadError>
    }

    public let name: String
    private let settings: Settings
    private let pattern: NSRegularExpression
    private let reader: ContactlessReader
    private let onLink: @Sendable (DeviceLinkEvent) -> Void
    private let deliver: @Sendable (CardEvent) -> Void
    private let lock = NSLock()
    private var context: SCARDCONTEXT?
    private var isStopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Back-off wake-ups (pcscd not running): stop and retryNow signal it.
    private let wake = DispatchSemaphore(value: 0)
    public var maximumBackoffMs = 5000

    public init(name: String, settings: Settings, reader: ContactlessReader,
                onLink: @escaping @Sendable (DeviceLinkEvent) -> Void,
                deliver: @escaping @Sendable (CardEvent) -> Void) throws(PatternError) {
        guard let regex = try? NSRegularExpression(pattern: settings.namePattern) else { throw PatternError(pattern: settings.namePattern) }
        self.name = name
        self.settings = settings
        self.pattern = regex
        self.reader = reader
        self.onLink = onLink
        self.deliver = deliver
    }

    public func start() {
        let t = Thread { [self] in
            run()
            finished.signal()
        }
        t.name = "pcsc-\(name)"
        thread = t
        t.start()
    }

    public func stop() {
        lock.withLock {
            isStopping = true
            if let context { _ = SCardCancel(context) }
        }
        wake.signal()
        guard thread != nil else { return }
        // SCardCancel ends a wait in progress only: a card being read when stop came is read to
        // its end, and the thread checks the flag before it waits again — the cancel is repeated
        // for the moment between that check and the wait.
        while finished.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            lock.withLock { if let context { _ = SCardCancel(context) } }
        }
        thread = nil
    }

    public func retryNow() { wake.signal() }

    private var stopping: Bool { lock.withLock { isStopping } }

    /// Why the loop left a context: stopped, or a reason to report and retry.
    private enum Exit: Error { case stopped, lost(String) }

    private func run() {
        var backoffMs = 500
        var lastReason: String?
        while !stopping {
            var ctx: SCARDCONTEXT = 0
            let rc = SCardEstablishContext(cpcsc_SCARD_SCOPE_SYSTEM, nil, nil, &ctx)
            if rc != cpcsc_SCARD_S_SUCCESS {
                let reason = "pcscd: \(Self.text(rc))"
                if reason != lastReason { onLink(.detached(reason: reason)) }
                lastReason = reason
                _ = wake.wait(timeout: .now() + .milliseconds(backoffMs))
                backoffMs = min(backoffMs * 2, maximumBackoffMs)
                continue
            }
            let cancelled: Bool = lock.withLock {
                context = ctx
                return isStopping
            }
            var exit = Exit.stopped
            if !cancelled { exit = session(ctx, lastReason: &lastReason) }
            lock.withLock { context = nil }
            SCardReleaseContext(ctx)
            guard case .lost(let reason) = exit else { return }
            if reason != lastReason { onLink(.detached(reason: reason)) }
            lastReason = reason
            backoffMs = 500
            _ = wake.wait(timeout: .now() + .milliseconds(backoffMs))
        }
    }

    /// Finds the reader, waits for cards and reads them, until the context is lost or cancelled.
    private func session(_ ctx: SCARDCONTEXT, lastReason: inout String?) -> Exit {
        var pnpState = DWORD(cpcsc_SCARD_STATE_UNAWARE)
        while true {
            guard let readerName = findReader(ctx) else {
                let reason = "no PC/SC reader matches '\(settings.namePattern)'"
                if reason != lastReason { onLink(.detached(reason: reason)) }
                lastReason = reason
                // Sleep until a reader is plugged in (or out).
                switch waitForChange(ctx, readers: [], pnp: &pnpState) {
                case .success: continue
                case .failure(let exit): return exit
                }
            }
            lastReason = nil
            onLink(.attached)
            let exit = watch(ctx, readerName: readerName, pnp: &pnpState)
            switch exit {
            case .stopped: return .stopped
            case .lost(let reason):
                // The reader went away: report it and look again (a new one, or the same one back).
                if reason.hasPrefix("pcscd") { return exit }
                onLink(.detached(reason: reason))
                lastReason = reason
            }
        }
    }

    /// The first reader whose name matches the pattern.
    private func findReader(_ ctx: SCARDCONTEXT) -> String? {
        var size = DWORD(0)
        guard SCardListReaders(ctx, nil, nil, &size) == cpcsc_SCARD_S_SUCCESS, size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(size))
        guard SCardListReaders(ctx, nil, &buffer, &size) == cpcsc_SCARD_S_SUCCESS else { return nil }
        // A multi-string: names separated by NUL, ended by an empty one.
        let names = buffer.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return names.first { n in pattern.firstMatch(in: n, range: NSRange(location: 0, length: (n as NSString).length)) != nil }
    }

    /// Blocks in SCardGetStatusChange (INFINITE) on `readers` and the PnP pseudo reader; returns
    /// the readers' new states.
    private func waitForChange(_ ctx: SCARDCONTEXT, readers: [(name: String, state: DWORD)], pnp: inout DWORD) -> Result<[DWORD], Exit> {
        let names = readers.map { strdup($0.name) } + [strdup("\\\\?PnP?\\Notification")]
        defer { for n in names { free(n) } }
        if stopping { return .failure(.stopped) }
        var states = names.enumerated().map { i, n in
            var s = SCARD_READERSTATE()
            s.szReader = UnsafePointer(n)
            s.dwCurrentState = i < readers.count ? readers[i].state : pnp
            return s
        }
        let rc = SCardGetStatusChange(ctx, cpcsc_INFINITE, &states, DWORD(states.count))
        if rc == cpcsc_SCARD_E_CANCELLED || stopping { return .failure(.stopped) }
        if rc == cpcsc_SCARD_E_UNKNOWN_READER || rc == cpcsc_SCARD_E_READER_UNAVAILABLE { return .failure(.lost("the reader was unplugged")) }
        guard rc == cpcsc_SCARD_S_SUCCESS else { return .failure(.lost("pcscd: \(Self.text(rc))")) }
        pnp = states[states.count - 1].dwEventState & ~DWORD(cpcsc_SCARD_STATE_CHANGED)
        return .success(states.dropLast().map { $0.dwEventState })
    }

    /// Waits for cards on the reader and reads each once, until the reader goes away.
    private func watch(_ ctx: SCARDCONTEXT, readerName: String, pnp: inout DWORD) -> Exit {
        var state = DWORD(cpcsc_SCARD_STATE_UNAWARE)
        var cardPresent = false
        while true {
            let result = waitForChange(ctx, readers: [(readerName, state)], pnp: &pnp)
            let placed = ContinuousClock.now
            guard case .success(let events) = result else {
                if case .failure(let exit) = result { return exit }
                return .stopped
            }
            let event = events[0]
            if event & DWORD(cpcsc_SCARD_STATE_UNKNOWN | cpcsc_SCARD_STATE_IGNORE) != 0 { return .lost("the reader was unplugged") }
            state = event & ~DWORD(cpcsc_SCARD_STATE_CHANGED)
            let present = event & DWORD(cpcsc_SCARD_STATE_PRESENT) != 0 && event & DWORD(cpcsc_SCARD_STATE_MUTE) == 0
            defer { cardPresent = present }
            guard present, !cardPresent else { continue }
            if let result = readCard(ctx, readerName: readerName) {
                deliver(CardEvent(placed: placed, result: result))
            }
        }
    }

    /// Connects, reads and disconnects one card; nil when it was gone before the connect.
    private func readCard(_ ctx: SCARDCONTEXT, readerName: String) -> Result<NFCRead, NFCReadError>? {
        var handle: SCARDHANDLE = 0
        var proto = DWORD(0)
        let share = settings.exclusive ? cpcsc_SCARD_SHARE_EXCLUSIVE : cpcsc_SCARD_SHARE_SHARED
        let rc = SCardConnect(ctx, readerName, share, cpcsc_SCARD_PROTOCOL_T0 | cpcsc_SCARD_PROTOCOL_T1, &handle, &proto)
        if rc == cpcsc_SCARD_E_NO_SMARTCARD || rc == cpcsc_SCARD_W_REMOVED_CARD { return .failure(.tagRemoved) }
        guard rc == cpcsc_SCARD_S_SUCCESS else { return .failure(.communication("SCardConnect: \(Self.text(rc))")) }
        defer { SCardDisconnect(handle, cpcsc_SCARD_LEAVE_CARD) }
        let (src, atr) = Self.status(handle)
        if src == cpcsc_SCARD_W_REMOVED_CARD || src == cpcsc_SCARD_E_NO_SMARTCARD { return .failure(.tagRemoved) }
        guard src == cpcsc_SCARD_S_SUCCESS else { return .failure(.communication("SCardStatus: \(Self.text(src))")) }
        let channel = PCSCChannel(context: ctx, readerName: readerName, handle: handle, protocol: proto)
        defer { channel.wipe() }
        return reader.read(atr: atr, channel: channel, now: Date())
    }

    /// SCardStatus of a connected card: its return code and the card's ATR.
    static func status(_ handle: SCARDHANDLE) -> (rc: LONG, atr: [UInt8]) {
        var atr = [UInt8](repeating: 0, count: 33)
        var atrLength = DWORD(atr.count)
        var nameLength = DWORD(0)
        var state = DWORD(0)
        var proto = DWORD(0)
        let rc = SCardStatus(handle, nil, &nameLength, &state, &proto, &atr, &atrLength)
        return (rc, Array(atr.prefix(Int(min(atrLength, 33)))))
    }

    static func text(_ rc: LONG) -> String { String(cString: pcsc_stringify_error(rc)) }
}

/// `SCardTransmit` on a connected card. Its answer buffer is wiped after the read.
final class PCSCChannel: CardChannel {
    let context: SCARDCONTEXT
    let readerName: String
    let handle: SCARDHANDLE
    let pci: UnsafePointer<SCARD_IO_REQUEST>
    private var buffer = [UInt8](repeating: 0, count: 258 + 2)

    init(context: SCARDCONTEXT, readerName: String, handle: SCARDHANDLE, protocol proto: DWORD) {
        self.context = context
        self.readerName = readerName
        self.handle = handle
        self.pci = cpcsc_pci(proto)
    }

    /// After a failed exchange: the card's state as the reader sees it now, or within 500 ms
    /// (pcscd learns of a removal from the driver a moment later) — one bounded wait, not a poll.
    func isCardPresent() -> Bool {
        let rc = PCSCReader.status(handle).rc
        if rc == cpcsc_SCARD_W_REMOVED_CARD || rc == cpcsc_SCARD_E_NO_SMARTCARD || rc == cpcsc_SCARD_W_RESET_CARD { return false }
        let name = strdup(readerName)
        defer { free(name) }
        var reader = SCARD_READERSTATE()
        reader.szReader = UnsafePointer(name)
        reader.dwCurrentState = DWORD(cpcsc_SCARD_STATE_PRESENT)
        let wait = SCardGetStatusChange(context, 500, &reader, 1)
        if wait == cpcsc_SCARD_S_SUCCESS { return reader.dwEventState & DWORD(cpcsc_SCARD_STATE_PRESENT) != 0 }
        return true
    }

    func transmit(_ command: [UInt8]) throws(ChannelError) -> [UInt8] {
        var length = DWORD(buffer.count)
        let rc = SCardTransmit(handle, pci, command, DWORD(command.count), nil, &buffer, &length)
        if rc == cpcsc_SCARD_W_REMOVED_CARD || rc == cpcsc_SCARD_E_NO_SMARTCARD || rc == cpcsc_SCARD_W_RESET_CARD
            || rc == cpcsc_SCARD_W_UNRESPONSIVE_CARD || rc == cpcsc_SCARD_E_INVALID_HANDLE {
            throw .removed
        }
        guard rc == cpcsc_SCARD_S_SUCCESS else { throw .failed("SCardTransmit: \(PCSCReader.text(rc))") }
        return Array(buffer.prefix(Int(length)))
    }

    func wipe() {
        for i in buffer.indices { buffer[i] = 0 }
    }
}
