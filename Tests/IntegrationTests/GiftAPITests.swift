import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The gift, hold and card routes through the real daemon and its Unix socket.
@Suite(.serialized) struct GiftAPITests {
    final class Daemon {
        let dir: TemporaryDirectory
        let process: DaemonProcess
        let client: UnixHTTPClient
        let socket: String

        init(holdTTL: Int = 1800) throws {
            dir = try TemporaryDirectory()
            try "ledger:\n  hold-ttl-seconds: \(holdTTL)\nshop:\n  terminal: till-1\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
            process = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
            try process.waitUntilReady()
            socket = dir.file("s/api.sock")
            client = UnixHTTPClient(socketPath: socket)
        }

        func post(_ path: String, _ body: String, headers: [String: String] = [:]) throws -> (Int, [String: Any], HTTPReply) {
            var h = headers
            h["Content-Type"] = "application/json"
            let r = try client.request("POST", path, body: Array(body.utf8), headers: h)
            return (r.status, json(r.text), r)
        }
    }

    static func minor(_ reply: [String: Any], _ field: String) -> Int? { (reply[field] as? [String: Any])?["minor"] as? Int }

    @Test func sellReloadRedeemReverseCashOutExchange() throws {
        let d = try Daemon()
        _ = try d.post("/v1/cards", #"{"number":"7777000011112222","status":"inactive"}"#)
        let (s1, sold, _) = try d.post("/v1/gift/sell", #"{"cardInfo":{"printedCardNumber":"7777000011112222"},"amount":5000,"cashier":"ann"}"#)
        #expect(s1 == 200)
        #expect(sold["kind"] as? String == "sell")
        #expect(Self.minor(sold, "currentBalance") == 5000)
        #expect((sold["currentBalance"] as? [String: Any])?["decimal"] as? String == "50.00")
        #expect((sold["authCode"] as? String)?.count == 6)
        #expect(sold["terminalId"] as? String == "till-1")

        let (_, reloaded, _) = try d.post("/v1/gift/reload", #"{"cardInfo":{"printedCardNumber":"7777000011112222"},"amount":1000}"#)
        #expect(Self.minor(reloaded, "currentBalance") == 6000)

        let (_, redeemed, _) = try d.post("/v1/gift/redeem", #"{"cardInfo":{"printedCardNumber":"7777000011112222"},"amount":2000,"tip":250,"externalTransactionId":"pos-77"}"#)
        #expect(Self.minor(redeemed, "transactionAmount") == -2250)
        #expect(Self.minor(redeemed, "tip") == 250)
        #expect(Self.minor(redeemed, "previousBalance") == 6000)
        #expect(Self.minor(redeemed, "currentBalance") == 3750)
        let redeemId = try #require(redeemed["transactionId"] as? Int)

        let fetched = json(try d.client.get("/v1/transactions/\(redeemId)").text)
        #expect(fetched["externalTransactionId"] as? String == "pos-77")
        // The kernel's word for who asked (SO_PEERCRED): this test process.
        #expect(fetched["requestedBy"] as? String == "uid=\(getuid()) gid=\(getgid()) pid=\(getpid())")

        let (sr, reversed, _) = try d.post("/v1/gift/reverse", #"{"externalTransactionId":"pos-77"}"#)
        #expect(sr == 200)
        #expect(reversed["reversesTransactionId"] as? Int == redeemId)
        #expect(Self.minor(reversed, "currentBalance") == 6000)
        let (sa, again, _) = try d.post("/v1/gift/reverse", #"{"transactionId":\#(redeemId)}"#)
        #expect(sa == 409)
        #expect((again["error"] as? [String: Any])?["code"] as? String == "already_reversed")

        _ = try d.post("/v1/cards", #"{"number":"7777000011113333"}"#)
        let (se, exchanged, _) = try d.post("/v1/gift/exchange", #"{"cardInfo":{"printedCardNumber":"7777000011112222"},"newCardInfo":{"printedCardNumber":"7777000011113333"}}"#)
        #expect(se == 200)
        #expect(exchanged["maskedCardNumber"] as? String == "777700******3333")
        #expect(Self.minor(exchanged, "currentBalance") == 6000)
        #expect((exchanged["exchangedFrom"] as? [String: Any])?["maskedCardNumber"] as? String == "777700******2222")

        let (_, cashed, _) = try d.post("/v1/gift/cash-out", #"{"cardInfo":{"printedCardNumber":"7777000011113333"}}"#)
        #expect(Self.minor(cashed, "transactionAmount") == -6000)
        #expect(Self.minor(cashed, "currentBalance") == 0)
        #expect(try d.process.terminate().status == 0)
    }

    @Test func refusalsCarryVendorCodes() throws {
        let d = try Daemon()
        let card = #"{"printedCardNumber":"6035710000000000"}"#
        let (s1, e1, _) = try d.post("/v1/gift/redeem", #"{"cardInfo":\#(card),"amount":999999}"#)
        #expect(s1 == 422)
        let err = e1["error"] as? [String: Any]
        #expect(err?["code"] as? String == "insufficient_funds")
        #expect((err?["vendorCodes"] as? [String: String])?["piggy"] == "5003")
        #expect((err?["vendorCodes"] as? [String: String])?["zmyle"] == "api:biz:insufficientFunds")
        // The digital demo card was loaded once.
        let (s2, e2, _) = try d.post("/v1/gift/reload", #"{"cardInfo":{"printedCardNumber":"6035710000000028"},"amount":100}"#)
        #expect(s2 == 422)
        #expect(((e2["error"] as? [String: Any])?["vendorCodes"] as? [String: String])?["piggy"] == "5006")
        let (s3, e3, _) = try d.post("/v1/gift/redeem", #"{"cardInfo":\#(card)}"#)
        #expect(s3 == 400)
        #expect((e3["error"] as? [String: Any])?["code"] as? String == "missing_field")
        let (s4, e4, _) = try d.post("/v1/gift/cash-out", #"{"cardInfo":\#(card),"amount":5}"#)
        #expect(s4 == 400)
        #expect((e4["error"] as? [String: Any])?["code"] as? String == "unexpected_field")
        let (s5, _, _) = try d.post("/v1/gift/redeem", #"{"cardInfo":\#(card),"amount":-5}"#)
        #expect(s5 == 400)
        let (s6, e6, _) = try d.post("/v1/gift/redeem", #"{"cardInfo":\#(card),"amount":5,"currency":"USD"}"#)
        #expect(s6 == 422)
        #expect((e6["error"] as? [String: Any])?["code"] as? String == "currency_mismatch")
        #expect(try d.client.get("/v1/transactions/abc").status == 400)
        #expect(try d.client.get("/v1/transactions/12345").status == 404)
        #expect(try d.process.terminate().status == 0)
    }

    @Test func idempotencyKeysReturnTheFirstAnswer() throws {
        let d = try Daemon()
        let body = #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":500}"#
        let (s1, first, _) = try d.post("/v1/gift/redeem", body, headers: ["Idempotency-Key": "k-1"])
        let (s2, second, _) = try d.post("/v1/gift/redeem", body.replacingOccurrences(of: ",", with: " , "), headers: ["Idempotency-Key": "k-1"])
        #expect(s1 == 200 && s2 == 200)
        #expect(first["transactionId"] as? Int == second["transactionId"] as? Int)
        let (s3, conflict, _) = try d.post("/v1/gift/redeem", #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":600}"#, headers: ["Idempotency-Key": "k-1"])
        #expect(s3 == 409)
        #expect((conflict["error"] as? [String: Any])?["code"] as? String == "idempotency_conflict")
        let (_, balance, _) = try d.post("/v1/gift/balance", #"{"cardInfo":{"printedCardNumber":"6035710000000000"}}"#)
        #expect(balance["currentBalanceMinor"] as? Int == 2000)
        #expect(try d.process.terminate().status == 0)
    }

    @Test func holdsConfirmCancelAndExpireByThemselves() throws {
        let d = try Daemon(holdTTL: 1)
        let events = EventRecorder(socket: d.socket)
        try events.waitUntilOpen()
        let (s1, hold, _) = try d.post("/v1/holds", #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":1000,"metadata":{"receiptNumber":"Bon 7"}}"#)
        #expect(s1 == 201)
        #expect(hold["status"] as? String == "NEEDS_CONFIRMATION")
        let id = try #require(hold["id"] as? String)
        let (_, balance, _) = try d.post("/v1/gift/balance", #"{"cardInfo":{"printedCardNumber":"6035710000000000"}}"#)
        #expect(balance["availableBalanceMinor"] as? Int == 1500)
        let (s2, confirmed, _) = try d.post("/v1/holds/\(id)/confirm", "")
        #expect(s2 == 200)
        #expect(confirmed["kind"] as? String == "hold_capture")
        #expect((confirmed["metadata"] as? [String: String])?["receiptNumber"] == "Bon 7")
        #expect(json(try d.client.get("/v1/holds/\(id)").text)["status"] as? String == "CONFIRMED")

        // Not confirmed within its lifetime (1 s here): released with no client action.
        let (_, second, _) = try d.post("/v1/holds", #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":500}"#)
        let secondId = try #require(second["id"] as? String)
        let expired = json(try events.next("hold.expired", timeout: 10).data)
        #expect(expired["id"] as? String == secondId)
        #expect(expired["status"] as? String == "EXPIRED")
        let (_, after, _) = try d.post("/v1/gift/balance", #"{"cardInfo":{"printedCardNumber":"6035710000000000"}}"#)
        #expect(after["availableBalanceMinor"] as? Int == 1500)
        let (s3, late, _) = try d.post("/v1/holds/\(secondId)/confirm", "{}")
        #expect(s3 == 409)
        #expect((late["error"] as? [String: Any])?["code"] as? String == "hold_not_open")
        #expect(try d.client.get("/v1/holds/nope").status == 404)
        #expect(try d.process.terminate().status == 0)
    }

    @Test func theCardJustSwipedCanBeRedeemed() throws {
        let d = try Daemon()
        let (_, sim, _) = try d.post("/v1/simulate/swipe", #"{"text":";6035710000000000=49121200?"}"#)
        let read = (sim["events"] as? [[String: Any]])?.first { $0["type"] as? String == "card.read" }
        let readId = try #require((read?["data"] as? [String: Any])?["readId"] as? String)
        // A refused operation does not use the read up.
        let (s0, _, _) = try d.post("/v1/gift/redeem", #"{"readId":"\#(readId)","amount":999999}"#)
        #expect(s0 == 422)
        let (s1, redeemed, _) = try d.post("/v1/gift/redeem", #"{"readId":"\#(readId)","amount":700}"#)
        #expect(s1 == 200)
        #expect(Self.minor(redeemed, "currentBalance") == 1800)
        let (s2, _, _) = try d.post("/v1/gift/redeem", #"{"readId":"\#(readId)","amount":700}"#)
        #expect(s2 == 404)
        #expect(try d.process.terminate().status == 0)
    }

    static func error(_ reply: [String: Any]) -> (code: String?, message: String?, vendor: [String: String]?) {
        let e = reply["error"] as? [String: Any]
        return (e?["code"] as? String, e?["message"] as? String, e?["vendorCodes"] as? [String: String])
    }

    /// The ledger rules of the safety review (item 5), through the daemon.
    @Test func ledgerRulesOfTheSafetyReview() throws {
        let d = try Daemon()
        // A sale is not reversed once value was loaded after it.
        _ = try d.post("/v1/cards", #"{"number":"7777000011114444","status":"inactive"}"#)
        let (_, sold, _) = try d.post("/v1/gift/sell", #"{"cardInfo":{"printedCardNumber":"7777000011114444"},"amount":5000}"#)
        let saleId = try #require(sold["transactionId"] as? Int)
        let (_, reloaded, _) = try d.post("/v1/gift/reload", #"{"cardInfo":{"printedCardNumber":"7777000011114444"},"amount":1000}"#)
        #expect(Self.minor(reloaded, "currentBalance") == 6000)
        let (s1, e1, _) = try d.post("/v1/gift/reverse", #"{"transactionId":\#(saleId)}"#)
        #expect(s1 == 422)
        #expect(Self.error(e1).code == "not_reversible")
        let (_, card, _) = try d.post("/v1/gift/balance", #"{"cardInfo":{"printedCardNumber":"7777000011114444"}}"#)
        #expect(card["cardStatus"] as? String == "active")
        #expect(card["currentBalanceMinor"] as? Int == 6000)

        // A reversal in another currency than the card's is refused.
        let (_, redeemed, _) = try d.post("/v1/gift/redeem", #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":100}"#)
        let redeemId = try #require(redeemed["transactionId"] as? Int)
        let (s2, e2, _) = try d.post("/v1/gift/reverse", #"{"transactionId":\#(redeemId),"currency":"USD"}"#)
        #expect(s2 == 422)
        #expect(Self.error(e2).code == "currency_mismatch")
        let (s2b, _, _) = try d.post("/v1/gift/reverse", #"{"transactionId":\#(redeemId),"currency":"EUR"}"#)
        #expect(s2b == 200)

        // An impossible expiry date is refused, a leap day is not.
        let (s3, e3, _) = try d.post("/v1/cards", #"{"number":"7777000011115555","balance":1000,"expiresOn":"2031-02-30"}"#)
        #expect(s3 == 400)
        #expect(Self.error(e3).code == "invalid_field")
        #expect(Self.error(e3).message?.contains("expiresOn") == true)
        let (s3b, c3, _) = try d.post("/v1/cards", #"{"number":"7777000011115555","balance":1000,"expiresOn":"2032-02-29"}"#)
        #expect(s3b == 201)
        #expect(c3["expiresOn"] as? String == "2032-02-29")

        // Card numbers are ASCII letters and digits: not Arabic-Indic or fullwidth digits.
        let (s4, e4, _) = try d.post("/v1/cards", #"{"number":"٧٧٧٧٠٠٠٠١١١١٦٦٦٦","balance":1000}"#)
        #expect(s4 == 400)
        #expect(Self.error(e4).code == "invalid_field")
        let (s4b, e4b, _) = try d.post("/v1/gift/balance", #"{"cardInfo":{"printedCardNumber":"６０３５７１００００００００００"}}"#)
        #expect(s4b == 400)
        #expect(Self.error(e4b).code == "invalid_request")

        // Hold amount refusals carry zmyle's code.
        for amount in [0, -5] {
            let (s5, e5, _) = try d.post("/v1/holds", #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":\#(amount)}"#)
            #expect(s5 == 400)
            #expect(Self.error(e5).code == "invalid_amount")
            #expect(Self.error(e5).vendor?["zmyle"] == "api:io:malformedNumber")
        }
        let (s5b, e5b, _) = try d.post("/v1/holds", #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":999999}"#)
        #expect(s5b == 422)
        #expect(Self.error(e5b).vendor?["zmyle"] == "api:biz:insufficientFunds")

        // A digital card is loaded once: it is not created inactive with value (which a sale would load again).
        let (s6, e6, _) = try d.post("/v1/cards", #"{"number":"7777000011117777","form":"digital","status":"inactive","balance":1000}"#)
        #expect(s6 == 400)
        #expect(Self.error(e6).code == "invalid_request")
        let (s7, _, _) = try d.post("/v1/gift/sell", #"{"cardInfo":{"printedCardNumber":"7777000011117777"},"amount":500}"#)
        #expect(s7 == 404)
        #expect(try d.process.terminate().status == 0)
    }
}

@Suite(.serialized) struct GiftCLITests {
    @Test func cardsImportAndGiftOperationsFromTheCommandLine() throws {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let socket = dir.file("s/api.sock")
        try """
            number,balance,form,status,expires
            8888000011110001,25.00,physical,,
            8888000011110002,,digital,inactive,2030-12-31
            8888000011110003,12.345,,,
            8888000011110001,1.00,,,
            """.write(toFile: dir.file("cards.csv"), atomically: true, encoding: .utf8)
        let imported = try runCLI(["cards", "import", dir.file("cards.csv")], socket: socket)
        #expect(imported.status == 1)
        #expect(imported.stdout.contains("2 added, 2 failed"))
        #expect(imported.stderr.contains("line 4"))
        #expect(imported.stderr.contains("line 5"))

        let sold = try runCLI(["sell", "--card-number", "8888000011110002", "--amount", "30.00"], socket: socket)
        #expect(sold.status == 0, "\(sold.stderr)")
        #expect(sold.stdout.contains("€30.00"))
        let redeemed = try runCLI(["redeem", "--card-number", "8888000011110001", "--amount", "10.00", "--tip", "0.50", "--external-id", "pos-9", "--json"], socket: socket)
        #expect(redeemed.status == 0)
        #expect((json(redeemed.stdout)["currentBalance"] as? [String: Any])?["minor"] as? Int == 1450)
        let reversed = try runCLI(["reverse", "--external-id", "pos-9"], socket: socket)
        #expect(reversed.status == 0)
        #expect(reversed.stdout.contains("€14.50 → €25.00"))
        let again = try runCLI(["reverse", "--external-id", "pos-9"], socket: socket)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already_reversed"))
        let bad = try runCLI(["redeem", "--card-number", "8888000011110001", "--amount", "1.001"], socket: socket)
        #expect(bad.status == 64)
        let show = try runCLI(["cards", "show", "--card-number", "8888000011110002"], socket: socket)
        #expect(show.stdout.contains("digital"))
        #expect(show.stdout.contains("expires 2030-12-31"))
        #expect(try daemon.terminate().status == 0)
    }
}

@Suite(.serialized) struct PrepaidAPITests {
    @Test func prepaidRoutes() throws {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        func post(_ path: String, _ body: String) throws -> (Int, [String: Any]) {
            let r = try client.post(path, json: Array(body.utf8))
            return (r.status, json(r.text))
        }
        // A path with another method is 405 with Allow; an unknown path is 404.
        let wrongMethod = try client.request("GET", "/v1/gift/redeem")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")
        #expect(wrongMethod.apiError?.code == "method_not_allowed")
        let jobs = try client.request("PUT", "/v1/print/jobs/7")
        #expect(jobs.status == 405)
        #expect(jobs.headers["allow"] == "DELETE, GET")
        #expect(try client.request("GET", "/v1/nothing/here").status == 404)
        // What exists already is a conflict (409 already_exists), not a bad request.
        for (path, body) in [
            ("/v1/shops", #"{"uuid":"demo-shop","name":"again"}"#), ("/v1/contacts", #"{"identifierValue":"MEMBER-0001"}"#),
            ("/v1/cards", #"{"number":"6035710000000000"}"#),
        ] {
            let (status, reply) = try post(path, body)
            #expect(status == 409, "\(path)")
            #expect((reply["error"] as? [String: Any])?["code"] as? String == "already_exists", "\(path)")
        }
        let (s1, t1) = try post("/v1/prepaid/transactions", #"{"contactIdentifierValue":"MEMBER-0001","amount":-1000,"shopUuid":"demo-shop"}"#)
        #expect(s1 == 201)
        #expect((t1["prepaidBalance"] as? [String: Any])?["display"] as? String == "€5.00")
        #expect((t1["shop"] as? [String: Any])?["name"] as? String == "giftbridge demo shop")
        let (s2, e2) = try post("/v1/prepaid/transactions", #"{"contactUuid":"demo-contact-2","amount":-1,"shopUuid":"demo-shop"}"#)
        #expect(s2 == 422)
        #expect((e2["error"] as? [String: Any])?["code"] as? String == "insufficient_funds")
        let uuid = try #require(t1["uuid"] as? String)
        let (s3, r3) = try post("/v1/prepaid/transactions/\(uuid)/reverse", "")
        #expect(s3 == 201)
        #expect((r3["prepaidBalance"] as? [String: Any])?["minor"] as? Int == 1500)
        let balance = json(try client.get("/v1/contacts/demo-contact-1/prepaid-balance").text)
        #expect((balance["prepaidBalance"] as? [String: Any])?["minor"] as? Int == 1500)
        let page = json(try client.get("/v1/prepaid/transactions?contactUuid=demo-contact-1&limit=2&page=1").text)
        #expect((page["data"] as? [Any])?.count == 2)
        let meta = page["meta"] as? [String: Any]
        #expect(meta?["total"] as? Int == 3)
        #expect(meta?["lastPage"] as? Int == 2)
        #expect(try client.get("/v1/prepaid/transactions?limit=0").status == 400)
        #expect(try client.get("/v1/prepaid/transactions?colour=red").status == 400)
        #expect(try client.get("/v1/contacts/nobody/prepaid-balance").status == 404)
        #expect(try daemon.terminate().status == 0)
    }

    /// Prepaid refusals carry Piggy's prepaid codes, not its giftcard ones.
    @Test func prepaidRefusalsCarryPiggysPrepaidCodes() throws {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let client = UnixHTTPClient(socketPath: dir.file("s/api.sock"))
        func refusal(_ method: String, _ path: String, _ body: String? = nil) throws -> (Int, String?, String?) {
            let r = try client.request(method, path, body: Array((body ?? "").utf8), headers: body == nil ? [:] : ["Content-Type": "application/json"])
            let e = GiftAPITests.error(json(r.text))
            return (r.status, e.code, e.vendor?["piggy"])
        }
        let tooLow = try refusal("POST", "/v1/prepaid/transactions", #"{"contactUuid":"demo-contact-2","amount":-1,"shopUuid":"demo-shop"}"#)
        #expect(tooLow.0 == 422 && tooLow.1 == "insufficient_funds" && tooLow.2 == "60004")
        let noContact = try refusal("POST", "/v1/prepaid/transactions", #"{"contactUuid":"nobody","amount":100,"shopUuid":"demo-shop"}"#)
        #expect(noContact.0 == 404 && noContact.1 == "contact_not_found" && noContact.2 == "55031")
        let noShop = try refusal("POST", "/v1/prepaid/transactions", #"{"contactUuid":"demo-contact-1","amount":100,"shopUuid":"nowhere"}"#)
        #expect(noShop.0 == 404 && noShop.1 == "shop_not_found" && noShop.2 == "60003")
        let noTransaction = try refusal("POST", "/v1/prepaid/transactions/nope/reverse")
        #expect(noTransaction.0 == 404 && noTransaction.1 == "transaction_not_found" && noTransaction.2 == "1008")
        let noBalance = try refusal("GET", "/v1/contacts/nobody/prepaid-balance")
        #expect(noBalance.0 == 404 && noBalance.2 == "55031")
        #expect(try daemon.terminate().status == 0)
    }
}
