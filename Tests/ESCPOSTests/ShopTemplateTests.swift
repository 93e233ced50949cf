import Foundation
import Testing
import TestSupport

@testable import ESCPOS

/// The repository's docs/examples/receipt-every-element.receipt.
let everyElementTemplatePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("docs/examples/receipt-every-element.receipt").path

/// Where `needle` starts in `bytes`, every time.
func occurrences(of needle: [UInt8], in bytes: [UInt8]) -> Int {
    guard !needle.isEmpty, bytes.count >= needle.count else { return 0 }
    return (0...(bytes.count - needle.count)).filter { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }.count
}

@Suite struct TemplateParsingTests {
    func error(_ text: String, _ kind: ReceiptTemplate.Kind = .balance) -> ReceiptTemplateError? {
        do {
            _ = try ReceiptTemplate(text, kind: kind)
            return nil
        } catch {
            return error
        }
    }

    @Test func theBuiltInTemplatesParse() throws {
        for kind in ReceiptTemplate.Kind.allCases {
            let t = try ReceiptTemplate(ReceiptTemplate.builtInSource(kind), kind: kind)
            #expect(!t.directives.isEmpty)
            try t.check(shop: .example, profile: .generic58mm)
        }
    }

    @Test func eachProblemNamesItsLineAndColumn() {
        let cases: [(String, ReceiptTemplate.Kind, Int, Int, ReceiptTemplateError.Problem)] = [
            ("center: ok\nThank you\n", .balance, 2, 1, .unknownDirective("Thank")),
            ("rule\nblinking center: x\n", .balance, 2, 1, .unknownWord("blinking", directive: "text")),
            ("center: {{shop.name}}\nleft: {{shop.nmae}}\n", .balance, 2, 7, .unknownPlaceholder("shop.nmae", kind: .balance)),
            // A transaction's name is not a balance receipt's.
            ("row: {{labels.amount}} | {{amount}}\n", .balance, 1, 26, .unknownPlaceholder("amount", kind: .balance)),
            ("left: {{uppercase(shop.name)}}\n", .balance, 1, 7, .unknownPlaceholder("uppercase(shop.name)", kind: .balance)),
            ("{{#tip}}\nrow: a | {{tip}}\n", .transaction, 1, 1, .unclosedSection("tip")),
            ("{{#tip}}\n{{#qr}}\nqr: {{qr}}\n{{/tip}}\n", .transaction, 4, 1, .closeMismatch(open: "qr", close: "tip")),
            ("left: x\n{{/tip}}\n", .transaction, 2, 1, .closeWithoutOpen("tip")),
            ("left: {{#tip}}x\n{{/tip}}\n", .transaction, 1, 7, .sectionAcrossLines("tip")),
            ("{{#tip}}row: a | {{tip}}{{/tip}}\n", .transaction, 1, 1, .placeholderInDirective),
            ("qr size=40: x\n", .balance, 1, 4, .badOption("size=40", directive: "qr", expected: "a whole number from 1 to 16")),
            ("qr: " + String(repeating: "x", count: 2400) + "\n", .balance, 1, 5, .badQR("2400 bytes; a QR code holds at most 2331 at level medium")),
            ("\ncode128: café\n", .balance, 2, 10, .badCode128("'café' has a character CODE128 cannot hold at position 4 (ASCII only)")),
            ("row: {{labels.card}} {{maskedCardNumber}}\n", .balance, 1, 6, .rowNeedsTwoColumns),
            ("cut sideways\n", .balance, 1, 5, .unknownWord("sideways", directive: "cut")),
            ("feed 2: x\n", .balance, 1, 7, .takesNoArgument("feed")),
            ("qr:\n", .balance, 1, 3, .needsArgument("qr")),
            ("left: {{> header}}\n", .balance, 1, 7, .unsupportedTag("{{> header}}")),
            ("left: {{shop.name\n", .balance, 1, 7, .unterminatedTag),
            ("left: a\u{1B}b\n", .balance, 1, 8, .controlCharacter),
        ]
        for (text, kind, line, column, problem) in cases {
            let e = error(text, kind)
            #expect(e == ReceiptTemplateError(line: line, column: column, problem), "\(text.prefix(40))")
            #expect(e?.description.hasPrefix("line \(line), column \(column): ") == true)
        }
        #expect(error("left: {{shop.nmae}}\n")?.description == "line 1, column 7: unknown placeholder 'shop.nmae' (did you mean 'shop.name'?); the balance receipt has "
            + "balance, cardStatus, locale, maskedCardNumber, printedAt, qr, shop, shop.footer, shop.header, shop.logo, shop.name, shop.terminal and labels.NAME (docs/receipt-templates.md)")
        #expect(error("left: {{labels.tipp}}\n", .transaction)?.description.contains("(did you mean 'labels.tip'?)") == true)
        #expect(error("left: {{zzzz}}\n")?.description.contains("did you mean") == false)
    }

    @Test func commentsBlankLinesAndLineEndsAreNotDirectives() throws {
        let t = try ReceiptTemplate("# a comment {{with braces\r\n\r\n   \n{{! mustache comment }}\nleft: {{shop.name}}\r\n", kind: .hold)
        #expect(t.directives.keys.sorted() == [5])
        let bytes = t.encodeReporting(.example(.hold), shop: ReceiptShop(name: "Shop"), profile: .generic58mm).bytes
        #expect(bytes == [0x1B, 0x40] + Array("Shop\n".utf8))
    }

    @Test func aTemplateOfUnknownKindIsReadAsTheKindItsNamesBelongTo() throws {
        #expect(try ReceiptTemplate.inferringKind("left: {{shop.name}}\n").kind == .balance)
        #expect(try ReceiptTemplate.inferringKind("left: {{balance}}\n").kind == .balance)
        #expect(try ReceiptTemplate.inferringKind("left: {{tip}}\n").kind == .transaction)
        #expect(try ReceiptTemplate.inferringKind("left: {{holdId}}\n").kind == .hold)
        #expect(try ReceiptTemplate.inferringKind(String(contentsOfFile: everyElementTemplatePath, encoding: .utf8)).kind == .transaction)
        // Wrong for every kind: the error of the kind that read furthest.
        #expect(throws: ReceiptTemplateError(line: 2, column: 7, .unknownPlaceholder("bogus", kind: .transaction))) {
            try ReceiptTemplate.inferringKind("left: {{tip}}\nleft: {{bogus}}\n")
        }
    }
}

