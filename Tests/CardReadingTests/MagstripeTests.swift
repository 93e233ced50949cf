import Testing

@testable import CardReading

@Suite struct MagstripeTests {
    let decoder = MagstripeDecoder()

    func track2(_ text: String, lrc: LRCMode = .absent) throws -> Track2 {
        let swipe = try MagstripeDecoder(lrc: lrc).decode(text).get()
        guard case .ok(let t2) = swipe.track2 else { throw SwipeError.readError }
        return t2
    }

    @Test func goodTrack2BecomesTrackInfoAndPrintedNumber() throws {
        let swipe = try decoder.decode(";6035710000000000=49121200?\r").get()
        let card = try swipe.cardInfo().get()
        #expect(card.trackInfo == "6035710000000000=49121200")
        #expect(card.printedCardNumber == "6035710000000000")
        #expect(card.cardRegCode == nil)
        let t2 = try track2(";6035710000000000=49121200?")
        #expect(t2.expiry == "4912")
        #expect(t2.serviceCode == "120")
        #expect(t2.discretionary == "0")
        #expect(t2.luhnValid)
    }

    @Test func giftStyleTrack2WithoutExpiryAndFailingLuhn() throws {
        let t2 = try track2(";6006491000000000018=1234?")
        #expect(t2.pan == "6006491000000000018")
        #expect(!t2.luhnValid)
        let iso = try track2(";6006491000000000018===1234?")
        #expect(iso.expiry == nil)
        #expect(iso.serviceCode == nil)
        #expect(iso.discretionary == "1234")
    }

    @Test func maximumLengthTrack2IsAcceptedOneMoreIsNot() throws {
        let max = ";1111111111111111111=22222222222222222?"
        #expect(try track2(max).data.count == 37)
        #expect(decoder.decode(";1111111111111111111=222222222222222222?") == .failure(.trackTooLong(track: 2)))
        #expect(decoder.decode(";60357100000000001234=4912?") == .failure(.invalidPAN(track: 2)))
    }

    @Test func illegalCharactersAndMissingPartsAreTypedErrors() {
        #expect(decoder.decode(";6035A10000000000=4912?") == .failure(.invalidCharacter(track: 2)))
        #expect(decoder.decode(";6035710000000000=49121200") == .failure(.missingEndSentinel(track: 2)))
        #expect(decoder.decode(";6035710000000000?") == .failure(.missingFieldSeparator(track: 2)))
        #expect(decoder.decode("\r\n") == .failure(.empty))
        #expect(decoder.decode("hello") == .failure(.unexpectedCharacter(offset: 0)))
        #expect(decoder.decode("<6035710000000000)4912120_") == .failure(.unexpectedCharacter(offset: 0)))
        #expect(decoder.decode(";1?;2?") == .failure(.missingFieldSeparator(track: 2)))
    }

    @Test func lrcExamplesFromTheMagTekManual() {
        func lrc(_ s: String) -> Character { Character(LRC.compute(track: 2, framed: s.unicodeScalars)) }
        #expect(lrc(";0?") == "4")
        #expect(lrc(";01?") == "5")
        #expect(lrc(";0123?") == "4")
        #expect(lrc(";6035710000000000=49121200?") == "2")
        #expect(lrc(";6035710000000028=4912?") == ";")
        #expect(lrc(";6035710000000048=4912?") == "=")
        #expect(lrc(";6035710000000068=4912?") == "?")
        #expect(Character(LRC.compute(track: 1, framed: "%B6035710000000000^GIFT/CARD^4912120000000000000?".unicodeScalars)) == "D")
    }

    @Test func lrcIsVerifiedWhenTheReaderSendsIt() throws {
        #expect(try track2(";6035710000000000=49121200?2", lrc: .present).pan == "6035710000000000")
        #expect(MagstripeDecoder(lrc: .present).decode(";6035710000000000=49121200?3") == .failure(.lrcMismatch(track: 2)))
        #expect(MagstripeDecoder(lrc: .present).decode(";6035710000000000=49121200?") == .failure(.missingLRC(track: 2)))
        // An LRC that equals a sentinel is taken as the LRC when the reader is set to send one.
        #expect(try track2(";6035710000000068=4912??", lrc: .present).pan == "6035710000000068")
        #expect(try track2(";6035710000000028=4912?;", lrc: .present).pan == "6035710000000028")
        // auto: a correct LRC at the end is consumed, no LRC is fine too.
        #expect(try track2(";6035710000000000=49121200?2", lrc: .auto).pan == "6035710000000000")
        #expect(try track2(";6035710000000000=49121200?", lrc: .auto).pan == "6035710000000000")
    }

