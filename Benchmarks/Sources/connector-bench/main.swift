#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import CardReading
import ConnectorCore
import ConnectorSimulators
import Connectors
import Foundation
import GiftbridgeClient
import Ledger
import NIOCore

/// Latency the daemon adds over the provider's own answer time, against the Paytronix simulator
/// on loopback: (1) the simulator asked directly, (2) through the connector in process (outbox
/// write included), (3) through giftbridged's Unix socket. Prints a table.
@main
struct ConnectorBench {
    static let iterations = Int(ProcessInfo.processInfo.environment["BENCH_ITERATIONS"] ?? "") ?? 300

    static func percentile(_ samples: [Double], _ p: Double) -> Double {
        let s = samples.sorted()
        return s[min(s.count - 1, Int(Double(s.count - 1) * p))]
    }

    static func measure(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void) async rethrows -> [Double] {
        for _ in 0..<20 { try await body() }  // warm-up: connections, caches
        var samples: [Double] = []
        for _ in 0..<iterations {
            let t = ContinuousClock.now
            try await body()
            let d = ContinuousClock.now - t
            samples.append(Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12)
        }
        return samples
    }

    static func main() async throws {
        let sim = try await PaytronixSimulator()
        let number = "6035710000009999"
        try await sim.addCard(number, balance: 100_000_000)
        let settings = Paytronix.Settings(merchantId: sim.merchantId, storeCode: "bench", currency: .eur)
        let card = CardInfo(printedCardNumber: number)

        // 1. The simulator's own answer time: a plain HTTP client, no outbox.
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        func direct(_ r: Paytronix.Request) async throws {
            var req = HTTPClientRequest(url: sim.baseURL + r.path)
            req.method = .POST
            req.headers.add(name: "Authorization", value: sim.authorization)
            req.headers.add(name: "Content-Type", value: "application/json")
            req.body = .bytes(ByteBuffer(bytes: r.body.bytes))
            let resp = try await client.execute(req, timeout: .seconds(10))
            _ = try await resp.body.collect(upTo: 1 << 20)
        }
        var n = 0
        let directBalance = try await measure { try await direct(Paytronix.balanceRequest(card, context: RequestContext(), settings: settings)) }
        let directRedeem = try await measure {
            n += 1
            try await direct(Paytronix.request(.redeem(card, amount: 1, tip: 0), context: OperationContext(), externalId: "d-\(n)", settings: settings))
        }
        try await client.shutdown()

        // 2. The connector in process: mapping, AHC, the outbox (SQLite, synchronous=FULL).
        let dir = NSTemporaryDirectory() + "gbbench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let transport = ProviderTransport(endpoint: ProviderEndpoint(baseURL: sim.baseURL), authorization: sim.authorization)
        let ledger = try PaytronixLedger(transport: transport, outbox: try OutboxStore(path: dir + "/outbox.sqlite"), settings: settings)
        let connectorBalance = try await measure { _ = try await ledger.balance(of: card, context: RequestContext()) }
        let connectorRedeem = try await measure { _ = try await ledger.execute(.redeem(card, amount: 1, tip: 0), context: OperationContext()) }
        await transport.shutdown()

        // 3. Through giftbridged ($GIFTBRIDGED, which Benchmarks/connectors sets) on its Unix socket.
        var daemonBalance: [Double]?
        var daemonRedeem: [Double]?
        let daemonPath = ProcessInfo.processInfo.environment["GIFTBRIDGED"] ?? ""
        if FileManager.default.isExecutableFile(atPath: daemonPath) {
            let config = """
                ledger:
                  backend: paytronix
                  paytronix:
                    base-url: \(sim.baseURL)
                    credentials-env: BENCH_PAYTRONIX
                    merchant-id: \(sim.merchantId)
                    store-code: bench
                log:
                  level: warning
                """
            try config.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
            let socket = dir + "/api.sock"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: daemonPath)
            p.arguments = ["--config", dir + "/c.yaml", "--state-dir", dir + "/s", "--socket", socket]
            p.environment = ["BENCH_PAYTRONIX": "pos:secret", "PATH": "/usr/bin:/bin"]
            try p.run()
            defer { p.terminate(); p.waitUntilExit() }
            let api = UnixHTTPClient(socketPath: socket)
            for _ in 0..<200 where (try? api.get("/v1/health")) == nil { usleep(50_000) }
            let balanceBody = Array(#"{"cardInfo":{"printedCardNumber":"\#(number)"}}"#.utf8)
            let redeemBody = Array(#"{"cardInfo":{"printedCardNumber":"\#(number)"},"amount":1}"#.utf8)
            // The blocking socket client runs on its own thread.
            func call(_ path: String, _ body: [UInt8]) async throws {
                let status: Int = try await withCheckedThrowingContinuation { c in
                    Thread { c.resume(with: Result { try api.post(path, json: body).status }) }.start()
                }
                guard status == 200 else { throw BenchError(description: "\(path) answered \(status)") }
            }
            daemonBalance = try await measure { try await call("/v1/gift/balance", balanceBody) }
            daemonRedeem = try await measure { try await call("/v1/gift/redeem", redeemBody) }
        }

        func f(_ v: Double) -> String { String(format: "%.0f", v) }
        print("Paytronix simulator on 127.0.0.1, \(iterations) requests each after 20 warm-up; microseconds")
        print("")
        print("| operation | simulator direct p50 / p99 | connector p50 / p99 | daemon (Unix socket) p50 / p99 | added by connector p50 | added by daemon p50 |")
        print("|---|---|---|---|---|---|")
        for (name, d, c, g) in [("balance", directBalance, connectorBalance, daemonBalance), ("redeem", directRedeem, connectorRedeem, daemonRedeem)] {
            let dp = percentile(d, 0.5), cp = percentile(c, 0.5)
            let gp = g.map { percentile($0, 0.5) }
            print("| \(name) | \(f(dp)) / \(f(percentile(d, 0.99))) | \(f(cp)) / \(f(percentile(c, 0.99))) | \(g.map { "\(f(percentile($0, 0.5))) / \(f(percentile($0, 0.99)))" } ?? "(giftbridged not built)") | \(f(cp - dp)) | \(gp.map { f($0 - dp) } ?? "-") |")
        }
    }
}

struct BenchError: Error, CustomStringConvertible { var description: String }