@Suite struct TemplateRenderingTests {
    let shop = ReceiptShop(name: "Smith & Sons <Bakers>", headerLines: ["1 Main St"], footerLines: ["Thanks"], terminal: "T2")

    func text(_ template: String, _ kind: ReceiptTemplate.Kind, _ doc: ReceiptDocument? = nil, shop: ReceiptShop? = nil, profile: PrinterProfile = .generic80mm) throws -> String {
        let t = try ReceiptTemplate(template, kind: kind)
        return printedText(t.encodeReporting(doc ?? .example(kind), shop: shop ?? self.shop, profile: profile).bytes, profile: profile)
    }

    @Test func valuesAreNotHTMLEscaped() throws {
        #expect(try text("left: {{shop.name}}\nleft: {{&shop.name}}\nleft: {{{shop.name}}}\n", .balance) == "Smith & Sons <Bakers>\n" + "Smith & Sons <Bakers>\n" + "Smith & Sons <Bakers>\n")
    }

    /// A value is text in its place: a line break, a directive or a '|' in it prints as text.
    @Test func aValueCannotAddADirectiveOrALine() throws {
        let evil = "Evil\ncut\nqr: https://evil.example\u{1B}d\u{FF}\u{2028}|x {{labels.card}}"
        let doc = ReceiptDocument.transaction(.init(
            kind: "redeem", transactionId: "1", maskedCardNumber: "603571******0000", amount: "€1.00", newBalance: "€0.00",
            reference: evil, printedAt: "now"))
        let t = try ReceiptTemplate("row: {{labels.reference}} | {{reference}}\nleft: {{reference}}\ncut\n", kind: .transaction)
        let bytes = t.encodeReporting(doc, shop: ReceiptShop(name: evil), profile: .generic80mm).bytes
        #expect(occurrences(of: [0x1D, 0x56], in: bytes) == 1)  // the template's one cut
        #expect(occurrences(of: [0x1D, 0x28, 0x6B], in: bytes) == 0)  // no QR
        #expect(occurrences(of: [0x1B, 0x64], in: bytes) == 0)
        let cleaned = "Evil cut qr: https://evil.example dÿ |x {{labels.card}}"
        let lines = printedText(bytes, profile: .generic80mm).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(" " + cleaned) == true)
        #expect(lines.last == cleaned)
    }

    /// Templates see card numbers masked only, even when a caller hands over a full one.
    @Test func aTemplateNeverGetsAFullCardNumber() throws {
        let full = "6035710000000000"
        let doc = ReceiptDocument.transaction(.init(
            kind: "exchange", transactionId: "1", maskedCardNumber: full, amount: "€1.00", newBalance: "€1.00", fromCard: "6035710000000028", printedAt: "now"))
        let data = doc.templateData(shop: shop, locale: .default)
        #expect(data["maskedCardNumber"] as? String == "603571******0000")
        #expect(data["fromCard"] as? String == "603571******0028")
        for kind in ReceiptTemplate.Kind.allCases {
            #expect(!kind.names.keys.contains { $0.lowercased().contains("pan") || $0 == "cardNumber" || $0 == "printedCardNumber" })
        }
        let bytes = ReceiptTemplate.builtIn(.transaction).encodeReporting(doc, shop: shop, profile: .generic80mm).bytes
        #expect(occurrences(of: Array(full.utf8), in: bytes) == 0)
        #expect(occurrences(of: Array("603571******0000".utf8), in: bytes) == 1)
        let balance = ReceiptDocument.balance(.init(maskedCardNumber: full, balance: "€1", printedAt: "now"))
        #expect(occurrences(of: Array(full.utf8), in: balance.encode(shop: shop, profile: .generic58mm)) == 0)
    }

    @Test func stylesAreSentOnlyWhenTheyChange() throws {
        let t = try ReceiptTemplate("center bold: a\ncenter bold: b\ncenter: c\nright underline wide: d\nleft: e\n", kind: .balance)
        let bytes = t.encodeReporting(.example(.balance), shop: shop, profile: .generic80mm).bytes
        #expect(bytes == [0x1B, 0x40, 0x1B, 0x61, 1, 0x1B, 0x45, 1] + Array("a\nb\n".utf8) + [0x1B, 0x45, 0] + Array("c\n".utf8)
            + [0x1B, 0x61, 2, 0x1B, 0x2D, 1, 0x1D, 0x21, 0x10] + Array("d\n".utf8) + [0x1D, 0x21, 0, 0x1B, 0x2D, 0, 0x1B, 0x61, 0] + Array("e\n".utf8))
    }

    @Test func rowsAndRulesFillTheLineAtTheirWidth() throws {
        let out = try text("row: {{labels.card}} | {{maskedCardNumber}}\nwide row: A | B\nrule: =-\nwide rule\n", .balance, profile: .generic58mm)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines == ["Card" + String(repeating: " ", count: 12) + "603571******0000", "A" + String(repeating: " ", count: 14) + "B",
                          String(repeating: "=-", count: 16), String(repeating: "-", count: 16)])
    }

    @Test func sectionsKeepOrDropTheirLines() throws {
        let t = """
            {{#tip}}
            row: {{labels.tip}} | {{tip}}
            {{/tip}}
            {{^tip}}
            left: no tip
            {{/tip}}
            left: {{#authCode}}auth {{authCode}}{{/authCode}}
            {{#shop.footer}}
            center: {{.}}
            {{/shop.footer}}
            {{^empty(shop.header)}}
            left: has a header
            {{/empty(shop.header)}}
            """
        var d = ReceiptDocument.TransactionData(kind: "redeem", transactionId: "1", maskedCardNumber: "603571******0000", amount: "€1", tip: "€2", newBalance: "€0", authCode: "A1", printedAt: "now")
        let shop = ReceiptShop(name: "S", footerLines: ["f1", "f2"])
        #expect(try text(t, .transaction, .transaction(d), shop: shop, profile: .generic58mm)
            == "Tip" + String(repeating: " ", count: 27) + "€2\nauth A1\nf1\nf2\n")
        d.tip = nil
        d.authCode = nil
        #expect(try text(t, .transaction, .transaction(d), shop: ReceiptShop(name: "S", headerLines: ["h"]), profile: .generic58mm)
            == "no tip\n\nhas a header\n")
    }

    @Test func aBarcodeTheDataCannotPrintIsLeftOutAndNamed() throws {
        let t = try ReceiptTemplate("left: a\ncode128: {{shop.name}}\nleft: b\n", kind: .balance)
        let encoded = t.encodeReporting(.example(.balance), shop: ReceiptShop(name: "Café"), profile: .generic80mm)
        #expect(printedText(encoded.bytes, profile: .generic80mm) == "a\nb\n")
        #expect(encoded.problems.map(\.line) == [2])
        #expect(throws: ReceiptTemplateError(line: 2, column: 1, .badCode128("'Café' has a character CODE128 cannot hold at position 4 (ASCII only)"))) {
            try t.check(shop: ReceiptShop(name: "Café"), profile: .generic80mm)
        }
        try t.check(shop: ReceiptShop(name: "Cafe"), profile: .generic80mm)
    }
}

