import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// `GET /metrics`: Prometheus text with reads per reader, ledger operations by result with
/// their latency, print attempts and queue depth — and no card data.
@Suite struct MetricsTests {
    @Test func countersFollowWhatHappened() throws {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        // A swipe on the simulated reader (balance + receipt), an unreadable read, a redeem,
        // and a refused redeem.
        #expect(try client.post("/v1/simulate/swipe", json: Array(#"{"text":";6035710000000000=49121200?"}"#.utf8)).status == 202)
        #expect(try client.post("/v1/simulate/swipe", json: Array(#"{"text":";12?"}"#.utf8)).status == 202)
        let card = #"{"printedCardNumber":"6035710000000000"}"#
        #expect(try client.post("/v1/gift/redeem", json: Array(#"{"cardInfo":\#(card),"amount":500}"#.utf8)).status == 200)
        #expect(try client.post("/v1/gift/redeem", json: Array(#"{"cardInfo":\#(card),"amount":5000}"#.utf8)).status != 200)

        let reply = try client.get("/metrics")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = reply.text
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(value(#"giftbridge_reads_total{reader="simulated",result="ok"}"#) == 1, "\(text)")
        #expect(value(#"giftbridge_reads_total{reader="simulated",result="error"}"#) == 1, "\(text)")
        #expect(value(#"giftbridge_ledger_operations_total{operation="redeem",result="ok"}"#) == 1, "\(text)")
        #expect(text.contains(#"giftbridge_ledger_operations_total{operation="redeem",result="insufficient_funds"} 1"#), "\(text)")
        #expect(value(#"giftbridge_ledger_operations_total{operation="balance",result="ok"}"#) == 1, "\(text)")
        #expect(value(#"giftbridge_ledger_operation_duration_seconds_count{operation="redeem"}"#) == 2, "\(text)")
        #expect(text.contains(#"giftbridge_ledger_operation_duration_seconds_bucket{operation="redeem",le="0.005"}"#))
        #expect(value(#"giftbridge_print_queue_depth{printer="receipt"}"#) != nil, "\(text)")
        #expect(value("giftbridge_event_subscribers") == 0, "\(text)")
        #expect(!text.contains("6035710000000000") && !text.contains("603571******"))
        #expect(try daemon.terminate().status == 0)
    }
}
