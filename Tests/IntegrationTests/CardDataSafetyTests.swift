import CardReading
import ConnectorSimulators
import Foundation
import GiftbridgeClient
import Ledger
import Testing
import TestSupport

/// Card data at the edge, through the real daemon: payment cards go nowhere, nothing stored or
/// logged gives a card number back, amounts and bodies are strict, state files are private.
@Suite(.serialized) struct CardDataSafetyTests {
    /// One test number of each network, with what must never appear anywhere.
    static let paymentCards: [(pan: String, network: String)] = [
        ("4111111111111111", "Visa"), ("5555555555554444", "Mastercard"), ("2223003122003222", "Mastercard"),
        ("378282246310005", "American Express"), ("6011111111111117", "Discover"), ("3530111333300000", "JCB"),
        ("36227206271667", "Diners Club"), ("6250941006528599", "UnionPay"), ("6759649826438453", "Maestro"),
    ]
    static let name = "DOE/JOHN Q"
    static let discretionary = "1010000000000000"
    static let registrationCode = "RC7731Q"

    static func track1(_ pan: String) -> String { "%B\(pan)^\(name)^2912\(discretionary)?" }
    static func track2(_ pan: String) -> String { ";\(pan)=2912\(discretionary)?" }

    /// Every file under `directory`, with its path.
    static func files(under directory: String) -> [(String, [UInt8])] {
        let e = FileManager.default.enumerator(atPath: directory)
        var out: [(String, [UInt8])] = []
        while let name = e?.nextObject() as? String {
            let path = directory + "/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            out.append((path, Array(data)))
        }
        return out
    }

    /// What must appear nowhere: each PAN, the track data after the separator, the name.
    static func secrets(_ pans: [String]) -> [String] {
        pans + [name, "DOE/JOHN", "2912" + discretionary, discretionary, registrationCode]
    }

    static func expectNothingOf(_ secrets: [String], in blobs: [(String, [UInt8])]) {
        for (what, bytes) in blobs {
            for secret in secrets {
                #expect(!bytes.contains(bytes: Array(secret.utf8)), "\(what) holds \(secret.prefix(6))…")
            }
        }
    }

