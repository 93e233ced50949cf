import Testing

@testable import CardReading

@Suite struct PaymentCardTests {
    /// The networks' published test numbers (and a few of each range's edges).
    static let samples: [(String, PaymentCardNetwork)] = [
        ("4111111111111111", .visa), ("4012888888881881", .visa), ("4222222222222", .visa), ("4111111111111111110", .visa),
        ("5555555555554444", .mastercard), ("5105105105105100", .mastercard),
        ("2221000000000009", .mastercard), ("2223003122003222", .mastercard), ("2720999999999996", .mastercard),
        ("378282246310005", .amex), ("371449635398431", .amex), ("340000000000009", .amex),
        ("6011111111111117", .discover), ("6011000990139424", .discover), ("6445644564456445", .discover), ("6500000000000002", .discover),
        ("3530111333300000", .jcb), ("3566002020360505", .jcb), ("3589000000000000", .jcb),
        ("30569309025904", .diners), ("38520000023237", .diners), ("36227206271667", .diners),
        ("6200000000000005", .unionpay), ("6250941006528599", .unionpay), ("8171999927660000", .unionpay),
        ("6759649826438453", .maestro), ("5018000000000009", .maestro), ("6304000000000000", .maestro), ("501800000009", .maestro),
        ("2200000000000004", .mir),
    ]

    @Test func everyNetworksNumbersAreRecognised() {
        for (number, network) in Self.samples {
            #expect(PaymentCardRanges.network(of: Array(number.utf8)) == network, "\(number)")
        }
    }

    @Test func giftCardNumbersAreNot() {
        // The demo cards, Paytronix-style and Givex-style gift numbers, short codes, the edges
        // just outside the Mastercard 2-series, and a Visa prefix with a length Visa never issues.
        for number in ["6035710000000000", "6006491000000000018", "6035710000000028", "7777000011112222", "1234", "GIFT-0001",
                       "2220999999999999", "2721000000000000", "41111111", "411111111111111111111", "3400000000000009"] {
            #expect(PaymentCardRanges.network(of: Array(number.utf8)) == nil, "\(number)")
            #expect(throws: Never.self) { try PaymentCardGuard().check(number: number, field: "n") }
        }
    }

    @Test func theGuardRefusesWithTheMaskedNumberOnly() {
        let guard_ = PaymentCardGuard()
        #expect(throws: CardRefusal.paymentCard(.visa, masked: "411111******1111", field: "n")) {
            try guard_.check(number: "4111 1111-1111 1111", field: "n")
        }
        do {
            try guard_.check(CardInfo(trackInfo: "4111111111111111=29121010000000000000"))
            Issue.record("track data passed")
        } catch {
            #expect(error.code == "payment_card")
            #expect(!error.description.contains("4111111111111111"))
            #expect(!error.description.contains("2912"))
            #expect(error.description.contains("411111******1111"))
        }
        // Track data that is not track 2 (a POS sending track 1, or sentinels) is still read.
        #expect(throws: CardRefusal.self) { try guard_.check(CardInfo(trackInfo: "B5555555555554444^DOE/JANE^2912")) }
        #expect(throws: CardRefusal.self) { try guard_.check(CardInfo(trackInfo: ";378282246310005=2912?")) }
        #expect(throws: CardRefusal.self) { try guard_.check(CardInfo(barcode: "6011111111111117")) }
        #expect(throws: CardRefusal.self) { try guard_.check(CardInfo(accountToken: "3530111333300000")) }
        #expect(throws: CardRefusal.self) { try guard_.check(CardInfo(printedCardNumber: "6035710000000000", barcode: "4111111111111111")) }
        #expect(throws: Never.self) { try guard_.check(CardInfo(printedCardNumber: "6035710000000000", trackInfo: "6035710000000000=49121200")) }
    }

    @Test func theShopsRangesComeFirstAndBoundWhatIsAGiftCard() throws {
        let ranges = try ["603571:16", "600649:16-19", "4000"].map { try #require(GiftCardRange(parsing: $0)) }
        #expect(ranges.map(\.description) == ["603571:16", "600649:16-19", "4000"])
        let guard_ = PaymentCardGuard(giftCardRanges: ranges)
        // A gift range inside Visa's: the shop's word wins.
        #expect(throws: Never.self) { try guard_.check(number: "4000123412341234", field: "n") }
        #expect(throws: Never.self) { try guard_.check(number: "6035710000000000", field: "n") }
        #expect(throws: Never.self) { try guard_.check(number: "6006491000000000018", field: "n") }
        // Outside them: a payment card is still a payment card; anything else is not a gift card.
        #expect(throws: CardRefusal.paymentCard(.visa, masked: "411111******1111", field: "n")) { try guard_.check(number: "4111111111111111", field: "n") }
        #expect(throws: CardRefusal.outsideGiftCardRanges(masked: "********0000", field: "n")) { try guard_.check(number: "603571000000", field: "n") }
        #expect(throws: CardRefusal.outsideGiftCardRanges(masked: "777700******2222", field: "n")) { try guard_.check(number: "7777000011112222", field: "n") }
        for bad in ["", ":16", "6035:", "6035:0", "6035:19-16", "6035:2", "60 35", "6035:1-65", "６０３５"] {
            #expect(GiftCardRange(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func aSwipeKeepsNoCardholderName() throws {
        let swipe = try MagstripeDecoder().decode("%B4111111111111111^DOE/JOHN Q^2912101000000000000?;4111111111111111=29121010000000000000?").get()
        #expect(!String(reflecting: swipe).contains("DOE"))
        guard case .ok(let t1) = swipe.track1 else { Issue.record("no track 1"); return }
        #expect(t1.hasName)
        let unnamed = try MagstripeDecoder().decode("%B6035710000000000^ ^4912120?").get()
        guard case .ok(let u1) = unnamed.track1 else { Issue.record("no track 1"); return }
        #expect(!u1.hasName)
    }
}