    @Test func fullMagTekSwipeWithTrack1() throws {
        let swipe = try decoder.decode("%B6035710000000000^GIFT/CARD^4912120000000000000?;6035710000000000=49121200?\r").get()
        guard case .ok(let t1) = swipe.track1 else { Issue.record("no track 1"); return }
        #expect(t1.formatCode == "B")
        #expect(t1.pan == "6035710000000000")
        // The cardholder name is never kept: not in the track, not anywhere in the swipe.
        #expect(t1.hasName)
        #expect(!String(reflecting: swipe).contains("GIFT"))
        #expect(t1.expiry == "4912")
        #expect(t1.serviceCode == "120")
        #expect(swipe.goodTracks == [1, 2])
        // Caps Lock lowered the format code.
        let lower = try decoder.decode("%b6035710000000000^GIFT/CARD^4912120000000000000?").get()
        guard case .ok(let l1) = lower.track1 else { Issue.record("no track 1"); return }
        #expect(l1.formatCode == "B")
    }

    @Test func errorTracksKeepTheGoodOnes() throws {
        let t1Bad = try decoder.decode("%E?;6035710000000000=49121200?\r").get()
        #expect(t1Bad.track1 == .unreadable)
        #expect(try t1Bad.cardInfo().get().trackInfo == "6035710000000000=49121200")

        let t2Bad = try decoder.decode("%B6035710000000000^GIFT/CARD^4912120?;E?\r").get()
        #expect(t2Bad.track2 == .unreadable)
        let card = try t2Bad.cardInfo().get()
        #expect(card.trackInfo == nil)
        #expect(card.printedCardNumber == "6035710000000000")

        #expect(decoder.decode("%E?;E?\r") == .failure(.readError))
        #expect(decoder.decode("%E?;E?+E?") == .failure(.readError))
        #expect(try decoder.decode("+1234567890?").get().cardInfo() == .failure(.noAccountTrack))
        #expect(decoder.decode(";1=1?;2=2?") == .failure(.duplicateTrack(track: 2)))
    }

    @Test func serialFramingIsIgnored() throws {
        let swipe = try decoder.decode("\u{02}\u{1B}%E?;6035710000000000=49121200?\r\u{03}").get()
        #expect(swipe.goodTracks == [2])
    }

    @Test func errorsCarryNoCardData() {
        let errors: [SwipeError] = [
            .empty, .readError, .unexpectedCharacter(offset: 3), .missingEndSentinel(track: 2), .trackTooLong(track: 1),
            .invalidCharacter(track: 2), .lrcMismatch(track: 2), .missingLRC(track: 1), .invalidPAN(track: 2),
            .missingFieldSeparator(track: 1), .duplicateTrack(track: 3), .noAccountTrack,
        ]
        #expect(Set(errors.map(\.reasonCode)).count == errors.count)
        for e in errors { #expect(!e.description.contains("6035")) }
    }
}

@Suite struct PANTests {
    @Test func maskingKeepsAtMostFirstSixAndLastFour() {
        #expect(PAN.mask("6035710000000000") == "603571******0000")
        #expect(PAN.mask("6006491000000000018") == "600649*********0018")
        #expect(PAN.mask("123456789012") == "********9012")
        #expect(PAN.mask("1234567") == "*******")
        #expect(PAN.mask("") == "")
    }

    @Test func luhn() {
        #expect(PAN.luhnValid("6035710000000000"))
        #expect(PAN.luhnValid("4111111111111111"))
        #expect(!PAN.luhnValid("4111111111111112"))
        #expect(!PAN.luhnValid("6006491000000000018"))
        #expect(!PAN.luhnValid("12a4"))
        #expect(!PAN.luhnValid("0"))
    }

    @Test func cardInfoDescriptionIsRedacted() {
        let card = CardInfo(printedCardNumber: "6035710000000000", trackInfo: "6035710000000000=4912", cardRegCode: "1234")
        #expect(card.description == "CardInfo(printedCardNumber,trackInfo,cardRegCode)")
        #expect(card.maskedCardNumber == "603571******0000")
        #expect(CardInfo(trackInfo: "6035710000000000=4912").maskedCardNumber == "603571******0000")
        #expect(CardInfo(cardRegCode: "1").isEmpty)
    }
}

@Suite struct ReadFramerTests {
    @Test func terminatorsSplitReads() {
        var f = ReadFramer()
        #expect(f.feed(Array(";123=4?\r\n;5".utf8)) == [.read(Array(";123=4?".utf8))])
        #expect(f.hasPartialRead)
        #expect(f.feed(Array("=6?".utf8)) == [])
        #expect(f.flush() == .read(Array(";5=6?".utf8)))
        #expect(!f.hasPartialRead)
        #expect(f.flush() == nil)
    }

    @Test func anOverlongReadIsDroppedToItsTerminator() {
        var f = ReadFramer(maximumLength: 8)
        #expect(f.feed(Array("0123456789abc".utf8)) == [])
        #expect(f.feed(Array("\r;1=2?\r".utf8)) == [.overflow, .read(Array(";1=2?".utf8))])
        var g = ReadFramer(maximumLength: 4)
        _ = g.feed(Array("123456".utf8))
        #expect(g.flush() == .overflow)
        #expect(!g.hasPartialRead)
    }
}
