import Testing

@testable import ESCPOS

/// Golden receipts: each locale on two profiles with different code pages (TM-m30: no CP858, €
/// from CP1252; Star: `ESC GS t`), decoded with the pages the bytes select.
@Suite struct LocalizedReceiptTests {
    struct Golden: Sendable {
        var locale: ReceiptLocale
        var shop: ReceiptShop
        /// The receipt's lines after the shop's name and header, as printed on 48 columns.
        var body: [String]
    }

    static let nb = "\u{00A0}"
    static let card = "603571******0000"

    /// A two-column line of 48 characters.
    static func row(_ left: String, _ right: String) -> String {
        left + String(repeating: " ", count: 48 - left.unicodeScalars.count - right.unicodeScalars.count) + right
    }

    static let rule = String(repeating: "-", count: 48)

    static func body(_ title: String, _ card: String, _ status: (String, String), _ date: (String, String), _ terminal: String, _ balance: (String, String)) -> [String] {
        [title, rule, row(card, Self.card), row(status.0, status.1), row(date.0, date.1), row(terminal, "T2"), rule, row(balance.0, balance.1)]
    }

    static let goldens: [Golden] = [
        Golden(locale: .enUS, shop: ReceiptShop(name: "Smith & Sons", headerLines: ["1 Main Street"], footerLines: ["Thank you!"], terminal: "T2"),
               body: body("Gift card balance", "Card", ("Status", "blocked"), ("Date", "2026-11-21 14:05"), "Terminal", ("Balance", "€1,234.50"))),
        Golden(locale: .enGB, shop: ReceiptShop(name: "Smith & Sons", headerLines: ["1 High Street"], footerLines: ["Cheers, £5 off next time"], terminal: "T2"),
               body: body("Gift card balance", "Card", ("Status", "blocked"), ("Date", "21/11/2026 14:05"), "Terminal", ("Balance", "€1,234.50"))),
        Golden(locale: .deDE, shop: ReceiptShop(name: "Bäckerei Müller", headerLines: ["Große Straße 5", "Grüße aus Győr"], footerLines: ["Schönen Tag!"], terminal: "T2"),
               body: body("Guthaben Geschenkkarte", "Karte", ("Status", "gesperrt"), ("Datum", "21.11.2026 14:05"), "Terminal", ("Guthaben", "1.234,50\(nb)€"))),
        Golden(locale: .nlNL, shop: ReceiptShop(name: "Café 't Hoekje", headerLines: ["Groenmarkt 12", "Ærø & Åsa"], footerLines: ["Tot ziens!"], terminal: "T2"),
               body: body("Saldo cadeaukaart", "Kaart", ("Status", "geblokkeerd"), ("Datum", "21-11-2026 14:05"), "Terminal", ("Saldo", "€\(nb)1.234,50"))),
        // The group separator U+202F is on no page: it prints as a space.
        Golden(locale: .frFR, shop: ReceiptShop(name: "Crêperie Françoise", headerLines: ["Place de l'Église", "Où l'été dure"], footerLines: ["À bientôt, cœur !"], terminal: "T2"),
               body: body("Solde de la carte cadeau", "Carte", ("Statut", "bloquée"), ("Date", "21/11/2026 14:05"), "Terminal", ("Solde", "1 234,50\(nb)€"))),
        Golden(locale: .esES, shop: ReceiptShop(name: "Panadería Peña", headerLines: ["Calle Mayor 3"], footerLines: ["¡Gracias! ¿Vuelve pronto?"], terminal: "T2"),
               body: body("Saldo de la tarjeta regalo", "Tarjeta", ("Estado", "bloqueada"), ("Fecha", "21/11/2026 14:05"), "Terminal", ("Saldo", "1234,50\(nb)€"))),
        Golden(locale: .itIT, shop: ReceiptShop(name: "Caffè Città", headerLines: ["Via Po 7"], footerLines: ["Grazie, è stato un piacere!"], terminal: "T2"),
               body: body("Saldo carta regalo", "Carta", ("Stato", "bloccata"), ("Data", "21/11/2026 14:05"), "Terminale", ("Saldo", "1.234,50\(nb)€"))),
    ]

