import Testing

@testable import Ledger

@Suite struct MoneyTests {
    let eur = Currency.eur

    @Test func parsesVendorDecimalsExactly() throws {
        #expect(try Money.parse("25.00", currency: eur).minorUnits == 2500)
        #expect(try Money.parse("25", currency: eur).minorUnits == 2500)
        #expect(try Money.parse("25.5", currency: eur).minorUnits == 2550)
        #expect(try Money.parse("0.10", currency: eur).minorUnits == 10)
        #expect(try Money.parse("-3.10", currency: eur).minorUnits == -310)
        #expect(try Money.parse("€40.00", currency: eur).minorUnits == 4000)
        #expect(try Money.parse("-€3.10", currency: eur).minorUnits == -310)
        #expect(try Money.parse("40.00 EUR", currency: eur).minorUnits == 4000)
        #expect(try Money.parse("EUR 40.00", currency: eur).minorUnits == 4000)
        #expect(try Money.parse(" 1.230 ", currency: eur).minorUnits == 123)
        #expect(try Money.parse("1500", currency: Currency(code: "JPY")!).minorUnits == 1500)
        #expect(try Money.parse("1.234", currency: Currency(code: "KWD")!).minorUnits == 1234)
        // 0.1 + 0.2 style drift cannot happen: each is exact.
        let sum = try Money.parse("0.1", currency: eur).minorUnits + Money.parse("0.2", currency: eur).minorUnits
        #expect(sum == 30)
    }

    @Test func refusesWhatIsNotExact() {
        #expect(throws: Money.ParseError.tooManyDecimals(allowed: 2)) { try Money.parse("1.005", currency: eur) }
        #expect(throws: Money.ParseError.tooManyDecimals(allowed: 0)) { try Money.parse("1.5", currency: Currency(code: "JPY")!) }
        for bad in ["", "abc", "1,00", "1.", ".5", "1.2.3", "--1", "1e3", "+1", " "] {
            #expect(throws: Money.ParseError.malformed, "\(bad)") { try Money.parse(bad, currency: eur) }
        }
        #expect(throws: Money.ParseError.currencyMismatch(found: "USD")) { try Money.parse("5.00 USD", currency: eur) }
        #expect(throws: Money.ParseError.outOfRange) { try Money.parse("99999999999999999999", currency: eur) }
    }

    @Test func formats() {
        #expect(Money(minorUnits: 2500, currency: eur).decimalString == "25.00")
        #expect(Money(minorUnits: 5, currency: eur).decimalString == "0.05")
        #expect(Money(minorUnits: -310, currency: eur).decimalString == "-3.10")
        #expect(Money(minorUnits: 1500, currency: Currency(code: "JPY")!).decimalString == "1500")
        #expect(Money(minorUnits: 2500, currency: eur).displayString == "€25.00")
        #expect(Money(minorUnits: -310, currency: eur).displayString == "-€3.10")
        #expect(Money(minorUnits: 2500, currency: Currency(code: "SEK")!).displayString == "25.00 SEK")
        #expect(Money(minorUnits: Int64.min, currency: eur).decimalString == "-92233720368547758.08")
    }

    @Test func roundTrips() throws {
        for minor: Int64 in [0, 1, 9, 10, 99, 100, 101, 123_456_789, -1, -100] {
            let m = Money(minorUnits: minor, currency: eur)
            #expect(try Money.parse(m.decimalString, currency: eur) == m)
            #expect(try Money.parse(m.displayString, currency: eur) == m)
        }
    }

    @Test func currencyCodes() {
        #expect(Currency(code: "eur") == .eur)
        #expect(Currency(code: "EURO") == nil)
        #expect(Currency(code: "E1R") == nil)
    }
}

@Suite struct SHA256Tests {
    @Test func nistVectors() {
        #expect(SHA256.hash([]).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)).hexString
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hmacRFC4231() {
        #expect(SHA256.hmac(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)).hexString
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)).hexString
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block size.
        #expect(SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131), message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)).hexString
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}

@Suite struct CardKeyerTests {
    let keyer = CardKeyer(key: Array("0123456789abcdef0123456789abcdef".utf8))

    @Test func keysDependOnNumberAndSecret() {
        let a = keyer.key(forCardNumber: "6035710000000000")
        #expect(a.count == 64)
        #expect(a == keyer.key(forCardNumber: "6035 7100 0000 0000"))
        #expect(a != keyer.key(forCardNumber: "6035710000000001"))
        #expect(a != CardKeyer(key: Array("another key of sixteen+".utf8)).key(forCardNumber: "6035710000000000"))
        #expect(!a.contains("6035710000000000"))
    }

    @Test func cardNumberFromEachIdentifier() throws {
        #expect(try CardKeyer.cardNumber(in: .init(printedCardNumber: "123")) == "123")
        #expect(try CardKeyer.cardNumber(in: .init(trackInfo: "6035710000000000=4912")) == "6035710000000000")
        #expect(try CardKeyer.cardNumber(in: .init(barcode: "6035710000000000")) == "6035710000000000")
        #expect(throws: LedgerError.unsupportedIdentifier(["phoneNumber"])) { try CardKeyer.cardNumber(in: .init(phoneNumber: "+15551234567")) }
        #expect(throws: LedgerError.self) { try CardKeyer.cardNumber(in: .init(trackInfo: "nonsense")) }
        #expect(throws: LedgerError.self) { try CardKeyer.cardNumber(in: .init(cardRegCode: "1234")) }
        #expect(throws: LedgerError.self) { try CardKeyer.cardNumber(in: .init(printedCardNumber: "")) }
    }
}
