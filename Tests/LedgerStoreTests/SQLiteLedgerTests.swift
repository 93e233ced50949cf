import CardReading
import Foundation
import Ledger
import Testing

@testable import LedgerSQLite

/// A ledger on a real SQLite file in a fresh directory.
final class LedgerFixture {
    let dir: String
    let ledger: SQLiteLedger
    let keyer = CardKeyer(key: Array("test key: sixteen bytes or more".utf8))

    init() throws {
        dir = NSTemporaryDirectory() + "ledger-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        ledger = try SQLiteLedger(path: dir + "/ledger.sqlite", keyer: keyer)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Every byte the database files hold.
    func fileBytes() -> [UInt8] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.flatMap { Array(FileManager.default.contents(atPath: dir + "/" + $0) ?? Data()) }
    }
}

@Suite struct SQLiteLedgerTests {
    let eur = Currency.eur

    @Test func balanceByPrintedNumberTrackAndBarcode() async throws {
        let f = try LedgerFixture()
        try f.ledger.addCard(number: "6035710000000000", balance: Money(minorUnits: 2500, currency: eur))
        for card in [
            CardInfo(printedCardNumber: "6035710000000000"),
            CardInfo(trackInfo: "6035710000000000=49121200"),
            CardInfo(barcode: "6035710000000000"),
        ] {
            let state = try await f.ledger.balance(of: card, context: .init())
            #expect(state.balance == Money(minorUnits: 2500, currency: eur))
            #expect(state.available.minorUnits == 2500)
            #expect(state.maskedNumber == "603571******0000")
            #expect(state.status == .active)
            #expect(state.form == .physical)
        }
    }

    @Test func unknownCardsAndBadIdentifiersAreTypedErrors() async throws {
        let f = try LedgerFixture()
        try f.ledger.addCard(number: "6035710000000000", balance: Money(minorUnits: 1, currency: eur))
        await #expect(throws: LedgerError.cardNotFound) { try await f.ledger.balance(of: CardInfo(printedCardNumber: "6035710000000001"), context: .init()) }
        await #expect(throws: LedgerError.unsupportedIdentifier(["phoneNumber"])) { try await f.ledger.balance(of: CardInfo(phoneNumber: "+1555"), context: .init()) }
        await #expect(throws: LedgerError.self) { try await f.ledger.balance(of: CardInfo(trackInfo: "60357=1=?"), context: .init()) }
        #expect(throws: LedgerError.alreadyExists("a card with this number")) {
            try f.ledger.addCard(number: "6035710000000000", balance: Money(minorUnits: 1, currency: eur))
        }
    }

    @Test func registrationCodeIsCheckedWhenGiven() async throws {
        let f = try LedgerFixture()
        try f.ledger.addCard(number: "6006491000000000018", balance: Money(minorUnits: 4000, currency: eur), registrationCode: "1234")
        try f.ledger.addCard(number: "6035710000000000", balance: Money(minorUnits: 100, currency: eur))
        #expect(try await f.ledger.balance(of: CardInfo(printedCardNumber: "6006491000000000018", cardRegCode: "1234"), context: .init()).balance.minorUnits == 4000)
        #expect(try await f.ledger.balance(of: CardInfo(printedCardNumber: "6006491000000000018"), context: .init()).balance.minorUnits == 4000)
        await #expect(throws: LedgerError.registrationCodeMismatch) {
            try await f.ledger.balance(of: CardInfo(printedCardNumber: "6006491000000000018", cardRegCode: "9999"), context: .init())
        }
        // A card without a code refuses any code rather than ignoring it.
        await #expect(throws: LedgerError.registrationCodeMismatch) {
            try await f.ledger.balance(of: CardInfo(printedCardNumber: "6035710000000000", cardRegCode: "1234"), context: .init())
        }
    }

    @Test func neitherCardNumbersNorCodesAreStored() async throws {
        let f = try LedgerFixture()
        try f.ledger.addCard(number: "6006491000000000018", balance: Money(minorUnits: 4000, currency: eur), registrationCode: "987654")
        _ = try await f.ledger.balance(of: CardInfo(printedCardNumber: "6006491000000000018"), context: .init())
        let bytes = f.fileBytes()
        #expect(!bytes.isEmpty)
        #expect(!bytes.containsSequence(Array("6006491000000000018".utf8)))
        #expect(!bytes.containsSequence(Array("987654".utf8)))
        #expect(bytes.containsSequence(Array("600649*********0018".utf8)))
    }

    @Test func constraintsAreTheLastLineOfDefence() async throws {
        let f = try LedgerFixture()
        #expect(throws: LedgerError.self) { try f.ledger.addCard(number: "1111222233334444", balance: Money(minorUnits: -1, currency: eur)) }
        #expect(throws: LedgerError.self) {
            try f.ledger.addCard(number: "1111222233335555", balance: Money(minorUnits: 500, currency: eur), maximumBalance: Money(minorUnits: 100, currency: eur))
        }
        #expect(throws: LedgerError.self) { try f.ledger.addCard(number: "1111222233336666", balance: Money(minorUnits: 1, currency: eur), expiresOn: "next year") }
        #expect(try await f.ledger.cardCount() == 0)
    }

    @Test func theLedgerSurvivesReopening() async throws {
        let f = try LedgerFixture()
        try f.ledger.addCard(number: "6035710000000000", status: .blocked, balance: Money(minorUnits: 999, currency: Currency(code: "GBP")!))
        let again = try SQLiteLedger(path: f.dir + "/ledger.sqlite", keyer: f.keyer)
        let state = try await again.balance(of: CardInfo(printedCardNumber: "6035710000000000"), context: .init())
        #expect(state.status == .blocked)
        #expect(state.balance.displayString == "£9.99")
        // Another key cannot find the card: the key is part of the lookup.
        let other = try SQLiteLedger(path: f.dir + "/ledger.sqlite", keyer: CardKeyer(key: Array("a different key, 16+ bytes".utf8)))
        await #expect(throws: LedgerError.cardNotFound) { try await other.balance(of: CardInfo(printedCardNumber: "6035710000000000"), context: .init()) }
    }

    @Test func anUnopenableFileIsAStorageFailure() {
        #expect(throws: LedgerError.self) { try SQLiteLedger(path: "/proc/no/such/dir/ledger.sqlite", keyer: CardKeyer(key: Array("sixteen bytes!!!".utf8))) }
    }
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { i in self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle }
    }
}
