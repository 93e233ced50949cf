import CardReading
import ConnectorCore
import Foundation
import Ledger
import Testing

@Suite struct JSONValueTests {
    @Test func numbersKeepTheirText() throws {
        let v = try JSONValue.parse(#"{"a": 25.10, "b": -3.1e2, "c": "40.00", "d": [1, true, null], "e": "\u00e9\n"}"#)
        #expect(v["a"] == .number("25.10"))
        #expect(v["b"] == .number("-3.1e2"))
        #expect(v["c"]?.decimalText == "40.00")
        #expect(v["d"] == .array([.number("1"), .bool(true), .null]))
        #expect(v["e"] == .string("é\n"))
        #expect(v.serialized == #"{"a":25.10,"b":-3.1e2,"c":"40.00","d":[1,true,null],"e":"é\n"}"#)
        #expect(try JSONValue.parse(v.serialized) == v)
    }

    @Test(arguments: ["", "{", #"{"result": "succ"#, "[1,]", "01x", #"{"a" 1}"#, "nul", #""\ud800""#, "1 2"])
    func malformedIsAnErrorNotACrash(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test func deepNestingIsRefused() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) }
    }
}

@Suite struct PaytronixMappingTests {
    let settings = Paytronix.Settings(merchantId: 4242, storeCode: "store-1", currency: .eur)

    @Test func redeemRequestCarriesExactDecimalsAndIds() {
        let r = Paytronix.request(
            .redeem(CardInfo(printedCardNumber: "6035710000000000", cardRegCode: "1234"), amount: 2010, tip: 5),
            context: OperationContext(terminalId: "till-1", cashier: "ann"), externalId: "ext-1", settings: settings)
        #expect(r.path == "gift/redeem.json")
        #expect(r.body.serialized == #"{"merchantId":4242,"storeCode":"store-1","cardInfo":{"printedCardNumber":"6035710000000000","cardRegCode":"1234"},"amount":20.10,"tip":0.05,"cashier":"ann","terminalId":"till-1","externalTransactionId":"ext-1"}"#)
    }

    @Test func jpyHasNoDecimals() {
        let s = Paytronix.Settings(merchantId: 1, storeCode: "s", currency: Currency(code: "JPY")!)
        let r = Paytronix.request(.reload(CardInfo(printedCardNumber: "1"), amount: 1500), context: OperationContext(), externalId: nil, settings: s)
        #expect(r.body["amount"] == .number("1500"))
    }

    @Test func reversalByExternalId() {
        let r = Paytronix.reversal(externalId: "gb-1", settings: settings)
        #expect(r.body.serialized == #"{"merchantId":4242,"storeCode":"store-1","externalTransactionId":"gb-1"}"#)
    }

    @Test func successReplyMapsExactlyAndNeverKeepsTheNumber() throws {
        let body = #"{"result":"success","pxTransactionId":9007199254740993,"pxAuthCode":"123456","currentBalance":"37.50","previousBalance":60.00,"transactionAmount":"22.50","printedCardNumber":"6035710000000000","maskedCardNumber":"6035710000000000","cardTemplateCode":3,"cardTemplateName":"Gift","tierCode":1,"tierName":"Std","posMessages":["hi"]}"#
        guard case .success(let s) = try Paytronix.parseReply(Array(body.utf8), settings: settings) else { Issue.record("not a success"); return }
        #expect(s.pxTransactionId == 9_007_199_254_740_993)
        #expect(s.currentBalance.minorUnits == 3750)
        #expect(s.previousBalance?.minorUnits == 6000)
        #expect(s.maskedCardNumber == "603571******0000")
        let result = Paytronix.result(s, command: .redeem(CardInfo(printedCardNumber: "x"), amount: 2000, tip: 250), context: OperationContext(), externalId: "e", createdAt: "t")
        #expect(result.transaction.amount == -2250)
        #expect(result.transaction.tip == 250)
        #expect(result.transaction.balanceBefore == 6000)
        #expect(result.transaction.kind == .redeem)
        #expect(!"\(result)".contains("6035710000000000"))
    }

    @Test func failureRepliesMapToLedgerErrors() throws {
        func parse(_ code: String) throws -> LedgerError? {
            let body = #"{"result":"failure","errorCode":"\#(code)","errorMessage":"no"}"#
            if case .failure(let e) = try Paytronix.parseReply(Array(body.utf8), settings: settings) { return e }
            return nil
        }
        #expect(try parse("gift.insufficient_balance") == .insufficientFunds)
        #expect(try parse("gift.card_not_found") == .cardNotFound)
        #expect(try parse("gift.transaction_not_found") == .transactionNotFound)
        #expect(try parse("gift.something_new") == .providerRefused(provider: "paytronix", code: "gift.something_new", message: "no"))
        for (code, error) in Paytronix.errorCodes where error != .unsupportedIdentifier([]) {
            #expect(Paytronix.errorCode(for: error) == code)
        }
    }

    @Test(arguments: [
        #"{"result": "succ"#, #"{"result":"success"}"#, #"{"result":"success","pxTransactionId":1,"pxAuthCode":"1","currentBalance":"1.234"}"#,
        #"{"result":"failure"}"#, #"{"result":"maybe"}"#, "[]",
    ])
    func unreadableRepliesAreMalformed(_ body: String) {
        #expect(throws: Paytronix.MalformedReply.self) { try Paytronix.parseReply(Array(body.utf8), settings: settings) }
    }
}

@Suite struct OutboxTransitionTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    var entry: OutboxEntry { OutboxEntry(id: 1, provider: "paytronix", operation: "redeem", externalId: "e", action: .undo, createdAt: t0) }

    @Test func answeredIsDone() {
        #expect(Outbox.answered(entry, now: t0).state == .done)
    }

    @Test func unknownOutcomeIsReversedWithBackoffUntilConfirmed() {
        var e = Outbox.outcomeUnknown(entry, why: "deadline", now: t0)
        #expect(e.state == .reversing && Outbox.isDue(e, now: t0))
        #expect(Outbox.posError(e) == .pendingReversal(externalTransactionId: "e"))
        e = Outbox.afterReversal(e, .retry("503"), now: t0)
        #expect(e.attempts == 1 && e.nextAttemptAt == t0.addingTimeInterval(1) && !Outbox.isDue(e, now: t0))
        e = Outbox.afterReversal(e, .retry("503"), now: t0)
        #expect(e.nextAttemptAt == t0.addingTimeInterval(2))
        e = Outbox.afterReversal(e, .confirmed, now: t0)
        #expect(e.state == .reversed && e.attempts == 3 && !e.state.isOpen)
        #expect(Outbox.posError(e) == .reversed(externalTransactionId: "e"))
        // A confirmed reversal stays confirmed.
        #expect(Outbox.afterReversal(e, .retry("late"), now: t0) == e)
    }

    @Test func backoffCapsAtAMinute() {
        #expect((1...12).map { Outbox.backoff(afterAttempts: $0) } == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60])
    }

    @Test func refusedReversalIsStuck() {
        let e = Outbox.afterReversal(Outbox.outcomeUnknown(entry, why: "x", now: t0), .refused("no"), now: t0)
        #expect(e.state == .stuck && !e.state.isOpen)
    }

    @Test func inFlightAtStartIsReversed() {
        #expect(Outbox.recovered(entry, now: t0).state == .reversing)
        let done = Outbox.answered(entry, now: t0)
        #expect(Outbox.recovered(done, now: t0) == done)
    }
}
