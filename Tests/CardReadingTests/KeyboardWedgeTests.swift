import Testing

@testable import CardReading

/// Key events as a reader set up for `layout` sends them for `text`, 2 ms apart.
func keyEvents(_ text: String, layout name: String, gapMicros: Int64 = 2_000, terminator: UInt16? = 28) -> [InputEvent] {
    let layout = KeyboardLayout.named(name)!
    var events: [InputEvent] = []
    var t: Int64 = 1_000_000
    func key(_ code: UInt16, _ value: Int32) {
        events.append(InputEvent(seconds: t / 1_000_000, microseconds: t % 1_000_000, type: 1, code: code, value: value))
        events.append(InputEvent(seconds: t / 1_000_000, microseconds: t % 1_000_000, type: 0, code: 0, value: 0))
    }
    for ch in text {
        var found: (UInt16, Bool, Bool)?
        search: for code in UInt16(2)...UInt16(86) {
            for (shift, altGr) in [(false, false), (true, false), (false, true), (true, true)]
            where layout.text(code: code, shift: shift, altGr: altGr, caps: false) == String(ch) {
                found = (code, shift, altGr)
                break search
            }
        }
        let (code, shift, altGr) = found!
        if shift { key(42, 1) }
        if altGr { key(100, 1) }
        key(code, 1)
        key(code, 0)
        if altGr { key(100, 0) }
        if shift { key(42, 0) }
        t += gapMicros
    }
    if let terminator {
        key(terminator, 1)
        key(terminator, 0)
    }
    return events
}

@Suite struct KeyboardWedgeTests {
    let us = KeyboardLayout.named("us")!
    let de = KeyboardLayout.named("de")!

    func reads(_ events: [InputEvent]) -> [WedgeRead] {
        var a = WedgeAssembler()
        return a.feed(events).compactMap { if case .read(let r) = $0 { r } else { nil } }
    }

    @Test func inputEventsRoundTripThroughTheirBytes() {
        let e = InputEvent(seconds: 1_763_700_000, microseconds: 123_456, type: 1, code: 39, value: 1)
        #expect(e.bytes.count == 24)
        let (parsed, consumed) = InputEvent.parse(e.bytes + e.bytes + [1, 2, 3])
        #expect(parsed == [e, e])
        #expect(consumed == 48)
        #expect(InputEvent.parse(Array(e.bytes.prefix(23))).events.isEmpty)
    }

    @Test func aUSReaderOnAUSLayoutGivesTheSwipe() throws {
        let r = try #require(reads(keyEvents(";6035710000000000=49121200?", layout: "us")).first)
        #expect(r.text(us) == ";6035710000000000=49121200?")
        #expect(!r.looksTypedByHand())
        let swipe = try MagstripeDecoder().decode(r, layout: us).get()
        #expect(try swipe.cardInfo().get().trackInfo == "6035710000000000=49121200")
    }

    @Test func theWrongLayoutIsNamed() throws {
        // A US reader read as if it typed German: ö6035710000000000´4912120_
        let r = try #require(reads(keyEvents(";6035710000000000=49121200?", layout: "us")).first)
        #expect(r.text(de).hasPrefix("ö6035710000000000"))
        #expect(MagstripeDecoder().decode(r, layout: de) == .failure(.layoutMismatch(layout: "us")))
        // The research vector for us → fr.
        #expect(KeyboardLayout.named("fr")!.render(r.strokes) == "m-à\"(è&àààààààààà='ç&é&éàà§")
        // A German reader read as US: <6035710000000000)4912120_ → names de (or a layout that types alike).
        let g = try #require(reads(keyEvents(";6035710000000000=49121200?", layout: "de")).first)
        #expect(g.text(us).hasPrefix("<6035710000000000)"))
        guard case .failure(.layoutMismatch(let name)) = MagstripeDecoder().decode(g, layout: us) else {
            Issue.record("no layout mismatch")
            return
        }
        #expect(["de", "ch", "es"].contains(name))
        #expect(try MagstripeDecoder().decode(g, layout: de).get().goodTracks == [2])
    }

    @Test func track1WithADeadCaretOnAGermanReader() throws {
        // Readers set up for German send ^ as the dead key followed by a space.
        var events = keyEvents("%B6035710000000000", layout: "de", terminator: nil)
        events += [InputEvent(type: 1, code: 41, value: 1), InputEvent(type: 1, code: 41, value: 0), InputEvent(type: 1, code: 57, value: 1), InputEvent(type: 1, code: 57, value: 0)]
        events += keyEvents("GIFT/CARD", layout: "de", terminator: nil)
        events += [InputEvent(type: 1, code: 41, value: 1), InputEvent(type: 1, code: 41, value: 0), InputEvent(type: 1, code: 57, value: 1), InputEvent(type: 1, code: 57, value: 0)]
        events += keyEvents("4912120000000000000?", layout: "de")
        let r = try #require(reads(events).first)
        #expect(r.text(de) == "%B6035710000000000^GIFT/CARD^4912120000000000000?")
        #expect(try MagstripeDecoder().decode(r, layout: de).get().goodTracks == [1])
    }