/// The built-in templates print what the Swift layout printed before them, byte for byte; the one
/// difference: `POST /v1/print` receipts no longer send `ESC a 0` `ESC a 1` (left, then centre
/// again, a no-op) between the shop's lines and the title, since they now share one balance
/// template with the swipe receipt, which never sent it.
@Suite struct BuiltInTemplateBytesTests {
    static let noOp: [UInt8] = [0x1B, 0x61, 0x00, 0x1B, 0x61, 0x01]

    static let shops = [
        ReceiptShop(name: "Bäckerei Müller", headerLines: ["Große Straße 5", "Grüße aus Győr"], footerLines: ["Schönen Tag!", "Bis bald"], terminal: "T2"),
        ReceiptShop(name: "Shop"),
        ReceiptShop(name: "Logo & Co", footerLines: ["x"], logo: try? Bitmap(width: 700, height: 20)),
    ]

    static func documents(_ l: ReceiptLocale) -> [ReceiptDocument] {
        func m(_ minor: Int64) -> String { l.money(minorUnits: minor, minorUnitDigits: 2, symbol: "€") }
        let now = l.dateTime(year: 2026, month: 11, day: 21, hour: 14, minute: 5)
        return [
            .balance(.init(maskedCardNumber: "603571******0000", balance: m(123_450), printedAt: now)),
            .balance(.init(maskedCardNumber: "603571******0000", balance: m(-500), cardStatus: "blocked", printedAt: now, qr: "https://example.com/gc/0000")),
            .balance(.init(maskedCardNumber: "603571******0000", balance: m(0), cardStatus: "weird", printedAt: now, qr: "")),
            .transaction(.init(kind: "redeem", transactionId: "4821", maskedCardNumber: "603571******0000", amount: m(2000), tip: m(200),
                               previousBalance: m(6000), newBalance: m(3800), authCode: "A1B2C3", reference: "POS-1", fromCard: "603571******0028",
                               printedAt: now, qr: "https://example.com/t/4821")),
            .transaction(.init(kind: "bonus", transactionId: "7", maskedCardNumber: "600649*********0018", amount: m(1550), newBalance: m(1550), printedAt: now)),
            .hold(.init(holdId: "h-42", maskedCardNumber: "603571******0000", amount: m(1200), status: "NEEDS_CONFIRMATION", expiresAt: "14:35", printedAt: now)),
            .hold(.init(holdId: "h-43", maskedCardNumber: "603571******0000", amount: m(1), status: "SOMETHING_ELSE", printedAt: now)),
        ]
    }

