import Foundation
import Testing

import AsyncWake

/// The wake-up that ends a hold-expiry wait and cuts a printer back-off short when udev says
/// the printer is back.
@Suite struct WakeSignalTests {
    @Test func aFireEndsTheWaitAndAnEarlyFireIsKept() async {
        let signal = WakeSignal()
        let far = Date().addingTimeInterval(3600)
        // Fired before anyone waits: the next wait returns at once.
        signal.fire()
        await signal.wait(until: far)
        // Fired while waiting: the waiter wakes.
        let woke = Task { await signal.wait(until: far); return true }
        try? await Task.sleep(for: .milliseconds(50))
        signal.fire()
        #expect(await woke.value)
    }

    @Test func theDeadlineOrCancellationEndsAWait() async {
        let signal = WakeSignal()
        let start = ContinuousClock.now
        await signal.wait(until: Date().addingTimeInterval(0.1))
        #expect(ContinuousClock.now - start >= .milliseconds(90))
        let waiting = Task { await signal.wait(until: Date().addingTimeInterval(3600)) }
        try? await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await waiting.value
    }
}
