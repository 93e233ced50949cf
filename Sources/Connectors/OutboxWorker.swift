import ConnectorCore
import Foundation
import Logging
import ServiceLifecycle

/// Reverses what the outbox holds, with back-off, until each provider confirms; at start it
/// turns requests that were in flight when the daemon stopped into reversals.
public struct OutboxWorker: Service {
    let ledger: any RemoteLedger
    let logger: Logger
    /// How often the outbox is looked at when nothing is due sooner.
    let interval: Duration

    public init(ledger: any RemoteLedger, logger: Logger, interval: Duration = .seconds(1)) {
        self.ledger = ledger
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await runOnce()
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass over the due reversals; returns how many were confirmed.
    @discardableResult
    public func runOnce(now: Date = Date()) async -> Int {
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