    @Test(arguments: ReceiptLocale.all.map(\.identifier), [PrinterProfile.epsonTMm30, .starESCPOS, .generic58mm, .epsonTMT88V])
    func printReceiptsAreTheSwiftLayoutsLessOneNoOp(_ tag: String, _ profile: PrinterProfile) throws {
        let l = try #require(ReceiptLocale.named(tag))
        for shop in Self.shops {
            for doc in Self.documents(l) {
                let legacy = doc.legacyEncodeReporting(shop: shop, profile: profile, locale: l)
                let now = doc.encodeReporting(shop: shop, profile: profile, locale: l)
                #expect(occurrences(of: Self.noOp, in: legacy.bytes) == 1)
                var expected = legacy.bytes
                if let at = (0...(expected.count - 6)).first(where: { expected[$0..<($0 + 6)].elementsEqual(Self.noOp) }) {
                    expected.removeSubrange(at..<(at + 6))
                }
                #expect(now.bytes == expected, "\(tag) \(profile.name) \(shop.name) \(doc.kind)")
                #expect(now.replaced == legacy.replaced)
            }
        }
    }

    @Test(arguments: ReceiptLocale.all.map(\.identifier), [PrinterProfile.epsonTMm30, .starESCPOS, .generic58mm])
    func swipeReceiptsAreExactlyTheSwiftLayout(_ tag: String, _ profile: PrinterProfile) throws {
        let l = try #require(ReceiptLocale.named(tag))
        for (status, terminal, footer) in [(nil, nil, [String]()), ("blocked", "T2", ["Danke", "Tschüss"]), ("retired", "T3", ["x"])] {
            let r = BalanceReceipt(
                shopName: "Café Zürich", headerLines: ["Bahnhofstrasse 1"], footerLines: footer, maskedCardNumber: "603571******0000",
                balance: l.money(minorUnits: 4000, minorUnitDigits: 2, symbol: "€"), cardStatus: status, printedAt: "21.11.2026 14:05", terminal: terminal)
            let legacy = r.legacyEncodeReporting(profile: profile, locale: l)
            #expect(r.encodeReporting(profile: profile, locale: l) == legacy, "\(tag) \(profile.name) \(status ?? "-")")
        }
    }
}