    @Test func paymentCardsGoNowhere() async throws {
        let sim = try await PaytronixSimulator()
        let dir = try TemporaryDirectory()
        try """
            shop:
              terminal: till-1
            api:
              simulate: true
            log:
              level: trace
            printer:
              target: file:\(dir.file("receipts.escpos"))
            ledger:
              backend: paytronix
              paytronix:
                base-url: \(sim.baseURL)
                credentials-env: GB_PAYTRONIX
                merchant-id: \(sim.merchantId)
                store-code: store-1
            """.write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(
            arguments: ["--config", dir.file("c.yaml"), "--state-dir", dir.file("s"), "--socket", dir.file("s/api.sock")], dir: dir,
            environment: ["GB_PAYTRONIX": "pos:secret"])
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        let stream = EventRecorder(socket: dir.file("s/api.sock"))
        try stream.waitUntilOpen()
        let before = sim.server.requestCount

        func post(_ path: String, _ body: String) async throws -> (Int, [String: Any]) {
            let r = try await offThread { try client.request("POST", path, body: Array(body.utf8), headers: ["Content-Type": "application/json"]) }
            return (r.status, json(r.text))
        }
        for (pan, network) in Self.paymentCards {
            // A reader: track 1 alone, both tracks, track 2 alone, the number as a barcode.
            for text in [Self.track1(pan), Self.track1(pan) + Self.track2(pan), Self.track2(pan), pan] {
                let (status, reply) = try await post("/v1/simulate/swipe", try String(decoding: JSONSerialization.data(withJSONObject: ["text": text, "reader": "counter"]), as: UTF8.self))
                let events = reply["events"] as? [[String: Any]] ?? []
                #expect(status == 202 && events.map { $0["type"] as? String } == ["card.error"], "\(network) \(text.prefix(3)): \(status) \(reply)")
                let data = events.first?["data"] as? [String: Any]
                #expect(data?["reason"] as? String == "payment_card")
                #expect((data?["message"] as? String)?.contains(PAN.mask(pan)) == true, "\(data ?? [:])")
            }
            // A POS: the number, the track data or a barcode in cardInfo, on every route that takes a card.
            for card in [#"{"printedCardNumber":"\#(pan)","cardRegCode":"\#(Self.registrationCode)"}"#, #"{"trackInfo":"\#(pan)=2912\#(Self.discretionary)"}"#, #"{"barcode":"\#(pan)"}"#] {
                for (path, body) in [
                    ("/v1/gift/balance", #"{"cardInfo":\#(card)}"#), ("/v1/gift/redeem", #"{"cardInfo":\#(card),"amount":100}"#),
                    ("/v1/gift/sell", #"{"cardInfo":\#(card),"amount":100,"idempotencyKey":"k-\#(pan)"}"#),
                    ("/v1/holds", #"{"cardInfo":\#(card),"amount":100}"#),
                    ("/v1/gift/exchange", #"{"cardInfo":{"printedCardNumber":"6035710000000094"},"newCardInfo":\#(card)}"#),
                    ("/v1/print", #"{"template":"balance","cardInfo":\#(card)}"#),
                ] {
                    let (status, reply) = try await post(path, body)
                    let error = reply["error"] as? [String: Any]
                    #expect(status == 422 && error?["code"] as? String == "payment_card", "\(path) \(card): \(status) \(reply)")
                    let message = (error?["message"] as? String) ?? ""
                    #expect(!message.contains(pan))
                }
            }
        }
        // Nothing reached the provider, no read was kept, nothing was printed.
        #expect(sim.server.requestCount == before)
        #expect((FileManager.default.contents(atPath: dir.file("receipts.escpos")) ?? Data()).isEmpty)
        // A POS that puts a full number into a receipt's data gets it printed masked.
        let slip = #"{"template":"transaction","data":{"kind":"exchange","transactionId":"1","maskedCardNumber":"4111111111111111","fromCard":"5555555555554444","amount":"1.00","newBalance":"1.00","printedAt":"now"}}"#
        #expect(try await post("/v1/print", slip).0 == 201)
        let deadline = Date().addingTimeInterval(10)
        while (FileManager.default.contents(atPath: dir.file("receipts.escpos")) ?? Data()).isEmpty, Date() < deadline { usleep(50_000) }
        let printed = FileManager.default.contents(atPath: dir.file("receipts.escpos")) ?? Data()
        #expect(printed.contains(Data("411111******1111".utf8)) && printed.contains(Data("555555******4444".utf8)))
        let metrics = try client.get("/metrics").text
        _ = try daemon.terminate()
        let sse = stream.all.map { "\($0.event) \($0.data)" }.joined(separator: "\n")
        #expect(!sse.contains("card.read") && !sse.contains("gift.balance") && !sse.contains("gift.error"), "no read reached a ledger")
        let log = daemon.log
        #expect(log.contains("payment_card"), "the log says what happened (at trace)")
        Self.expectNothingOf(
            Self.secrets(Self.paymentCards.map(\.pan)),
            in: Self.files(under: dir.path) + [("the event stream", Array(sse.utf8)), ("/metrics", Array(metrics.utf8)), ("the log", Array(log.utf8))])
    }

    @Test func theShopsGiftRangesDecideWhatIsAGiftCard() throws {
        let dir = try TemporaryDirectory()
        // A chain whose gift cards live inside Visa's range, and only there.
        try "cards:\n  ranges: [\"400012:16\"]\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        func post(_ path: String, _ body: String) throws -> (Int, String?) {
            let r = try client.request("POST", path, body: Array(body.utf8), headers: ["Content-Type": "application/json"])
            return (r.status, (json(r.text)["error"] as? [String: Any])?["code"] as? String)
        }
        #expect(try post("/v1/cards", #"{"number":"4000123412341234","balance":1000}"#).0 == 201)
        #expect(try post("/v1/gift/redeem", #"{"cardInfo":{"printedCardNumber":"4000123412341234"},"amount":100}"#).0 == 200)
        #expect(try post("/v1/gift/balance", #"{"cardInfo":{"printedCardNumber":"4111111111111111"}}"#) == (422, "payment_card"))
        // The demo cards are outside the shop's ranges now.
        #expect(try post("/v1/gift/balance", #"{"cardInfo":{"printedCardNumber":"6035710000000000"}}"#) == (422, "not_a_gift_card"))
        #expect(try post("/v1/cards", #"{"number":"5555555555554444"}"#) == (422, "payment_card"))
        let bad = try TemporaryDirectory()
        try "cards:\n  ranges: [\"4000:99\"]\n".write(toFile: bad.file("c.yaml"), atomically: true, encoding: .utf8)
        let (status, log) = try DaemonProcess.runToExit(arguments: ["--demo", "--config", bad.file("c.yaml"), "--state-dir", bad.file("s")], dir: bad)
        #expect(status == 78)
        #expect(log.contains("cards.ranges"))
        _ = try daemon.terminate()
    }

    @Test func nothingStoredGivesTheCardNumberBack() throws {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        let pan = "6006491000000000018"
        let body = #"{"cardInfo":{"printedCardNumber":"\#(pan)","cardRegCode":"1234"},"amount":150,"idempotencyKey":"retry-1"}"#
        let first = try client.request("POST", "/v1/gift/redeem", body: Array(body.utf8), headers: ["Content-Type": "application/json"])
        #expect(first.status == 200)
        let again = try client.request("POST", "/v1/gift/redeem", body: Array(body.utf8), headers: ["Content-Type": "application/json"])
        #expect(again.text == first.text, "the retry gets the first answer")
        let other = #"{"cardInfo":{"printedCardNumber":"\#(pan)","cardRegCode":"1234"},"amount":151,"idempotencyKey":"retry-1"}"#
        #expect(try client.request("POST", "/v1/gift/redeem", body: Array(other.utf8), headers: ["Content-Type": "application/json"]).status == 409)
        _ = try daemon.terminate()

        // What an unkeyed fingerprint would have been: the request as the old code hashed it.
        let canonical = #"{"amount":150,"cardInfo":{"cardRegCode":"1234","printedCardNumber":"\#(pan)"},"idempotencyKey":"retry-1"}"#
        let unkeyed = SHA256.hash(Array("gift/redeem".utf8) + [0] + Array(canonical.utf8)).hexString
        let files = Self.files(under: dir.file("s"))
        Self.expectNothingOf([pan, unkeyed, SHA256.hash(Array(pan.utf8)).hexString, "\"1234\""], in: files)
        // The stored fingerprint is keyed, and every state file is private to the daemon's group.
        #expect(files.contains { $0.1.contains(bytes: Array(CardKeyer.fingerprintPrefix.utf8)) })
        for (path, _) in files {
            var st = stat()
            #expect(stat(path, &st) == 0 && st.st_mode & 0o007 == 0, "\(path) mode \(String(st.st_mode & 0o777, radix: 8))")
        }
    }

    @Test func stateFilesAnEarlierVersionLeftReadableAreMadePrivate() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("s"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir.file("s/print-queue.sqlite"), contents: nil, attributes: [.posixPermissions: 0o644])
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        _ = try daemon.terminate()
        var st = stat()
        #expect(stat(dir.file("s/print-queue.sqlite"), &st) == 0 && st.st_mode & 0o777 == 0o640)
        #expect(stat(dir.file("s/card-key"), &st) == 0 && st.st_mode & 0o777 == 0o600)
    }

    @Test func moneyAndJSONAreStrictAndLoseNothing() throws {
        let dir = try TemporaryDirectory()
        try "ledger:\n  max-amount: 50000\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        func post(_ path: String, _ body: String) throws -> (Int, String?, String) {
            let r = try client.request("POST", path, body: Array(body.utf8), headers: ["Content-Type": "application/json"])
            let e = json(r.text)["error"] as? [String: Any]
            return (r.status, e?["code"] as? String, e?["message"] as? String ?? "")
        }
        func balance() throws -> Int? {
            json(try client.request("POST", "/v1/gift/balance", body: Array(#"{"cardInfo":{"printedCardNumber":"6035710000000000"}}"#.utf8), headers: ["Content-Type": "application/json"]).text)["currentBalanceMinor"] as? Int
        }
        let start = try balance()
        #expect(start == 2500)
        let card = #""cardInfo":{"printedCardNumber":"6035710000000000"}"#
        for amount in ["2.99999999999999999", "12.0", "1e2", "0", "-100", "9007199254740992", "1000000000000000000"] {
            let (status, code, message) = try post("/v1/gift/redeem", "{\(card),\"amount\":\(amount)}")
            #expect(status == 400 && code == "invalid_amount" && message.contains("'amount'"), "\(amount): \(status) \(code ?? "") \(message)")
        }
        #expect(try post("/v1/gift/reload", "{\(card),\"amount\":50001}").1 == "amount_too_large")
        #expect(try post("/v1/gift/reload", "{\(card),\"amount\":50001}").0 == 422)
        #expect(try post("/v1/holds", "{\(card),\"amount\":1.5}").1 == "invalid_amount")
        #expect(try post("/v1/cards", #"{"number":"7777000011119999","balance":1e3}"#).1 == "invalid_amount")
        #expect(try post("/v1/gift/redeem", "{\(card),\"amount\":100,\"amount\":900}").1 == "malformed_json")
        #expect(try post("/v1/gift/redeem", "{\(card),\"amount\":100,}").1 == "malformed_json")
        #expect(try post("/v1/gift/redeem", "{\"cardInfo\":{\"printedCardNumber\":\"6035710000000000\",\"printedCardNumber\":\"6035710000000028\"},\"amount\":100}").1 == "malformed_json")
        #expect(try post("/v1/print", #"{"template":"balance","template":"hold"}"#).1 == "malformed_json")
        #expect(try balance() == start, "nothing was booked")
        #expect(try post("/v1/gift/redeem", "{\(card),\"amount\":100}").0 == 200)
        #expect(try balance() == 2400)
        _ = try daemon.terminate()
    }
}

