import Foundation
import Testing

@testable import Daemon

/// The wake-up that cuts a printer back-off short when udev says the printer is back.
@Suite struct NudgeTests {
    @Test func aFireEndsTheWaitAndAnEarlyFireIsKept() async {
        let nudge = Nudge()
        // Fired before anyone waits: the next wait returns at once.
        nudge.fire()
        await nudge.wait()
        // Fired while waiting: the waiter wakes.
        let woke = Task { await nudge.wait(); return true }
        try? await Task.sleep(for: .milliseconds(50))
        nudge.fire()
        #expect(await woke.value)
    }

    @Test func cancellingAWaitEndsIt() async {
        let nudge = Nudge()
        let waiting = Task { await nudge.wait() }
        try? await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await waiting.value
        // Already cancelled before it waits: returns too.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await nudge.wait()
        }
        await early.value
    }
}