/// docs/examples/receipt-every-element.receipt: rendered, previewed and read back.
@Suite struct EveryElementTemplateTests {
    func template() throws -> ReceiptTemplate {
        try ReceiptTemplate(String(contentsOfFile: everyElementTemplatePath, encoding: .utf8), kind: .transaction)
    }

    @Test func everyDirectiveIsInTheExample() throws {
        let t = try template()
        var seen = Set<String>()
        for d in t.directives.values {
            switch d {
            case .text(let s):
                seen.insert("text")
                if s.bold { seen.insert("bold") }
                if s.underline > 0 { seen.insert("underline") }
                if s.align == .center { seen.insert("center") }
                if s.align == .right { seen.insert("right") }
                if s.width == 2 && s.height == 2 { seen.insert("double") }
                if s.width == 2 && s.height == 1 { seen.insert("wide") }
                if s.width == 1 && s.height == 2 { seen.insert("tall") }
            case .row: seen.insert("row")
            case .rule: seen.insert("rule")
            case .blank: seen.insert("blank")
            case .qr: seen.insert("qr")
            case .code128: seen.insert("code128")
            case .logo: seen.insert("logo")
            case .feed: seen.insert("feed")
            case .cut: seen.insert("cut")
            }
        }
        #expect(seen == Set(Directive.names + ["bold", "underline", "center", "right", "double", "wide", "tall"]))
        let source = t.source
        for tag in ["{{#", "{{^", "{{/", "{{!", "uppercased("] { #expect(source.contains(tag)) }
    }

    /// The example of docs/receipt-templates.md reads and renders too.
    @Test func theDocsExampleReads() throws {
        let docs = try String(contentsOfFile: everyElementTemplatePath.replacingOccurrences(of: "examples/receipt-every-element.receipt", with: "receipt-templates.md"), encoding: .utf8)
        let example = try #require(docs.components(separatedBy: "## An example\n\n```\n").last?.components(separatedBy: "```").first)
        let t = try ReceiptTemplate(example, kind: .balance)
        var shop = ReceiptShop.example
        shop.logo = try Bitmap(width: 16, height: 16)
        let text = printedText(t.encodeReporting(.example(.balance), shop: shop, profile: .generic80mm).bytes, profile: .generic80mm)
        #expect(text.contains("Example Shop") && text.contains("Thank you!"))
    }

    @Test(arguments: [PrinterProfile.generic80mm, .generic58mm, .starESCPOS])
    func itRendersToTheBytesItSays(_ profile: PrinterProfile) throws {
        var shop = ReceiptShop.example
        shop.logo = try Bitmap(width: 64, height: 16)
        let encoded = try template().encodeReporting(.example(.transaction, locale: .deDE), shop: shop, profile: profile, locale: .deDE)
        #expect(encoded.problems.isEmpty)
        let b = encoded.bytes
        #expect(occurrences(of: [0x1D, 0x76, 0x30], in: b) == 1)  // logo
        #expect(occurrences(of: [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x32], in: b) == 1)  // QR level Q
        #expect(occurrences(of: [0x1D, 0x6B, 0x49], in: b) == 1)  // CODE128
        #expect(occurrences(of: [0x1D, 0x68, 60], in: b) == 1)
        #expect(occurrences(of: [0x1B, 0x64, 2], in: b) == 1)
        #expect(b.suffix(4) == [0x1D, 0x56, 0x42, 0x03])  // partial cut
        let text = printedText(b, profile: profile)
        for s in ["Example Shop", "Zahlung mit Geschenkkarte", "KARTE", "603571******0000", "Trinkgeld", "2,00\u{00A0}€", "38,00\u{00A0}€", "Thank you!"] {
            #expect(text.contains(s), "\(profile.name): \(s)")
        }
        #expect(!text.contains("no authorisation code"))
    }

    @Test(.enabled(if: ExternalTools.zbarimg != nil, "zbarimg (Debian zbar-tools) is not installed"))
    func itsPreviewReadsBack() throws {
        for profile in [PrinterProfile.generic80mm, .epsonTMT88V] {
            let bytes = try template().encodeReporting(.example(.transaction), shop: .example, profile: profile).bytes
            let rendering = try ESCPOSRenderer.render(bytes, profile: profile)
            let path = ExternalTools.temporaryPath(".png")
            try Data(PNG.encode(rendering.bitmap)).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (_, out) = try ExternalTools.run(try #require(ExternalTools.zbarimg), ["-q", path])
            let readings = Set(String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init))
            #expect(readings == ["QR-Code:https://example.com/gc/0000", "CODE-128:GC-4821"], "\(profile.name)")
        }
    }
}

/// Random templates from the markup's own pieces: each is read or refused with a line inside the
/// text, and whatever is read renders (with hostile values) without a crash.
@Suite struct TemplateRobustnessTests {
    static let pieces = [
        "{{", "}}", "{{{", "}}}", "{{#tip}}", "{{/tip}}", "{{^qr}}", "{{/qr}}", "{{#shop.header}}", "{{/shop.header}}", "{{.}}",
        "{{amount}}", "{{shop.name}}", "{{uppercased(title)}}", "{{!", "{{>", "row:", "row", "|", "qr", "qr:", "code128:", "code128",
        "size=99", "size=3", "level=H", "hri=none", "height=0", "left", "center", "bold", "double", "rule", "blank", "logo", "feed",
        "255", "cut", "partial", ":", " ", " ", "x", "é", "€", "#", "\n", "\n", "\n", "\r\n", "\t", "{{#qr}}",
    ]

