import Devices
import Dispatch
import ESCPOS
import Foundation
import LocalAPI
import Logging
import ServiceLifecycle
import Synchronization

/// Sends receipts to the configured printer in order, one at a time. A job that cannot be
/// delivered (printer unreachable, cable pulled) stays at the head of the queue and is retried
/// with back-off (1 s doubling to 30 s), so no receipt is lost while the daemon runs. (The queue
/// is in memory; surviving restarts is the printing issue's durable queue.)
public final class PrintSpooler: Service, Sendable {
    public struct Job: Sendable {
        public let id: Int
        public let kind: String
        public let bytes: [UInt8]
    }

    private struct State {
        var queue: [Job] = []
        var nextId = 1
        var printed = 0
        var lastError: String?
        var printing = false
    }

    public static let capacity = 200

    public let printerId = "receipt"
    public let config: PrinterConfig
    private let transport: any PrinterTransport
    private let events: EventBus
    private let logger: Logger
    private let state = Mutex(State())
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let io = DispatchQueue(label: "giftbridge.printer")

    public init(config: PrinterConfig, events: EventBus, logger: Logger) {
        self.config = config
        self.transport = config.target.transport(connectTimeoutMs: config.connectTimeoutMs)
        self.events = events
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    struct QueuedEvent: Encodable { var printer: String; var jobId: Int; var kind: String; var bytes: Int; var queued: Int }
    struct DoneEvent: Encodable { var printer: String; var jobId: Int; var kind: String }
    struct FailedEvent: Encodable { var printer: String; var jobId: Int; var error: String; var retryInSeconds: Int; var queued: Int }

    /// Queues a job; nil when the queue is full (the caller reports it).
    public func submit(_ bytes: [UInt8], kind: String) -> Int? {
        let job: Job? = state.withLock { s in
            guard s.queue.count < Self.capacity else { return nil }
            let job = Job(id: s.nextId, kind: kind, bytes: bytes)
            s.nextId += 1
            s.queue.append(job)
            return job
        }
        guard let job else { return nil }
        events.publish("print.queued", QueuedEvent(printer: printerId, jobId: job.id, kind: kind, bytes: bytes.count, queued: queued))
        wake.yield()
        return job.id
    }

    public var queued: Int { state.withLock { $0.queue.count } }

    public var info: PrinterInfo {
        state.withLock { s in
            PrinterInfo(
                id: printerId, target: config.target.description, profile: config.profile.name,
                state: s.lastError != nil ? "failing" : (s.printing ? "printing" : "ready"),
                queued: s.queue.count, printed: s.printed, lastError: s.lastError)
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakes {
                await drain()
            }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
        let left = queued
        if left > 0 { logger.warning("stopping with \(left) receipt(s) not printed", metadata: ["printer": "\(config.target)"]) }
    }

    private func drain() async {
        var backoff = 1
        while let job = state.withLock({ s -> Job? in
            s.printing = !s.queue.isEmpty
            return s.queue.first
        }) {
            let result: Result<Void, SystemError> = await withCheckedContinuation { continuation in
                io.async { [transport] in
                    do throws(SystemError) {
                        try transport.send(job.bytes)
                        continuation.resume(returning: .success(()))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
            switch result {
            case .success:
                state.withLock { s in
                    s.queue.removeFirst()
                    s.printed += 1
                    s.lastError = nil
                }
                backoff = 1
                events.publish("print.done", DoneEvent(printer: printerId, jobId: job.id, kind: job.kind))
            case .failure(let error):
                state.withLock { $0.lastError = error.description }
                logger.error("printer unreachable; receipt kept for retry", metadata: ["printer": "\(config.target)", "job": "\(job.id)", "error": "\(error)"])
                events.publish("print.failed", FailedEvent(printer: printerId, jobId: job.id, error: error.description, retryInSeconds: backoff, queued: queued))
                do {
                    try await cancelWhenGracefulShutdown { [backoff] in try await Task.sleep(for: .seconds(backoff)) }
                } catch {
                    return
                }
                backoff = min(backoff * 2, 30)
            }
        }
        state.withLock { $0.printing = false }
    }
}
