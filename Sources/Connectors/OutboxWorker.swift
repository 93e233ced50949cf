import ConnectorCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Reverses what the outbox holds, with back-off, until each provider confirms; at start it
/// turns requests that were in flight when the daemon stopped into reversals. Between passes it
/// sleeps until the next reversal is due or a request leaves one (``OutboxStore/reversalLeft``):
/// an empty outbox costs no wake-ups.
public struct OutboxWorker: Service {
    let ledger: any RemoteLedger
    let logger: Logger
    private let counter = PassCounter()

    public init(ledger: any RemoteLedger, logger: Logger) {
        self.ledger = ledger
        self.logger = logger
    }

    /// Passes over the outbox so far (tests: proof that it sleeps).
    public var passes: Int { counter.value.load(ordering: .relaxed) }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await runOnce()
                let next: Date?
                do { next = try ledger.outbox.nextDue(provider: ledger.provider) } catch {
                    logger.error("outbox unreadable; looking again in 10 s", metadata: ["error": "\(error)"])
                    next = Date().addingTimeInterval(10)
                }
                await ledger.outbox.reversalLeft.wait(until: next)
            }
        }
    }

    /// One pass over the due reversals; returns how many were confirmed.
    @discardableResult
    public func runOnce(now: Date = Date()) async -> Int {
        counter.value.add(1, ordering: .relaxed)
        let outbox = ledger.outbox
        let due: [OutboxEntry]
        do { due = try outbox.claimDue(provider: ledger.provider, now: now) } catch {
            logger.error("outbox unreadable", metadata: ["error": "\(error)"])
            return 0
        }
        var confirmed = 0
        for entry in due {
            defer { outbox.release(entry.id) }
            let outcome = await ledger.resolve(entry)
            let next = Outbox.afterReversal(entry, outcome, now: Date())
            do { try outbox.update(next) } catch { logger.error("outbox write failed", metadata: ["error": "\(error)"]) }
            let meta: Logger.Metadata = [
                "provider": "\(entry.provider)", "operation": "\(entry.operation)", "external_id": "\(entry.externalId)",
                "card": "\(entry.maskedCardNumber ?? "-")", "attempts": "\(next.attempts)",
            ]
            switch next.state {
            case .reversed:
                confirmed += 1
                logger.notice("outbox: reversal confirmed", metadata: meta)
            case .stuck: logger.error("outbox: the provider refused the reversal; a person must look", metadata: meta.merging(["why": "\(next.lastError ?? "")"]) { $1 })
            default: logger.warning("outbox: reversal not confirmed yet", metadata: meta.merging(["why": "\(next.lastError ?? "")"]) { $1 })
            }
        }
        return confirmed
    }
}

private final class PassCounter: Sendable {
    let value = Atomic<Int>(0)
}
