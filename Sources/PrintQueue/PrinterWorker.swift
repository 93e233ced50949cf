import Devices
import ESCPOS
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What happened to one attempt at printing a job.
public enum PrintOutcome: Sendable, Equatable {
    /// The printer took the job and reported itself fine afterwards (or cannot report: a one-way
    /// link, a file). `status` is nil when the printer gave none.
    case printed(status: PrinterStatus?)
    /// The printer reported a fault before the job was sent: nothing was sent.
    case held(PrinterStatus)
    /// The job was sent but the printer reported a fault right after (paper ran out, cover
    /// opened): the receipt may be cut short, so the job is sent again once the fault clears.
    case interrupted(PrinterStatus)
    /// The printer could not be reached or the link broke.
    case unreachable(String)
}

/// Prints one job at a time on a transport, checking the printer's real-time status (DLE EOT)
/// before and after where the link carries replies. Blocking; runs on the spooler's I/O queue.
public struct PrinterWorker: Sendable {
    public let transport: any PrinterTransport
    /// How long to wait for each status reply.
    public var statusTimeoutMs: Int32
    /// How long after the last byte the printer is asked how it is.
    public var settleMs: Int32

    /// Until when `DLE EOT` is not asked: a USB printer that left it unanswered and has a port
    /// status is not asked again for a minute (each unanswered query costs a status timeout,
    /// and its bytes go into the printer's data stream).
    private let silentUntil = SilentDeadline()

    final class SilentDeadline: Sendable {
        let value = Mutex<ContinuousClock.Instant?>(nil)
    }

    /// The IEEE 1284 device id the printer last reported (USB printers).
    public var deviceID: IEEE1284DeviceID? { identity.value.withLock { $0 } }
    private let identity = Identity()

    final class Identity: Sendable {
        let value = Mutex<IEEE1284DeviceID?>(nil)
    }

    private func noteIdentity(_ c: PrinterConnection) {
        guard let text = c.deviceID() else { return }
        identity.value.withLock { $0 = IEEE1284DeviceID(text) }
    }

    public init(transport: any PrinterTransport, statusTimeoutMs: Int32 = 1000, settleMs: Int32 = 300) {
        self.transport = transport
        self.statusTimeoutMs = statusTimeoutMs
        self.settleMs = settleMs
    }

    /// The printer's status now; nil when it does not report one.
    public func status() -> Result<PrinterStatus?, SystemError> {
        do throws(SystemError) {
            let c = try transport.connect()
            defer { c.close() }
            noteIdentity(c)
            return .success(try read(c))
        } catch {
            return .failure(error)
        }
    }

    /// `DLE EOT` where the printer answers it, with a USB printer's port status (paper empty)
    /// folded in; the port status alone for a USB printer that does not answer `DLE EOT`.
    private func read(_ c: PrinterConnection) throws(SystemError) -> PrinterStatus? {
        let port = c.portStatus()
        var status: PrinterStatus?
        let now = ContinuousClock.now
        let ask = port == nil || silentUntil.value.withLock { until in until.map { now >= $0 } ?? true }
        if ask, let replies = try c.status(timeoutMs: statusTimeoutMs) {
            // Not status bytes (a printer that echoes, or a wrong device): treat as "no status".
            status = try? PrinterStatus.parse(replies)
        }
        if ask && port != nil {
            silentUntil.value.withLock { $0 = status == nil ? now.advanced(by: .seconds(60)) : nil }
        }
        guard let port else { return status }
        guard var status else { return PrinterStatus(portStatus: port) }
        status.merge(portStatus: port)
        return status
    }

    /// Prints `bytes`. With `requireStatus` (the printer has answered status queries before),
    /// a printer that does not answer now is not trusted with the job: it is reported
    /// unreachable and the job waits, rather than going into a printer that may be stopped.
    public func print(_ bytes: [UInt8], requireStatus: Bool = false) -> PrintOutcome {
        do throws(SystemError) {
            let c = try transport.connect()
            defer { c.close() }
            noteIdentity(c)
            let before = try read(c)
            if before == nil && requireStatus && c.canRead {
                return .unreachable("\(transport.description): no status reply (it answered before); the job waits")
            }
            if let before, !before.canPrint { return .held(before) }
            try c.write(bytes)
            try c.finish()
            guard before != nil else { return .printed(status: nil) }
            if settleMs > 0 { usleep(useconds_t(settleMs) * 1000) }
            guard let after = try read(c) else {
                // It answered before the job and not after: the link or the printer went away.
                return .unreachable("\(transport.description): no status reply after the job")
            }
            return after.canPrint ? .printed(status: after) : .interrupted(after)
        } catch {
            return .unreachable(error.description)
        }
    }
}
