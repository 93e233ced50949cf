import ArgumentParser
import ESCPOS
import Foundation
import GiftbridgeClient

struct Printers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the printers, their status and their queues.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let r = try options.call("GET", "/v1/printers")
        guard !options.json else { return }
        let printers = r["printers"] as? [[String: Any]] ?? []
        if printers.isEmpty { print("no printer configured") }
        for p in printers {
            print(describePrinter(p))
            if let s = p["status"] as? [String: Any] { print("           status: \(s["summary"] ?? "?")") }
            if let d = p["drawer"] as? [String: Any] { print("           drawer: \(d["state"] ?? "?") (pin \(d["pin"] ?? "?"))") }
        }
    }
}

struct DrawerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drawer", abstract: "The cash drawer on the printer's drawer connector.", subcommands: [Open.self])

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Kick the cash drawer open (refused while a printer fault holds the queue).")
        @OptionGroup var options: ClientOptions

        func run() throws {
            let r = try options.call("POST", "/v1/drawer/open", body: [:])
            guard !options.json else { return }
            print("drawer kicked (pin \(r["pin"] ?? "?")): \(r["state"] ?? "unknown")")
        }
    }
}

struct PrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Queue a receipt on the daemon's printer.",
        discussion: """
            One of: --transaction ID (the receipt of a booked transaction), --hold ID, --card NUMBER \
            (a balance slip), --template NAME --data FILE.json (a template with your data), or \
            --raw FILE (ESC/POS bytes as they are). Prints the job id; --wait waits until it is printed.
            """)
    @OptionGroup var options: ClientOptions
    @Option(help: "balance, transaction or hold (with --data).") var template: String?
    @Option(help: "JSON file with the template's fields.") var data: String?
    @Option(help: "Print the receipt of this transaction.") var transaction: Int64?
    @Option(help: "Print a slip for this hold.") var hold: String?
    @Option(help: "Print a balance slip for this card number.") var card: String?
    @Option(help: "A file of ESC/POS bytes to send as they are.") var raw: String?
    @Flag(help: "Wait until the printer has the job (exit 1 if it is cancelled).") var wait = false

    func run() throws {
        var body: [String: Any] = [:]
        if let raw {
            guard let bytes = FileManager.default.contents(atPath: raw) else { throw ValidationError("cannot read \(raw)") }
            body["raw"] = bytes.base64EncodedString()
        } else if let data {
            guard let template else { throw ValidationError("--data needs --template") }
            guard let d = FileManager.default.contents(atPath: data), let object = try? JSONSerialization.jsonObject(with: d) else {
                throw ValidationError("\(data) is not a readable JSON file")
            }
            body = ["template": template, "data": object]
        } else if let transaction {
            body = ["template": "transaction", "transactionId": transaction]
        } else if let hold {
            body = ["template": "hold", "holdId": hold]
        } else if let card {
            body = ["template": "balance", "cardInfo": ["printedCardNumber": card]]
        } else {
            throw ValidationError("give one of --transaction, --hold, --card, --template with --data, or --raw")
        }
        let job = try options.call("POST", "/v1/print", body: body)
        let id = job["jobId"] as? Int ?? -1
        if !options.json { print("print job \(id) queued") }
        guard wait else { return }
        while true {
            let j = try options.call("GET", "/v1/print/jobs/\(id)")
            switch j["state"] as? String {
            case "done":
                if !options.json { print("print job \(id) printed") }
                return
            case "cancelled":
                printError("print job \(id) was cancelled")
                throw ExitCode(1)
            default:
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
    }
}

struct Receipt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Design receipts without a printer: render a template to ESC/POS, and ESC/POS or a template to a PNG.",
        discussion: "Templates: docs/receipt-templates.md. 'receipt template --kind KIND' prints a built-in one to start from.",
        subcommands: [Render.self, Preview.self, Template.self])

    /// What a receipt is made of: a template (a shop's file or a built-in one), its data (a
    /// JSON file or example data) and the shop.
    struct Source: ParsableArguments {
        @Option(help: "balance, transaction or hold (with --template-file, by default the kind whose names the file uses).")
        var template: String?
        @Option(help: "A shop template file (docs/receipt-templates.md) instead of the built-in template.") var templateFile: String?
        @Option(help: "JSON file with the receipt's fields (POST /v1/print's data); example data without it.") var data: String?
        @Option(help: "Shop name at the top.") var shopName = "Gift card"
        @Option(help: "A header line (repeatable).") var header: [String] = []
        @Option(help: "A footer line (repeatable).") var footer: [String] = []
        @Option(help: "The shop's terminal name.") var terminal: String?
        @Option(help: "A logo image (PNG or PBM), printed where the template says 'logo'.") var logo: String?
        @Option(help: "The labels' language: \(ReceiptLocale.all.map(\.identifier).joined(separator: ", ")) (the data's amounts and dates are printed as given; the example data's follow it).")
        var locale = ReceiptLocale.default.identifier

        /// The receipt's bytes on `profile`; a broken template file exits 65 naming its line.
        func encode(profile name: String) throws -> (EncodedReceipt, PrinterProfile) {
            guard let p = PrinterProfile.named(name) else {
                throw ValidationError("profile '\(name)' is not one of \(PrinterProfile.all.map(\.name).joined(separator: ", "))")
            }
            guard let l = ReceiptLocale.named(locale) else {
                throw ValidationError("locale '\(locale)' is not one of \(ReceiptLocale.all.map(\.identifier).joined(separator: ", "))")
            }
            var kind: ReceiptTemplate.Kind?
            if let template {
                guard let k = ReceiptTemplate.Kind(rawValue: template) else { throw ValidationError("\(ReceiptDocument.DataError.unknownTemplate(template))") }
                kind = k
            }
            guard templateFile != nil || kind != nil else { throw ValidationError("give --template KIND, --template-file FILE or both") }
            var receiptTemplate: ReceiptTemplate?
            if let templateFile {
                guard let d = FileManager.default.contents(atPath: templateFile), let text = String(data: d, encoding: .utf8) else {
                    throw ValidationError("cannot read \(templateFile)")
                }
                do {
                    let t = if let kind { try ReceiptTemplate(text, kind: kind) } else { try ReceiptTemplate.inferringKind(text) }
                    receiptTemplate = t
                    kind = t.kind
                } catch {
                    printError("error: \(templateFile) \(error)")
                    throw ExitCode(65)
                }
            }
            guard let kind else { throw ValidationError("give --template KIND") }
            let document: ReceiptDocument
            if let data {
                guard let d = FileManager.default.contents(atPath: data) else { throw ValidationError("cannot read \(data)") }
                let keys = ((try? JSONSerialization.jsonObject(with: d)) as? [String: Any])?.keys.map { $0 } ?? []
                do {
                    document = try ReceiptDocument.make(template: kind.rawValue, keys: keys) { try JSONDecoder().decode($0, from: d) }
                } catch {
                    throw ValidationError("\(data): \(error)")
                }
            } else {
                document = .example(kind, locale: l)
            }
            var shop = ReceiptShop(name: shopName, headerLines: header, footerLines: footer, terminal: terminal)
            if let logo {
                guard let bytes = FileManager.default.contents(atPath: logo) else { throw ValidationError("cannot read \(logo)") }
                do {
                    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
                        shop.logo = try PNG.decode(Array(bytes)).grayImage().dithered()
                    } else {
                        shop.logo = try PBM.decode(Array(bytes))
                    }
                } catch {
                    throw ValidationError("\(logo): \(error)")
                }
            }
            var templates = ReceiptTemplates.builtIn
            if let receiptTemplate { templates[kind] = receiptTemplate }
            return (document.encodeReporting(shop: shop, profile: p, locale: l, templates: templates), p)
        }
    }

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a template with data to ESC/POS bytes.",
            discussion: """
                The shop header comes from --shop-name/--header/--footer (the daemon uses its configuration). \
                A template file that does not read exits 65 with the line and column of the problem.
                """)
        @OptionGroup var source: Source
        @Option(help: "Printer profile: \(PrinterProfile.all.map(\.name).joined(separator: ", ")).") var profile = PrinterProfile.generic80mm.name
        @Option(help: "Where the bytes go.") var out: String

        func run() throws {
            let (encoded, p) = try source.encode(profile: profile)
            guard FileManager.default.createFile(atPath: out, contents: Data(encoded.bytes)) else { throw ValidationError("cannot write \(out)") }
            print("\(out): \(encoded.bytes.count) bytes for \(p.name)")
            Receipt.printNotes(encoded, p)
        }
    }

    static func printNotes(_ encoded: EncodedReceipt, _ p: PrinterProfile) {
        if !encoded.replaced.isEmpty { print("  note: no code page of \(p.name) has these; printed as \(encoded.replacementNote)") }
        for problem in encoded.problems { print("  note: left out, template \(problem)") }
    }

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render ESC/POS bytes, or a template with data, to a PNG as the printer would print them.",
            discussion: "Give a file of ESC/POS bytes, or the template options of 'receipt render' (--template-file, --template, --data …).")
        @Argument(help: "A file of ESC/POS bytes.") var input: String?
        @OptionGroup var source: Source
        @Option(help: "The PNG to write.") var png: String
        @Option(help: "Printer profile (paper width and code pages).") var profile = PrinterProfile.generic80mm.name

        func run() throws {
            let bytes: [UInt8]
            let p: PrinterProfile
            if let input {
                guard source.template == nil, source.templateFile == nil else { throw ValidationError("give a file of ESC/POS bytes or a template, not both") }
                guard let named = PrinterProfile.named(profile) else {
                    throw ValidationError("profile '\(profile)' is not one of \(PrinterProfile.all.map(\.name).joined(separator: ", "))")
                }
                guard let data = FileManager.default.contents(atPath: input) else { throw ValidationError("cannot read \(input)") }
                bytes = Array(data)
                p = named
            } else {
                let (encoded, named) = try source.encode(profile: profile)
                Receipt.printNotes(encoded, named)
                bytes = encoded.bytes
                p = named
            }
            let rendering: ESCPOSRenderer.Rendering
            do { rendering = try ESCPOSRenderer.render(bytes, profile: p) } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            guard FileManager.default.createFile(atPath: png, contents: Data(PNG.encode(rendering.bitmap))) else {
                throw ValidationError("cannot write \(png)")
            }
            print("\(png): \(rendering.bitmap.width)×\(rendering.bitmap.height) dots")
            for note in rendering.notes { print("  note: \(note)") }
            if rendering.droppedNotes > 0 { print("  (\(rendering.droppedNotes) more notes)") }
        }
    }

    struct Template: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a built-in receipt template, to start a shop's own from.")
        @Option(help: "balance, transaction or hold.") var kind: String

        func run() throws {
            guard let k = ReceiptTemplate.Kind(rawValue: kind) else { throw ValidationError("\(ReceiptDocument.DataError.unknownTemplate(kind))") }
            Swift.print(ReceiptTemplate.builtInSource(k), terminator: "")
        }
    }
}
