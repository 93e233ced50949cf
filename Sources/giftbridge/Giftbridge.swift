import ArgumentParser
import Foundation
import GiftbridgeClient

/// `giftbridge`: the command-line client of the local API.
@main
struct Giftbridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "giftbridge",
        abstract: "Talk to giftbridged over its local socket.",
        discussion: """
            The socket is --socket, else $GIFTBRIDGE_SOCKET, else /run/giftbridge/api.sock when it \
            exists, else the demo socket (~/.local/state/giftbridge-demo/api.sock).
            Exit codes: 0 success; 1 the daemon refused the request (its error code is printed); \
            64 bad usage; 69 the daemon is not reachable; 76 unexpected answer; 77 permission denied.
            """,
        subcommands: [
            Health.self, Devices.self, Watch.self, Balance.self, Sell.self, Reload.self, Redeem.self, CashOut.self, Exchange.self,
            Reverse.self, TransactionCommand.self, HoldCommand.self, Cards.self, Printers.self, PrintCommand.self, DrawerCommand.self, Receipt.self,
            PrintJobCommand.self, Prepaid.self, Contacts.self, Shops.self, MetricsCommand.self, Decode.self, Simulate.self,
        ])
}

struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the daemon's API socket.")
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON instead of text.")
    var json = false

    var client: UnixHTTPClient {
        UnixHTTPClient(socketPath: socket ?? DefaultPaths.clientSocket(environment: ProcessInfo.processInfo.environment))
    }

    /// Calls the daemon; prints its error and exits non-zero when the call fails.
    func call(_ method: String, _ path: String, body: [String: Any]? = nil) throws -> [String: Any] {
        let reply: HTTPReply
        let payload = try body.map { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) }
        do throws(ClientError) {
            if let payload {
                reply = try client.post(path, json: payload)
            } else {
                reply = try client.request(method, path)
            }
        } catch {
            fail(error)
        }
        guard (200..<300).contains(reply.status) else {
            if json { print(reply.text) }
            if let e = reply.apiError {
                printError("error: \(e.message) [\(e.code), HTTP \(reply.status)]")
            } else {
                printError("error: HTTP \(reply.status): \(reply.text)")
            }
            throw ExitCode(1)
        }
        if json { print(reply.text) }
        return (try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]) ?? [:]
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func fail(_ error: ClientError) -> Never {
    printError("error: \(error)")
    switch error {
    case .daemonNotRunning: Giftbridge.exit(withError: ExitCode(69))
    case .permissionDenied: Giftbridge.exit(withError: ExitCode(77))
    case .timedOut, .protocolError: Giftbridge.exit(withError: ExitCode(76))
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show whether the daemon and its parts work.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let h = try options.call("GET", "/v1/health")
        guard !options.json else { return }
        print("giftbridged \(h["version"] ?? "?"): \(h["status"] ?? "?")\((h["demo"] as? Bool) == true ? " (demo)" : "")")
        if let l = h["ledger"] as? [String: Any] {
            print("  ledger   \(l["backend"] ?? "?"): " + ((l["ok"] as? Bool) == true ? "ok, \(l["cards"] ?? 0) cards" : "FAILING \(l["error"] ?? "")"))
        }
        for p in h["printers"] as? [[String: Any]] ?? [] { print("  " + describePrinter(p)) }
        for r in h["readers"] as? [[String: Any]] ?? [] { print("  " + describeReader(r)) }
    }
}

func describePrinter(_ p: [String: Any]) -> String {
    var s = "printer  \(p["id"] ?? "?"): \(p["state"] ?? "?") \(p["target"] ?? "") (\(p["profile"] ?? "")), \(p["queued"] ?? 0) queued, \(p["printed"] ?? 0) printed"
    if let e = p["lastError"] as? String { s += "; last error: \(e)" }
    return s
}

