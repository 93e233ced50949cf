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

    /// A simulated read may name any reader; the metrics label only configured reader ids, so
    /// a client cannot grow them with new names.
    @Test func simulatedReaderNamesDoNotBecomeSeries() throws {
        let dir = try TemporaryDirectory()
        try "swipe:\n  action: none\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        for i in 0..<200 {
            let text = i % 2 == 0 ? ";6035710000000000=49121200?" : ";12?"
            #expect(try client.post("/v1/simulate/swipe", json: Array(#"{"text":"\#(text)","reader":"made-up-\#(i)"}"#.utf8)).status == 202)
        }
        let text = try client.get("/metrics").text
        let reads = text.split(separator: "\n").filter { $0.hasPrefix("giftbridge_reads_total{") }
        #expect(reads.map { $0.split(separator: " ").first ?? "" }.sorted() == [
            #"giftbridge_reads_total{reader="simulated",result="error"}"#,
            #"giftbridge_reads_total{reader="simulated",result="ok"}"#,
        ], "\(reads)")
        #expect(reads.allSatisfy { Double($0.split(separator: " ").last ?? "") == 100 }, "\(reads)")
        #expect(!text.contains("made-up-"))
        #expect(text.utf8.count < 16 * 1024, "\(text.utf8.count) bytes of metrics")
        #expect(try daemon.terminate().status == 0)
    }
}
