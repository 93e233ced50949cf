import CardReading
import Foundation
import Testing

@testable import Daemon

/// Read ids for "the card just swiped": once, for a short time, a bounded number.
@Suite struct RecentReadsTests {
    @Test func aReadIsUsableUntilConsumedOrExpired() throws {
        let reads = RecentReads(lifetime: .milliseconds(200))
        let card = CardInfo(printedCardNumber: "6035710000000000")
        let id = reads.insert(card)
        #expect(reads.card(id) == card)
        reads.consume(id)
        #expect(reads.card(id) == nil)
        let other = reads.insert(card)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(reads.card(other) == nil)
        #expect(reads.count == 0)
    }

    @Test func theOldestGoFirstWhenFull() {
        let reads = RecentReads(capacity: 3)
        let ids = (0..<5).map { reads.insert(CardInfo(printedCardNumber: "603571000000000\($0)")) }
        #expect(reads.count == 3)
        #expect(reads.card(ids[0]) == nil)
        #expect(reads.card(ids[1]) == nil)
        #expect(reads.card(ids[4])?.printedCardNumber == "6035710000000004")
        // Many more: memory stays bounded.
        for i in 0..<5000 { _ = reads.insert(CardInfo(printedCardNumber: "\(i)")) }
        #expect(reads.count == 3)
    }
}