func describeReader(_ r: [String: Any]) -> String {
    var s = "reader   \(r["id"] ?? "?"): \(r["state"] ?? "?") \(r["path"] ?? "") (\(r["kind"] ?? "")), \(r["reads"] ?? 0) reads, \(r["errors"] ?? 0) errors"
    if let d = r["detail"] as? String { s += "; \(d)" }
    return s
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List readers, printers and the USB devices plugged in.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let d = try options.call("GET", "/v1/devices")
        guard !options.json else { return }
        let readers = d["readers"] as? [[String: Any]] ?? []
        let printers = d["printers"] as? [[String: Any]] ?? []
        if readers.isEmpty && printers.isEmpty { print("no readers or printers configured") }
        for r in readers {
            print(describeReader(r))
            if let u = r["udev"] as? [String: Any] {
                print("           usb \(u["vendorId"] ?? "?"):\(u["productId"] ?? "?") \(u["vendor"] ?? "") \(u["model"] ?? "") serial \(u["serial"] ?? "-")")
            }
        }
        for p in printers { print(describePrinter(p)) }
        let usb = d["usb"] as? [[String: Any]] ?? []
        if !usb.isEmpty {
            print("usb devices:")
            for u in usb {
                let classes = (u["interfaceClasses"] as? [Int] ?? []).map(String.init).joined(separator: ",")
                print("  bus \(u["bus"] ?? "?") addr \(u["address"] ?? "?")  \(u["vendorId"] ?? "?"):\(u["productId"] ?? "?")  classes \(classes)")
            }
        }
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print events as they happen (card reads, balances, printing, devices).")
    @OptionGroup var options: ClientOptions

    @Option(name: .long, help: "Resume after this event id.")
    var after: String?

    @Option(name: .long, help: "Stop after this many events.")
    var count: Int?

    func run() throws {
        var seen = 0
        let status: Int
        do throws(ClientError) {
            status = try options.client.events(lastEventId: after) { event in
                // Written unbuffered, so `giftbridge watch | …` sees each event at once.
                let line = options.json ? "{\"id\":\(event.id ?? "null"),\"type\":\"\(event.event)\",\"data\":\(event.data)}" : formatEvent(event)
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        } catch {
            fail(error)
        }
        if status != 200 {
            printError("error: the event stream answered HTTP \(status)")
            throw ExitCode(1)
        }
    }
}

nonisolated(unsafe) let timeFormatter: DateFormatter = {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = "HH:mm:ss"
    return f
}()

/// One line per event: time, type, then the data's fields as key=value.
func formatEvent(_ event: ServerSentEvent) -> String {
    let time = timeFormatter.string(from: Date())
    let padded = event.event.padding(toLength: 14, withPad: " ", startingAt: 0)
    guard let obj = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any] else {
        return "\(time) \(padded) \(event.data)"
    }
    let fields = obj.keys.sorted().map { key -> String in
        let v = obj[key]!
        // JSONSerialization gives booleans as NSNumber; show them as true/false, not 1/0.
        if let n = v as? NSNumber, String(cString: n.objCType) == "c" { return "\(key)=\(n.boolValue)" }
        if let a = v as? [Any] { return "\(key)=\(a.map { "\($0)" }.joined(separator: ","))" }
        if let s = v as? String, s.contains(" ") { return "\(key)=\"\(s)\"" }
        return "\(key)=\(v)"
    }
    return "\(time) \(padded) \(fields.joined(separator: " "))"
}

struct Balance: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Look up a gift card's balance.")
    @OptionGroup var options: ClientOptions

    @OptionGroup var card: CardSelection

    @Flag(name: .long, help: "Also print a balance receipt.")
    var print = false

    func run() throws {
        var body: [String: Any] = [:]
        card.add(to: &body)
        if print { body["printReceipt"] = true }
        let r = try options.call("POST", "/v1/gift/balance", body: body)
        guard !options.json else { return }
        Swift.print("\(r["maskedCardNumber"] ?? "?")  \(r["cardStatus"] ?? "?")  balance \(r["currentBalance"] ?? "?") \(r["currency"] ?? "")  available \(r["availableBalance"] ?? "?") \(r["currency"] ?? "")")
        if let job = r["receiptJobId"] { Swift.print("receipt queued as print job \(job)") }
    }
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Feed a simulated read into the daemon's pipeline (demo mode, or api.simulate: true).",
        subcommands: [Swipe.self])

    struct Swipe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Simulate a magstripe swipe, e.g. ';6035710000000000=49121200?'.")
        @OptionGroup var options: ClientOptions

        @Argument(help: "The text the reader would send (tracks with sentinels).")
        var text: String

        @Option(name: .long, help: "Reader id to report the read under.")
        var reader: String?

        func run() throws {
            var body: [String: Any] = ["text": text]
            body["reader"] = reader
            let r = try options.call("POST", "/v1/simulate/swipe", body: body)
            guard !options.json else { return }
            var failed = false
            for e in r["events"] as? [[String: Any]] ?? [] {
                let data = (e["data"] as? [String: Any]) ?? [:]
                let json = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                let type = e["type"] as? String ?? "?"
                if type.hasSuffix(".error") { failed = true }
                print(formatEvent(ServerSentEvent(id: e["id"].map { "\($0)" }, event: type, data: json)))
            }
            if failed { throw ExitCode(1) }
        }
    }
}
