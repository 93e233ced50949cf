import AsyncWake
import Devices
import Dispatch
import ESCPOS
import Foundation
import LocalAPI
import Logging
import PrintQueue
import ServiceLifecycle
import Synchronization

/// Sends jobs from the durable print queue to the configured printer, oldest first, one at a
/// time. A job leaves the queue only when the printer took it and reported itself fine
/// afterwards (DLE EOT; printers that cannot report are trusted once the bytes are out). A
/// printer fault (paper out, cover open) holds the queue: nothing is sent, the status is asked
/// every 2 s, and the queue resumes by itself when the fault clears; a job interrupted by a
/// fault is sent again whole. An unreachable printer is retried with back-off (1 s doubling to
/// 30 s). Jobs survive restarts: they are in `print-queue.sqlite` from the moment `submit`
/// returns.
public final class PrintSpooler: Service, Sendable {
    private struct State {
        var printed = 0
        var lastError: String?
        var printing = false
        var status: PrinterStatus?
        /// The fault holding the queue, if any.
        var held: String?
        /// The printer has answered DLE EOT: from now on a job waits for its answer.
        var answersStatus = false
        /// The cash drawer as its sensor last read (nil: not read yet, or the printer cannot).
        var drawerOpen: Bool?
    }

    public let printerId = "receipt"
    public let config: PrinterConfig
    private let worker: PrinterWorker
    private let store: PrintJobStore
    private let events: EventBus
    private let logger: Logger
    private let state = Mutex(State())
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let io = DispatchQueue(label: "giftbridge.printer")
    /// Cuts a back-off or fault wait short (the printer was plugged in).
    private let nudge = WakeSignal()
    static let faultPollSeconds = 2
    /// Wakes the drawer watch after a kick.
    private let drawerWakes: AsyncStream<Void>
    private let drawerWake: AsyncStream<Void>.Continuation
    /// After a kick the drawer's sensor is read this often until the drawer is shut again, for
    /// at most ``drawerWatchLimitSeconds``; otherwise it is read only with jobs, so nothing is
    /// asked while nothing happens (a printer with no drawer may read "open" for ever).
    static let drawerPollSeconds = 1
    static let drawerWatchLimitSeconds = 600

    public init(config: PrinterConfig, store: PrintJobStore, events: EventBus, logger: Logger) {
        self.config = config
        self.worker = PrinterWorker(transport: config.target.transport(connectTimeoutMs: config.connectTimeoutMs))
        self.store = store
        self.events = events
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (drawerWakes, drawerWake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake.yield()  // jobs left from the last run go out first
    }

    struct QueuedEvent: Encodable { var printer: String; var jobId: Int; var kind: String; var bytes: Int; var queued: Int }
    struct DoneEvent: Encodable { var printer: String; var jobId: Int; var kind: String }
    struct HeldEvent: Encodable { var printer: String; var jobId: Int; var problem: String; var message: String; var queued: Int }
    struct FailedEvent: Encodable { var printer: String; var jobId: Int; var error: String; var retryInSeconds: Int; var queued: Int }

    /// Queues a job durably; nil when it could not be stored (the caller reports it).
    public func submit(_ bytes: [UInt8], kind: String) -> Int? {
        let job: PrintJob
        do {
            job = try store.enqueue(printer: printerId, kind: kind, bytes: bytes)
        } catch {
            logger.error("print queue not writable; job dropped", metadata: ["error": "\(error)"])
            return nil
        }
        events.publish("print.queued", QueuedEvent(printer: printerId, jobId: Int(job.id), kind: kind, bytes: bytes.count, queued: queued))
        wake.yield()
        return Int(job.id)
    }

    public var queued: Int { (try? store.pendingCount(printer: printerId)) ?? 0 }

    public func job(id: Int) -> PrintJob? { try? store.job(id: Int64(id)) }

    /// Cancels a queued job (one being printed right now may still come out).
    public func cancel(id: Int) -> Bool { (try? store.cancel(id: Int64(id))) ?? false }

    public var info: PrinterInfo {
        let queued = self.queued
        let identity = worker.deviceID
        return state.withLock { s in
            let stateText = s.held != nil ? "held" : s.lastError != nil ? "failing" : (s.printing ? "printing" : "ready")
            return PrinterInfo(
                id: printerId, target: config.target.description, profile: config.profile.name,
                state: stateText, queued: queued, printed: s.printed, lastError: s.held ?? s.lastError,
                status: s.status.map(Self.statusInfo), manufacturer: identity?.manufacturer, model: identity?.model,
                drawer: drawerInfo(s))
        }
    }

    private func drawerInfo(_ s: State) -> DrawerInfo {
        DrawerInfo(
            state: s.drawerOpen.map { $0 ? "open" : "closed" } ?? "unknown", pin: config.drawer.pin,
            openWhen: config.drawer.openWhenHigh ? "high" : "low")
    }

    static func statusInfo(_ s: PrinterStatus) -> PrinterStatusInfo {
        PrinterStatusInfo(
            problem: s.problem, summary: s.summary, paperNearEnd: s.paperNearEnd, paperOut: s.paperOut || s.paperOutStop,
            coverOpen: s.coverOpen, offline: s.offline)
    }

    public func run() async throws {
        let presence = watchPresence()
        defer { presence?.stop() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { [self] in
                    for await _ in drawerWakes { await watchDrawer() }
                }
                for await _ in wakes {
                    await drain()
                }
            }
        } onGracefulShutdown: { [wake, drawerWake] in
            wake.finish()
            drawerWake.finish()
        }
        let left = queued
        if left > 0 { logger.warning("stopping with \(left) job(s) queued; they print after the restart", metadata: ["printer": "\(config.target)"]) }
    }

