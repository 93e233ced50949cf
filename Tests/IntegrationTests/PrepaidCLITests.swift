import Foundation
import Testing
import TestSupport

/// The command line for prepaid balances, contacts, shops, print jobs and metrics, against the
/// real daemon: text by default, JSON with --json, exit 1 with the daemon's code on a refusal.
@Suite struct PrepaidCLITests {
    @Test func prepaidContactsShopsJobsAndMetrics() throws {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let socket = dir.file("s/api.sock")

        let shop = try runCLI(["shops", "add", "--uuid", "shop-7", "--name", "Corner Café"], socket: socket)
        #expect(shop.status == 0, "\(shop.stderr)")
        #expect(shop.stdout.contains("shop shop-7"))
        let contact = try runCLI(["contacts", "add", "--uuid", "c-7", "--identifier-name", "member", "--identifier-value", "M-0007"], socket: socket)
        #expect(contact.status == 0, "\(contact.stderr)")
        #expect(contact.stdout.contains("contact c-7"))

        let booked = try runCLI(["prepaid", "create", "--identifier", "M-0007", "--shop", "shop-7", "--amount", "12.50", "--json"], socket: socket)
        #expect(booked.status == 0, "\(booked.stderr)")
        let uuid = try #require(json(booked.stdout)["uuid"] as? String)
        let spent = try runCLI(["prepaid", "create", "--contact", "c-7", "--shop", "shop-7", "--amount=-2.50"], socket: socket)
        #expect(spent.status == 0, "\(spent.stderr)")
        #expect(spent.stdout.contains("10.00"))

        let balance = try runCLI(["prepaid", "balance", "c-7"], socket: socket)
        #expect(balance.stdout.contains("prepaid balance") && balance.stdout.contains("10.00"), "\(balance.stdout)")
        let list = try runCLI(["prepaid", "list", "--contact", "c-7"], socket: socket)
        #expect(list.stdout.contains(uuid))
        #expect(list.stdout.contains("2 in all"), "\(list.stdout)")

        // Spending more than the balance is refused: exit 1, the daemon's code on stderr.
        let refused = try runCLI(["prepaid", "create", "--contact", "c-7", "--shop", "shop-7", "--amount=-50.00"], socket: socket)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("["), "\(refused.stderr)")
        // Usage errors: 64.
        #expect(try runCLI(["prepaid", "create", "--shop", "shop-7", "--amount", "1.00"], socket: socket).status == 64)

        // A receipt job, shown and (already done or still queued) reported by state.
        let queued = try runCLI(["print", "--card", "6035710000000000", "--json"], socket: socket)
        let jobId = try #require(json(queued.stdout)["jobId"] as? Int)
        let job = try runCLI(["print-job", "show", "\(jobId)"], socket: socket)
        #expect(job.status == 0)
        #expect(job.stdout.contains("print job \(jobId)"))
        #expect(try runCLI(["print-job", "show", "999999"], socket: socket).status == 1)

        let metrics = try runCLI(["metrics"], socket: socket)
        #expect(metrics.status == 0)
        #expect(metrics.stdout.contains(#"giftbridge_ledger_operations_total{operation="prepaid_transaction",result="ok"} 2"#), "\(metrics.stdout)")
        #expect(try daemon.terminate().status == 0)
    }
}