    @Test func randomTemplatesAreReadOrRefusedAndNeverCrash() {
        var rng = SeededGenerator(seed: 16)
        let hostile = "a\nb\u{1B}c|d{{e}}\u{0}f" + String(repeating: "é", count: 300)
        var shop = ReceiptShop(name: hostile, headerLines: [hostile, ""], footerLines: [hostile], terminal: hostile)
        shop.logo = try? Bitmap(width: 8, height: 8)
        var read = 0
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...30, using: &rng) { text += Self.pieces.randomElement(using: &rng)! }
            let lineCount = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).count
            for kind in ReceiptTemplate.Kind.allCases {
                do {
                    let t = try ReceiptTemplate(text, kind: kind)
                    read += 1
                    let doc: ReceiptDocument = switch kind {
                    case .balance: .balance(.init(maskedCardNumber: hostile, balance: hostile, cardStatus: hostile, printedAt: hostile, qr: hostile))
                    case .transaction: .transaction(.init(kind: hostile, transactionId: hostile, maskedCardNumber: hostile, amount: hostile, tip: hostile, newBalance: hostile, reference: hostile, printedAt: hostile, qr: hostile))
                    case .hold: .hold(.init(holdId: hostile, maskedCardNumber: hostile, amount: hostile, status: hostile, printedAt: hostile))
                    }
                    let bytes = t.encodeReporting(doc, shop: shop, profile: .generic58mm).bytes
                    #expect(bytes.starts(with: [0x1B, 0x40]))
                } catch {
                    #expect((1...max(lineCount, 1)).contains(error.line), "\(error) in \(text.debugDescription)")
                    #expect(error.column >= 1)
                }
            }
        }
        #expect(read > 100)
    }
}
