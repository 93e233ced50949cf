import Foundation
import Testing

@testable import LocalAPI

@Suite struct StrictJSONTests {
    func code(_ body: String) -> String? {
        do { _ = try StrictJSON.check(Array(body.utf8)); return nil } catch { return error.code }
    }

    @Test func rfc8259TextsPass() throws {
        let members = try StrictJSON.check(Array(#" {"a": [1, -2.5e3, true, false, null, {"b": {}}], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "n": -0, "amount": 12} "#.utf8))
        #expect(members["amount"] == .number("12"))
        #expect(members["n"] == .number("-0"))
        #expect(members["s"] == .other)
        #expect(members.count == 4)
        #expect(try StrictJSON.check(Array("{}".utf8)).isEmpty)
        #expect(try StrictJSON.check(Array("{\"é\":\"ü\"}".utf8)).keys.first == "é")
    }

    @Test func whatFoundationWouldLetThroughIsRefused() {
        let bad = [
            #"{"amount": 100, "amount": 900}"#,                  // a duplicate key
            #"{"amount": 100, "\u0061mount": 900}"#,             // …spelt with an escape
            #"{"cardInfo": {"barcode": "1", "barcode": "2"}}"#,  // …in a nested object
            #"{"amount": 100,}"#, #"{"a": [1, 2,]}"#, #"{,}"#, #"[1]"#, #""x""#, "",
            #"{"amount": 012}"#, #"{"amount": 1.}"#, #"{"amount": .5}"#, #"{"amount": +1}"#, #"{"amount": 1e}"#,
            #"{"amount": NaN}"#, #"{"amount": Infinity}"#, #"{'a': 1}"#, #"{a: 1}"#, #"{"a": 1} {"b": 2}"#,
            "{\"a\": \"tab\tinside\"}", #"{"a": "\x41"}"#, #"{"a": "\ud800"}"#, #"{"a": "\u12"}"#, #"{"a": tru}"#,
            #"{"a": 1 /* comment */}"#, "{\"a\": 1}\u{0}", #"{"a": "unterminated}"#, #"{"a" 1}"#,
            String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
        ]
        for body in bad {
            #expect(code(body) == "malformed_json", "\(body)")
        }
        // Not UTF-8.
        #expect(throws: APIError.self) { try StrictJSON.check([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]) }
        let nested = String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40)
        #expect(code(nested) == "malformed_json")
    }

    @Test func theErrorSaysWhatAndWhere() {
        do {
            _ = try StrictJSON.check(Array(#"{"amount": 100, "amount": 900}"#.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.status == .badRequest)
            #expect(error.message == "the request body is not JSON: the member 'amount' appears twice (at byte 16)")
        }
    }

    func moneyCode(_ body: String, limits: MoneyLimits = MoneyLimits(maximumPerOperation: 1_000_000)) -> String? {
        do { _ = try GiftOperationRequest.decodeStrictly(Data(body.utf8), limits: limits); return nil } catch { return error.code }
    }

    @Test func amountsAreIntegersWrittenAsIntegers() {
        for literal in ["2.99999999999999999", "12.0", "1e2", "1E2", "100e-2", "0.5", "-0.0", "1.0e0"] {
            #expect(moneyCode(#"{"cardInfo":{"printedCardNumber":"1"},"amount":\#(literal)}"#) == "invalid_amount", "\(literal)")
        }
        #expect(moneyCode(#"{"amount":0}"#) == "invalid_amount")
        #expect(moneyCode(#"{"amount":-5}"#) == "invalid_amount")
        #expect(moneyCode(#"{"amount":5,"tip":-1}"#) == "invalid_amount")
        #expect(moneyCode(#"{"amount":5,"tip":0}"#) == nil)
        #expect(moneyCode(#"{"amount":1000000}"#) == nil)
        // Past the ceiling: 422; past what a JSON client reads exactly, or Int64: 400.
        #expect(moneyCode(#"{"amount":1000001}"#) == "amount_too_large")
        #expect(moneyCode(#"{"amount":9007199254740991}"#, limits: MoneyLimits(maximumPerOperation: .max)) == nil)
        #expect(moneyCode(#"{"amount":9007199254740992}"#, limits: MoneyLimits(maximumPerOperation: .max)) == "invalid_amount")
        #expect(moneyCode(#"{"amount":1000000000000000000}"#) == "invalid_amount")
        #expect(moneyCode(#"{"amount":99999999999999999999999}"#) == "invalid_amount")
        // A string is the decoder's to name.
        #expect(moneyCode(#"{"amount":"5"}"#) == "invalid_field")
    }

    @Test func everyRequestThatCarriesMoneySaysWhichMembers() {
        #expect(GiftOperationRequest.moneyFields.keys.sorted() == ["amount", "tip"])
        #expect(HoldRequest.moneyFields.keys.sorted() == ["amount"])
        #expect(NewCardRequest.moneyFields.keys.sorted() == ["balance", "maximumBalance"])
        #expect(PrepaidTransactionRequest.moneyFields.keys.sorted() == ["amount"])
        // Prepaid amounts are signed: not zero, at most the ceiling either way.
        func prepaid(_ amount: String) -> String? {
            do { _ = try PrepaidTransactionRequest.decodeStrictly(Data(#"{"shopUuid":"s","amount":\#(amount)}"#.utf8), limits: MoneyLimits(maximumPerOperation: 100)); return nil } catch { return error.code }
        }
        #expect(prepaid("-100") == nil)
        #expect(prepaid("-101") == "amount_too_large")
        #expect(prepaid("0") == "invalid_amount")
        #expect(prepaid("-1.5") == "invalid_amount")
        // A card's maximum may be above one operation's ceiling, not above 2^53 - 1.
        func card(_ body: String) -> String? {
            do { _ = try NewCardRequest.decodeStrictly(Data(body.utf8), limits: MoneyLimits(maximumPerOperation: 100)); return nil } catch { return error.code }
        }
        #expect(card(#"{"number":"123456","maximumBalance":5000}"#) == nil)
        #expect(card(#"{"number":"123456","maximumBalance":0}"#) == nil)
        #expect(card(#"{"number":"123456","maximumBalance":9007199254740992}"#) == "invalid_amount")
        #expect(card(#"{"number":"123456","balance":101}"#) == "amount_too_large")
    }
}
