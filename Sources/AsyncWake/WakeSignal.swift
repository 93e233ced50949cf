import Foundation
import Synchronization

/// Wakes one waiter, or the next one to wait if it fired while nobody waited.
public final class WakeSignal: Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    public func fire() {
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
    public func wait(until deadline: Date?) async {
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
