import Testing

@testable import ESCPOS

/// The printable text of ESC/POS bytes: commands removed, bytes ≥ 0x80 read through the page
/// selected by the last `ESC t n` (Epson slot table). Enough to read a template's output back.
func printedText(_ bytes: [UInt8], profile: PrinterProfile) -> String {
    let slots = Dictionary(profile.codePages.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
    var page = CodePage.cp437
    var out = ""
    var i = 0
    func skip(_ n: Int) { i += n }
    while i < bytes.count {
        let b = bytes[i]
        switch b {
        case 0x1B:
            guard i + 1 < bytes.count else { return out }
            switch bytes[i + 1] {
            case 0x40: skip(2)
            case 0x74:
                if i + 2 < bytes.count, let p = slots[bytes[i + 2]] { page = p }
                skip(3)
            case 0x45, 0x2D, 0x61, 0x64, 0x21, 0x4A: skip(3)
            case 0x70: skip(5)
            case 0x1D:  // Star: ESC GS t n
                if i + 3 < bytes.count, bytes[i + 2] == 0x74, let p = slots[bytes[i + 3]] { page = p }
                skip(4)
            default: skip(2)
            }
        case 0x1D:
            guard i + 1 < bytes.count else { return out }
            switch bytes[i + 1] {
            case 0x21, 0x48, 0x68, 0x77: skip(3)
            case 0x56: skip(bytes.count > i + 2 && bytes[i + 2] >= 0x41 ? 4 : 3)
            case 0x28:  // GS ( k pL pH ...
                guard i + 4 < bytes.count else { return out }
                skip(5 + Int(bytes[i + 3]) + Int(bytes[i + 4]) * 256)
            case 0x6B:  // GS k m n data (m ≥ 65)
                guard i + 3 < bytes.count else { return out }
                skip(4 + Int(bytes[i + 3]))
            case 0x76:  // GS v 0 m xL xH yL yH data
                guard i + 7 < bytes.count else { return out }
                skip(8 + (Int(bytes[i + 4]) + Int(bytes[i + 5]) * 256) * (Int(bytes[i + 6]) + Int(bytes[i + 7]) * 256))
            default: skip(2)
            }
        default:
            if b == 0x0A { out += "\n" } else if let s = page.scalar(for: b) { out.unicodeScalars.append(s) }
            skip(1)
        }
    }
    return out
}

@Suite struct ReceiptTemplateTests {
    let shop = ReceiptShop(name: "Café Zürich", headerLines: ["Bahnhofstrasse 1"], footerLines: ["Merci!"], terminal: "T2")

    @Test func aRedeemReceiptSaysWhatHappened() {
        let doc = ReceiptDocument.transaction(.init(
            kind: "redeem", transactionId: "4821", maskedCardNumber: "603571******0000", amount: "€20.00", tip: "€2.00",
            previousBalance: "€60.00", newBalance: "€38.00", authCode: "A1B2C3", printedAt: "2026-11-21 14:05"))
        for profile in PrinterProfile.all {
            let bytes = doc.encode(shop: shop, profile: profile)
            let text = printedText(bytes, profile: profile)
            #expect(text.contains("Café Zürich"), "\(profile.name)")
            #expect(text.contains("Gift card payment"))
            let lines = text.split(separator: "\n").map(String.init)
            // Two-column lines fill the printer's width exactly.
            let amount = lines.first { $0.hasPrefix("Amount") }
            #expect(amount?.count == profile.columns, "\(profile.name): \(amount ?? "-")")
            #expect(amount?.hasSuffix("€20.00") == true, "\(profile.name): € must print")
            #expect(lines.contains { $0.hasPrefix("Tip") && $0.hasSuffix("€2.00") })
            #expect(lines.contains { $0.hasPrefix("Balance") && $0.hasSuffix("€38.00") })
            #expect(text.contains("Merci!"))
            #expect(bytes.suffix(4) == [0x1D, 0x56, 0x41, 0x03])
        }
    }

    @Test func everyKindHasATitleAndOptionalLinesStayOut() {
        let base = ReceiptDocument.TransactionData(kind: "exchange", transactionId: "7", maskedCardNumber: "600649*********0018", amount: "€15.50", newBalance: "€15.50", fromCard: "603571******0028", printedAt: "now")
        let text = printedText(ReceiptDocument.transaction(base).encode(shop: shop, profile: .generic58mm), profile: .generic58mm)
        #expect(text.contains("Gift card exchanged"))
        #expect(text.contains("From card"))
        #expect(!text.contains("Tip"))
        #expect(!text.contains("Previous balance"))
        for (kind, title) in [("sale", "Gift card sold"), ("reload", "Gift card reloaded"), ("reverse", "Transaction reversed"), ("cash-out", "Gift card cashed out"), ("whatever", "Gift card whatever")] {
            var d = base
            d.kind = kind
            #expect(d.title == title)
        }
    }

    @Test func holdAndBalanceReceipts() {
        let hold = ReceiptDocument.hold(.init(holdId: "h-42", maskedCardNumber: "603571******0000", amount: "€12.00", status: "NEEDS_CONFIRMATION", expiresAt: "14:35", printedAt: "14:05"))
        let text = printedText(hold.encode(shop: shop, profile: .epsonTMT88V), profile: .epsonTMT88V)
        #expect(text.contains("Gift card hold"))
        #expect(text.contains("needs confirmation"))
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("Held") && $0.hasSuffix("€12.00") })
        let balance = ReceiptDocument.balance(.init(maskedCardNumber: "603571******0000", balance: "€25.00", printedAt: "14:05", qr: "https://example.com/gc/0000"))
        let bytes = balance.encode(shop: shop, profile: .epsonTMT88V)
        #expect(printedText(bytes, profile: .epsonTMT88V).contains("€25.00"))
        // Native QR on this profile: GS ( k store and print.
        #expect(bytes.indices.contains { bytes[$0...].starts(with: [0x1D, 0x28, 0x6B]) })
    }
}

