import Testing

@testable import CardReading

@Suite struct MagTekHIDTests {
    @Test func reportsDecodeToSwipes() throws {
        let both = MagTekHIDReport.make(track1: "%B6035710000000000^GIFT/CARD^4912120000000000000?", track2: ";6035710000000000=49121200?")
        #expect(both.count == 337)
        let swipe = try MagTekHIDReport.decode(both).get()
        #expect(swipe.goodTracks == [1, 2])
        #expect(try swipe.cardInfo().get().trackInfo == "6035710000000000=49121200")
        // Track 1 unreadable, track 2 good: keep track 2.
        let t1bad = try MagTekHIDReport.decode(MagTekHIDReport.make(track2: ";6035710000000000=49121200?", errors: [true, false, false])).get()
        #expect(t1bad.track1 == .unreadable)
        #expect(t1bad.goodTracks == [2])
        #expect(MagTekHIDReport.decode(MagTekHIDReport.make(errors: [true, true, false])) == .failure(.readError))
        #expect(MagTekHIDReport.decode(MagTekHIDReport.make()) == .failure(.empty))
        #expect(MagTekHIDReport.decode(MagTekHIDReport.make(track2: ";6035A10000000000=4912?")) == .failure(.invalidCharacter(track: 2)))
        #expect(MagTekHIDReport.decode(MagTekHIDReport.make(track2: ";6035710000000000=4912")) == .failure(.missingEndSentinel(track: 2)))
        #expect(MagTekHIDReport.decode([UInt8](repeating: 0, count: 64)) == .failure(.unexpectedCharacter(offset: 0)))
    }

    @Test func arbitraryBytesNeverCrashTheDecoders() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var report = (0..<337).map { _ in UInt8.random(in: 0...255, using: &g) }
            report[3] = UInt8.random(in: 0...120, using: &g)
            _ = MagTekHIDReport.decode(report)
            let text = String(decoding: (0..<Int.random(in: 0...80, using: &g)).map { _ in UInt8.random(in: 0...127, using: &g) }, as: UTF8.self)
            _ = MagstripeDecoder(lrc: .auto).decode(text)
            _ = BarcodeDecoder().decode("]C1" + text)
            _ = WalletPassDecoder().decode(Array(text.utf8))
            var wedge = WedgeAssembler()
            let events = InputEvent.parse((0..<240).map { _ in UInt8.random(in: 0...255, using: &g) }).events
            _ = wedge.feed(events)
        }
    }
}
