import AsyncWake
import ESCPOS
import Foundation
import Ledger
import LocalAPI
import Logging
import ServiceLifecycle

/// Releases unconfirmed holds when their time is up, with no client action. It sleeps until the
/// earliest open hold expires, or until a new hold is reserved (which may expire sooner): no
/// polling.
final class HoldExpiryService: Service, Sendable {
    private let ledger: any LedgerStore
    private let events: EventBus
    private let logger: Logger
    private let locale: ReceiptLocale
    private let signal = WakeSignal()

    init(ledger: any LedgerStore, events: EventBus, logger: Logger, locale: ReceiptLocale = .default) {
        self.ledger = ledger
        self.locale = locale
        self.events = events
        self.logger = logger
    }

    /// A hold was reserved: look again at when to wake.
    func reschedule() { signal.fire() }

    func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do {
                    for hold in try await ledger.releaseExpiredHolds() {
                        events.publish("hold.expired", DaemonBackend.holdReply(hold, locale: locale))
                        logger.info("hold released unconfirmed", metadata: ["hold": "\(hold.id)", "card": "\(hold.maskedCardNumber)"])
                    }
                    let next = try await ledger.nextHoldExpiry()
                    await signal.wait(until: next)
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("cannot release expired holds; trying again in 10 s", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: .seconds(10))
                }
            }
        }
    }
}