    @Test(arguments: goldens.map(\.locale.identifier), [PrinterProfile.epsonTMm30, .starESCPOS])
    func aBalanceReceiptReadsBackExactly(_ tag: String, _ profile: PrinterProfile) throws {
        let g = try #require(Self.goldens.first { $0.locale.identifier == tag })
        let l = g.locale
        let doc = ReceiptDocument.balance(.init(
            maskedCardNumber: Self.card, balance: l.money(minorUnits: 123_450, minorUnitDigits: 2, symbol: "€"), cardStatus: "blocked",
            printedAt: l.dateTime(year: 2026, month: 11, day: 21, hour: 14, minute: 5)))
        let encoded = doc.encodeReporting(shop: g.shop, profile: profile, locale: l)
        #expect(encoded.replaced.isEmpty, "\(tag) \(profile.name): \(encoded.replacementNote)")
        let expected = [g.shop.name] + g.shop.headerLines + [""] + g.body + [""] + g.shop.footerLines
        #expect(printedText(encoded.bytes, profile: profile) == expected.joined(separator: "\n") + "\n", "\(tag) \(profile.name)")
        // The preview draws it with no complaint (every code page slot is the profile's).
        let rendering = try ESCPOSRenderer.render(encoded.bytes, profile: profile)
        #expect(rendering.notes.allSatisfy { if case .unknownCodePage = $0.kind { false } else { true } })
        #expect(rendering.bitmap.height > 0)
        // The same bytes as the plain encode.
        #expect(doc.encode(shop: g.shop, profile: profile, locale: l) == encoded.bytes)
    }

    @Test func transactionAndHoldReceiptsAreLabelledToo() {
        let shop = ReceiptShop(name: "Bäckerei")
        let t = ReceiptDocument.transaction(.init(
            kind: "redeem", transactionId: "4821", maskedCardNumber: Self.card, amount: "20,00\(Self.nb)€", tip: "2,00\(Self.nb)€",
            previousBalance: "60,00\(Self.nb)€", newBalance: "38,00\(Self.nb)€", printedAt: "21.11.2026 14:05"))
        let text = printedText(t.encode(shop: shop, profile: .generic80mm, locale: .deDE), profile: .generic80mm)
        for word in ["Zahlung mit Geschenkkarte", "Buchung", "Bisheriges Guthaben", "Betrag", "Trinkgeld", "Guthaben"] {
            #expect(text.contains(word), "\(word)")
        }
        let h = ReceiptDocument.hold(.init(holdId: "h-1", maskedCardNumber: Self.card, amount: "12,00\(Self.nb)€", status: "NEEDS_CONFIRMATION", expiresAt: "14:35", printedAt: "14:05"))
        let hold = printedText(h.encode(shop: shop, profile: .generic80mm, locale: .frFR), profile: .generic80mm)
        #expect(hold.contains("Réservation carte cadeau"))
        #expect(hold.contains("à confirmer"))
        #expect(hold.split(separator: "\n").contains { $0.hasPrefix("Réservé") && $0.hasSuffix("12,00\(Self.nb)€") })
        var other = ReceiptDocument.TransactionData(kind: "bonus", transactionId: "1", maskedCardNumber: Self.card, amount: "1", newBalance: "1", printedAt: "x")
        #expect(other.title(in: .itIT) == "Carta regalo bonus")
        other.kind = "sale"
        #expect(other.title(in: .esES) == "Tarjeta regalo vendida")
        #expect(other.title == "Gift card sold")
    }

    /// The default English receipt is what it was: the byte counts are those of the encoder before
    /// locales (measured on its code), with € on CP858 after one page switch; less 6 for the print
    /// receipts since the built-in templates (no `ESC a 0` `ESC a 1` before the title, see
    /// `BuiltInTemplateBytesTests`).
    @Test func theDefaultEnglishReceiptIsUnchanged() {
        let shop = ReceiptShop(name: "Shop", terminal: "T1")
        let doc = ReceiptDocument.balance(.init(maskedCardNumber: Self.card, balance: "€25.00", printedAt: "2026-11-21 14:05"))
        let bytes = doc.encode(shop: shop, profile: .generic80mm)
        #expect(bytes == doc.encode(shop: shop, profile: .generic80mm, locale: .enUS))
        #expect(bytes.count == 372 - 6)
        #expect(bytes.indices.filter { bytes[$0...].starts(with: [0x1B, 0x74]) }.count == 1)
        let t = ReceiptDocument.transaction(.init(
            kind: "redeem", transactionId: "4821", maskedCardNumber: Self.card, amount: "€20.00", tip: "€2.00", previousBalance: "€60.00",
            newBalance: "€38.00", authCode: "A1", printedAt: "2026-11-21 14:05"))
        #expect(t.encode(shop: shop, profile: .generic80mm).count == 666 - 6)
        let b = BalanceReceipt(shopName: "Shop", maskedCardNumber: Self.card, balance: "€25.00", cardStatus: "blocked", printedAt: "2026-11-21 14:05", terminal: "T1")
        #expect(b.encode(profile: .generic80mm).count == 415)
    }

    @Test func aReceiptReportsWhatItReplaced() {
        let shop = ReceiptShop(name: "Ğüzel Iași")
        let doc = ReceiptDocument.balance(.init(maskedCardNumber: "603571******0000", balance: "€25.00", printedAt: "14:05"))
        let encoded = doc.encodeReporting(shop: shop, profile: .generic58mm)
        #expect(encoded.replaced == ["Ğ", "ș"])
        #expect(encoded.replacementNote == "Ğ → G, ș → s")
        #expect(printedText(encoded.bytes, profile: .generic58mm).contains("Güzel Iasi"))
    }
}
