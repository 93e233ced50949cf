import Foundation
import Logging
import ServiceLifecycle

/// Sends `WATCHDOG=1` to systemd every half `WatchdogSec=` while the daemon's tasks still run,
/// so that a hung daemon is restarted. Off unless systemd set `WATCHDOG_USEC` (for this process,
/// when `WATCHDOG_PID` is given).
struct WatchdogService: Service {
    let interval: Duration?
    let notifier: SystemdNotifier

    init(environment: [String: String], notifier: SystemdNotifier) {
        self.notifier = notifier
        var interval: Duration?
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0 {
            let pidMatches = environment["WATCHDOG_PID"].flatMap(Int32.init).map { $0 == getpid() } ?? true
            if pidMatches { interval = .microseconds(usec / 2) }
        }
        self.interval = interval
    }

    func run() async throws {
        guard let interval else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                notifier.notify("WATCHDOG=1")
                try await Task.sleep(for: interval)
            }
        }
    }
}
