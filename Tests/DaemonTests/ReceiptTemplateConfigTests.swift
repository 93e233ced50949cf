import ESCPOS
import Foundation
import Testing
import TestSupport

@testable import Daemon

extension DaemonConfigTests {
    /// `receipts.templates.<kind>`: a shop's template file per kind, read and checked at load;
    /// the built-in templates for the kinds it does not give.
    @Test func receiptTemplatesAreReadAndCheckedAtLoad() async throws {
        let dir = try TemporaryDirectory()
        try "center: {{shop.name}}\nrow: {{labels.held}} | {{amount}}\n".write(toFile: dir.file("hold.receipt"), atomically: true, encoding: .utf8)
        let config = try await load("receipts:\n  templates:\n    hold: \(dir.file("hold.receipt"))\n")
        #expect(config.receiptTemplates.hold.source.hasPrefix("center: {{shop.name}}"))
        #expect(config.receiptTemplates.balance.source == ReceiptTemplate.builtInSource(.balance))
        #expect(try await load(nil).receiptTemplates.transaction.source == ReceiptTemplate.builtInSource(.transaction))
        // From the environment, like every key.
        let env = try await load(nil, env: ["GIFTBRIDGE_RECEIPTS_TEMPLATES_HOLD": dir.file("hold.receipt")])
        #expect(env.receiptTemplates.hold.source.hasPrefix("center:"))

        try "left: {{amount}}\n".write(toFile: dir.file("balance.receipt"), atomically: true, encoding: .utf8)
        let wrongKind = await error("receipts:\n  templates:\n    balance: \(dir.file("balance.receipt"))\n")
        #expect(wrongKind?.key == "receipts.templates.balance")
        #expect(wrongKind?.message.hasPrefix("\(dir.file("balance.receipt")) line 1, column 7: unknown placeholder 'amount'") == true, "\(String(describing: wrongKind))")
        #expect(await error("receipts:\n  templates:\n    hold: hold.receipt\n")?.message == "'hold.receipt' is not an absolute path")
        #expect(await error("receipts:\n  templates:\n    menu: /x\n")?.key == "receipts.templates.menu")
    }
}