    @Test func modifiersRepeatsAndDroppedEvents() {
        var a = WedgeAssembler()
        // Caps Lock on: letters come out upper case, Shift inverts it.
        let caps: [InputEvent] = [InputEvent(type: 1, code: 58, value: 1), InputEvent(type: 1, code: 58, value: 0),
                                  InputEvent(type: 1, code: 30, value: 1), InputEvent(type: 1, code: 30, value: 2), InputEvent(type: 1, code: 30, value: 0),
                                  InputEvent(type: 1, code: 28, value: 1)]
        guard case .read(let r) = a.feed(caps).first else { Issue.record("no read"); return }
        #expect(r.text(us) == "A")  // the autorepeat (value 2) added nothing
        // SYN_DROPPED throws the partial read away, says so once, and ignores the rest of that
        // read up to its terminator: the tail is never published as a read of its own.
        _ = a.feed(keyEvents("123", layout: "us", terminator: nil))
        #expect(a.hasPartialRead)
        #expect(a.feed([InputEvent(type: 0, code: 3, value: 0)]) == [.keysLost])
        #expect(!a.hasPartialRead)
        #expect(a.feed([InputEvent(type: 0, code: 3, value: 0)]).isEmpty)
        #expect(a.feed(keyEvents("4567", layout: "us")).isEmpty)
        // A Shift release lost in the drop does not shift the next read.
        _ = a.feed([InputEvent(type: 1, code: 42, value: 1), InputEvent(type: 0, code: 3, value: 0)])
        #expect(a.flush() == nil)  // the idle end closes the dropped read, without a result
        guard case .read(let after) = a.feed(keyEvents("89", layout: "us")).first else { Issue.record("no read after the drop"); return }
        #expect(after.text(us) == "89")
        // Alt + numpad 0 2 9 is GS (FNC1 in GS1 data); Ctrl+] too.
        let alt: [InputEvent] = [InputEvent(type: 1, code: 56, value: 1), InputEvent(type: 1, code: 82, value: 1), InputEvent(type: 1, code: 80, value: 1),
                                 InputEvent(type: 1, code: 73, value: 1), InputEvent(type: 1, code: 56, value: 0),
                                 InputEvent(type: 1, code: 29, value: 1), InputEvent(type: 1, code: 27, value: 1), InputEvent(type: 1, code: 29, value: 0),
                                 InputEvent(type: 1, code: 15, value: 1)]
        guard case .read(let g) = a.feed(alt).first else { Issue.record("no read"); return }
        #expect(g.text(us) == "\u{1D}\u{1D}")
    }

    @Test func aPersonTypingIsToldApartFromAReader() throws {
        let typed = try #require(reads(keyEvents("6035710000000000", layout: "us", gapMicros: 180_000)).first)
        #expect(typed.looksTypedByHand())
        let burst = try #require(reads(keyEvents("6035710000000000", layout: "us", gapMicros: 4_000)).first)
        #expect(!burst.looksTypedByHand())
    }

    @Test func idleFlushAndOverflow() {
        var a = WedgeAssembler(maximumStrokes: 4)
        #expect(a.feed(keyEvents("12", layout: "us", terminator: nil)).isEmpty)
        #expect(a.flush()?.text(us) == "12")
        #expect(a.flush() == nil)
        #expect(a.feed(keyEvents("123456", layout: "us", terminator: nil)).contains(.overflow))
    }

    @Test func everyLayoutTypesDigits() {
        for name in KeyboardLayout.names {
            let layout = KeyboardLayout.named(name)!
            let digits = (2...11).map { layout.text(code: UInt16($0), shift: false, altGr: false, caps: false) + layout.text(code: UInt16($0), shift: true, altGr: false, caps: false) }
            #expect(digits.joined().filter(\.isNumber).count == 10, "\(name)")
        }
    }

    /// Found by the fuzzer: key events with wildly different times made the gap arithmetic
    /// overflow (a trap). Now they are only a large gap.
    @Test func eventTimesThatOverflowDoNotCrash() {
        let input: [UInt8] = [0x5d, 0x43, 0x31, 0x33, 0x34, 0x33, 0x35, 0x32, 0xff, 0x2c, 0xff, 0xff, 0xff, 0xff, 0x31, 0x30, 0x01, 0x00, 0x00, 0x30, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xdf, 0xc9, 0xcc, 0xca, 0xcd, 0x00, 0xd9, 0xff, 0xff, 0xff, 0xff, 0x31, 0x30, 0x01, 0x00, 0x00, 0x30, 0x01, 0x00, 0x00, 0x00, 0x30, 0x30, 0x30, 0xff, 0xff, 0xff]
        var a = WedgeAssembler()
        let outputs = a.feed(InputEvent.parse(input).events)
        _ = a.flush()
        var b = WedgeAssembler()
        let late = InputEvent(seconds: Int64.max / 1_000_000, microseconds: 999_999, type: 1, code: 2, value: 1)
        let early = InputEvent(seconds: Int64.min / 1_000_000, microseconds: 0, type: 1, code: 3, value: 1)
        _ = b.feed([late, early, late])
        #expect(b.flush() != nil)
        _ = outputs
    }
}
