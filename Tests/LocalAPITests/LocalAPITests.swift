import CardReading
import Foundation
import Testing

@testable import LocalAPI

@Suite struct EventBusTests {
    struct Payload: Encodable { var n: Int }

    @Test func subscribersGetEventsInOrderWithIncreasingIds() async {
        let bus = EventBus()
        let stream = bus.subscribe()
        bus.publish("a", Payload(n: 1))
        bus.publish("b", Payload(n: 2))
        bus.close()
        var got: [APIEvent] = []
        for await e in stream { got.append(e) }
        #expect(got.map(\.type) == ["a", "b"])
        #expect(got.map(\.id) == [1, 2])
        #expect(got[0].json == "{\"n\":1}")
        #expect(got[1].sse == "id: 2\nevent: b\ndata: {\"n\":2}\n\n")
        #expect(bus.publish("c", Payload(n: 3)) == nil)
    }

    @Test func resumeAfterLastEventIdReplaysWhatWasMissed() async {
        let bus = EventBus(replayCapacity: 3)
        for i in 1...5 { bus.publish("e", Payload(n: i)) }
        let stream = bus.subscribe(after: 3)
        bus.close()
        var ids: [UInt64] = []
        for await e in stream { ids.append(e.id) }
        #expect(ids == [4, 5])
    }

    @Test func aSlowSubscriberIsCutOffWithoutBlockingOthers() async {
        let bus = EventBus(subscriberBuffer: 4)
        let slow = bus.subscribe()
        #expect(bus.subscriberCount == 1)
        for i in 1...10 { bus.publish("e", Payload(n: i)) }
        // The publisher never waited; the slow stream ends after what fitted its buffer.
        #expect(bus.subscriberCount == 0)
        var count = 0
        for await _ in slow { count += 1 }
        #expect(count == 4)
    }
}

@Suite struct StrictDecodingTests {
    @Test func decodesAValidBalanceRequest() throws {
        let r = try BalanceRequest.decodeStrictly(Data(#"{"cardInfo":{"printedCardNumber":"6035710000000000"},"printReceipt":true}"#.utf8))
        #expect(r.cardInfo?.printedCardNumber == "6035710000000000")
        #expect(r.printReceipt == true)
    }

    @Test func refusesUnknownFieldsByName() {
        #expect(throws: APIError(.badRequest, "unknown_field", "unknown field 'cardNumber'; expected one of cardInfo, cashier, checkNumber, printReceipt, readId, storeCode, terminalId")) {
            try BalanceRequest.decodeStrictly(Data(#"{"cardNumber":"1"}"#.utf8))
        }
        do {
            _ = try BalanceRequest.decodeStrictly(Data(#"{"cardInfo":{"pan":"1"}}"#.utf8))
            Issue.record("accepted cardInfo.pan")
        } catch {
            #expect(error.code == "unknown_field")
            #expect(error.message.contains("cardInfo.pan"))
        }
    }

    @Test func malformedBodiesAreTypedErrors() {
        func code(_ body: String) -> String? {
            do { _ = try BalanceRequest.decodeStrictly(Data(body.utf8)); return nil } catch { return error.code }
        }
        #expect(code("not json") == "malformed_json")
        #expect(code("[1,2]") == "malformed_json")
        #expect(code(#"{"printReceipt":"yes"}"#) == "invalid_field")
        #expect(code(#"{"cardInfo":{"printedCardNumber":5}}"#) == "invalid_field")
        #expect(code("{}") == nil)
        do {
            _ = try SimulateSwipeRequest.decodeStrictly(Data("{}".utf8))
            Issue.record("accepted a swipe without text")
        } catch {
            #expect(error.code == "missing_field")
            #expect(error.message.contains("'text'"))
        }
    }
}