    private func onIO<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            io.async { continuation.resume(returning: body()) }
        }
    }

    /// Records a status reply and announces a change: of the printer (`printer.status`) and of
    /// its drawer (`drawer.opened`, `drawer.closed`). A drawer seen open is watched until it shuts.
    private func note(_ status: PrinterStatus?) {
        guard let status else { return }
        let plain = status.withoutDrawer
        let open = config.drawer.isOpen(status)
        let (changed, drawerChange) = state.withLock { s -> (Bool, Bool?) in
            s.answersStatus = true
            let changed = s.status != plain
            s.status = plain
            guard let open, s.drawerOpen != open else { return (changed, nil) }
            // The first read is a state, not an event.
            defer { s.drawerOpen = open }
            return (changed, s.drawerOpen == nil ? nil : open)
        }
        if changed { events.publish("printer.status", PrinterStatusEvent(printer: printerId, status: Self.statusInfo(plain))) }
        if let drawerChange {
            events.publish(drawerChange ? "drawer.opened" : "drawer.closed", DrawerEvent(printer: printerId, state: drawerChange ? "open" : "closed"))
            logger.info(drawerChange ? "cash drawer opened" : "cash drawer closed", metadata: ["printer": "\(config.target)"])
        }
    }

    struct PrinterStatusEvent: Encodable { var printer: String; var status: PrinterStatusInfo }
    struct DrawerEvent: Encodable { var printer: String; var state: String }

    /// Kicks the drawer open (`ESC p` with the configured pin and pulse), unless a printer fault
    /// holds the queue: the kick would wait behind the fault and open the drawer at some later,
    /// unexpected moment. The kick goes between jobs, never into one.
    public func openDrawer() async throws(APIError) -> DrawerInfo {
        if let held = state.withLock({ $0.held }) {
            throw APIError(.conflict, "printer_held", "the printer is held (\(held)); the drawer can be opened once the fault clears")
        }
        let requireStatus = state.withLock { $0.answersStatus }
        let kick = config.drawer.kick
        let outcome = await onIO { [worker] in worker.print(kick, requireStatus: requireStatus) }
        switch outcome {
        case .printed(let status):
            logger.notice("cash drawer kicked", metadata: ["printer": "\(config.target)", "pin": "\(config.drawer.pin)", "peer": "\(APIPeer.current?.description ?? "-")"])
            if status != nil {
                // Shut before the kick: its opening is an event even when the read just after
                // the kick is the printer's first (a printer without status stays `unknown`).
                state.withLock { s in if s.drawerOpen == nil { s.drawerOpen = false } }
                note(status)
                drawerWake.yield()
            }
        case .held(let status), .interrupted(let status):
            note(status)
            throw APIError(.conflict, "printer_held", "the printer is held (\(status.problem ?? "printer_error")); the drawer was not kicked")
        case .unreachable(let error):
            state.withLock { $0.lastError = error }
            throw APIError(.serviceUnavailable, "printer_unreachable", "the printer could not be reached; the drawer was not kicked: \(error)")
        }
        return state.withLock { drawerInfo($0) }
    }

    /// After a kick: reads the drawer sensor every second until the drawer has been open and is
    /// shut again, after three closed reads without an open one (it did not open), when the
    /// printer stops answering, or after ``drawerWatchLimitSeconds`` (left open, or
    /// `printer.drawer.open-when` is the wrong way round for this drawer).
    private func watchDrawer() async {
        var sawOpen = state.withLock { $0.drawerOpen == true }
        var closedReads = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(Self.drawerWatchLimitSeconds))
        while sawOpen ? closedReads == 0 : closedReads < 3 {
            guard ContinuousClock.now < deadline else {
                logger.notice("the cash drawer still reads open; it is read again with the next job", metadata: [
                    "printer": "\(config.target)", "open-when": "\(config.drawer.openWhenHigh ? "high" : "low")",
                ])
                return
            }
            guard await sleep(seconds: Self.drawerPollSeconds) else { return }
            let result = await onIO { [worker] in worker.status() }
            guard case .success(let status?) = result, let open = config.drawer.isOpen(status) else { return }
            note(status)
            if open { (sawOpen, closedReads) = (true, 0) } else { closedReads += 1 }
        }
    }

    /// Waits `seconds`, or less when the printer is plugged in meanwhile; false on shutdown.
    private func sleep(seconds: Int) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { [nudge] in
                await nudge.wait(until: Date().addingTimeInterval(TimeInterval(seconds)))
                try Task.checkCancellation()
            }
            return true
        } catch {
            return false
        }
    }

    struct PresenceEvent: Encodable { var printer: String; var target: String; var node: String? }

    /// For a printer that can be plugged (USB, serial, a device node): udev's add and remove
    /// events become `device.added` / `device.removed`, and a printer that comes back is tried
    /// at once instead of after the back-off. Nil for network and file targets, or without udev.
    private func watchPresence() -> UdevMonitor? {
        let target = config.target
        let subsystems = target.hotPlugSubsystems
        guard !subsystems.isEmpty else { return nil }
        let monitor: UdevMonitor
        do { monitor = try UdevMonitor(subsystems: subsystems) } catch {
            logger.notice("no udev monitor for the printer; it is retried with back-off", metadata: ["error": "\(error)"])
            return nil
        }
        let node = Mutex<String?>(target.currentNode)
        monitor.start { [self] event in
            guard event.action == "add" || event.action == "remove" else { return }
            guard target.isConcerned(by: event, resolvedNode: node.withLock { $0 }) else { return }
            if event.action == "add" {
                // The configured link may point to the new node only once udev made it.
                if let now = target.currentNode { node.withLock { $0 = now } }
                state.withLock { $0.lastError = nil }
                events.publish("device.added", PresenceEvent(printer: printerId, target: target.description, node: event.devnode))
                logger.info("printer plugged in", metadata: ["printer": "\(target)", "node": "\(event.devnode ?? "-")"])
                nudge.fire()
                wake.yield()
            } else {
                state.withLock { $0.lastError = "the printer was unplugged" }
                events.publish("device.removed", PresenceEvent(printer: printerId, target: target.description, node: event.devnode))
                logger.warning("printer unplugged", metadata: ["printer": "\(target)", "node": "\(event.devnode ?? "-")"])
            }
        }
        return monitor
    }

    private func drain() async {
        var backoff = 1
        while true {
            let next: PrintJob?
            do { next = try store.next(printer: printerId) } catch {
                logger.error("print queue unreadable", metadata: ["error": "\(error)"])
                return
            }
            guard let job = next else { break }
            state.withLock { $0.printing = true }
            let requireStatus = state.withLock { $0.answersStatus }
            let outcome = await onIO { [worker] in worker.print(job.bytes, requireStatus: requireStatus) }
            DaemonMetrics.printAttempt(printer: printerId, outcome: outcome.label)
            switch outcome {
            case .printed(let status):
                note(status)
                do { try store.markDone(id: job.id) } catch {
                    logger.error("printed job could not be marked done; it may print twice", metadata: ["job": "\(job.id)", "error": "\(error)"])
                }
                state.withLock { s in
                    s.printed += 1
                    s.lastError = nil
                    s.held = nil
                }
                backoff = 1
                events.publish("print.done", DoneEvent(printer: printerId, jobId: Int(job.id), kind: job.kind))
            case .held(let status), .interrupted(let status):
                note(status)
                let problem = status.problem ?? "printer_error"
                try? store.recordAttempt(id: job.id, error: problem)
                state.withLock { $0.held = problem }
                let interrupted = if case .interrupted = outcome { true } else { false }
                logger.warning(interrupted ? "printer fault during a job; it prints again when the fault clears" : "printer fault; queue held", metadata: [
                    "printer": "\(config.target)", "job": "\(job.id)", "problem": "\(problem)",
                ])
                events.publish("print.held", HeldEvent(
                    printer: printerId, jobId: Int(job.id), problem: problem,
                    message: interrupted ? "\(status.summary) while printing; the job prints again when it clears" : "\(status.summary); the job waits", queued: queued))
                // Ask every few seconds until the printer is fine (or gone: then back-off below).
                while true {
                    guard await sleep(seconds: Self.faultPollSeconds) else { return }
                    let result = await onIO { [worker] in worker.status() }
                    guard case .success(let now) = result else { break }
                    note(now)
                    if now?.canPrint ?? true { break }
                }
                state.withLock { $0.held = nil }
            case .unreachable(let error):
                try? store.recordAttempt(id: job.id, error: error)
                state.withLock { $0.lastError = error }
                logger.error("printer unreachable; job kept for retry", metadata: ["printer": "\(config.target)", "job": "\(job.id)", "error": "\(error)"])
                events.publish("print.failed", FailedEvent(printer: printerId, jobId: Int(job.id), error: error, retryInSeconds: backoff, queued: queued))
                guard await sleep(seconds: backoff) else { return }
                backoff = min(backoff * 2, 30)
            }
        }
        state.withLock { $0.printing = false }
    }
}

extension PrintOutcome {
    /// A metric label.
    var label: String {
        switch self {
        case .printed: "printed"
        case .held: "held"
        case .interrupted: "interrupted"
        case .unreachable: "unreachable"
        }
    }
}