@Suite struct ReceiptDataTests {
    /// A stand-in for JSONDecoder: a dictionary of strings through Decodable.
    struct DictDecoder: Decoder {
        let values: [String: String]
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> { KeyedDecodingContainer(Keyed(values: values)) }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw DecodingError.typeMismatch([String].self, .init(codingPath: [], debugDescription: "")) }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { throw DecodingError.typeMismatch(String.self, .init(codingPath: [], debugDescription: "")) }

        struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
            let values: [String: String]
            var codingPath: [any CodingKey] = []
            var allKeys: [Key] { values.keys.compactMap { Key(stringValue: $0) } }
            func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }
            func decodeNil(forKey key: Key) throws -> Bool { values[key.stringValue] == nil }
            func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
                guard let v = values[key.stringValue] else { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "")) }
                guard let t = v as? T else { throw DecodingError.typeMismatch(T.self, .init(codingPath: [], debugDescription: "")) }
                return t
            }
            func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "")) }
            func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "")) }
            func superDecoder() throws -> any Decoder { DictDecoder(values: values) }
            func superDecoder(forKey key: Key) throws -> any Decoder { DictDecoder(values: values) }
        }
    }

    func make(_ template: String, _ values: [String: String]) throws(ReceiptDocument.DataError) -> ReceiptDocument {
        try ReceiptDocument.make(template: template, keys: values.keys) { try $0.init(from: DictDecoder(values: values)) }
    }

    @Test func templateDataIsCheckedFieldByField() throws {
        let hold = ["holdId": "h", "maskedCardNumber": "m", "amount": "€1.00", "status": "CONFIRMED", "printedAt": "p"]
        #expect(try make("hold", hold) == .hold(.init(holdId: "h", maskedCardNumber: "m", amount: "€1.00", status: "CONFIRMED", printedAt: "p")))
        #expect(throws: ReceiptDocument.DataError.unknownTemplate("menu")) { try make("menu", [:]) }
        #expect(throws: ReceiptDocument.DataError.unknownField(template: "hold", field: "colour")) { try make("hold", hold.merging(["colour": "red"]) { a, _ in a }) }
        #expect(throws: ReceiptDocument.DataError.missingField(template: "balance", field: "maskedCardNumber")) { try make("balance", ["balance": "€1"]) }
        #expect(ReceiptDocument.fields(of: "hold") == ["holdId", "maskedCardNumber", "amount", "status", "expiresAt", "printedAt"])
        #expect(ReceiptDocument.fields(of: "transaction")?.count == 12)
    }
}
