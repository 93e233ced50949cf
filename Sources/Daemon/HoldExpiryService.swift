import Foundation
import Ledger
import LocalAPI
import Logging
import ServiceLifecycle
import Synchronization

/// Releases unconfirmed holds when their time is up, with no client action. It sleeps until the
/// earliest open hold expires, or until a new hold is reserved (which may expire sooner): no
/// polling.
final class HoldExpiryService: Service, Sendable {
    private let ledger: any LedgerStore
    private let events: EventBus
    private let logger: Logger
    private let signal = WakeSignal()

    init(ledger: any LedgerStore, events: EventBus, logger: Logger) {
        self.ledger = ledger
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
                        events.publish("hold.expired", DaemonBackend.holdReply(hold))
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

/// Wakes one waiter, or the next one to wait if it fired while nobody waited.
final class WakeSignal: Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func fire() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.fired = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when fired, at `deadline` (if any), or when the task is cancelled.
    func wait(until deadline: Date?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForFire() }
            if let deadline {
                group.addTask { try? await Task.sleep(for: .seconds(max(0, deadline.timeIntervalSinceNow) + 0.001)) }
            }
            await group.next()
            group.cancelAll()
            self.fire()  // frees the waiter if the timer won
            await group.waitForAll()
            self.state.withLock { $0.fired = false }
        }
    }

    private func waitForFire() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.fired {
                        s.fired = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            self.fire()
        }
    }
}
