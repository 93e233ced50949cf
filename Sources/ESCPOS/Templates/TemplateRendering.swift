/// A template's lines to the printer's bytes.
extension ReceiptTemplate {
    /// The receipt's bytes for `shop` on `profile`, labelled in `locale`'s language, with the
    /// characters printed in their ASCII form and the symbols left out (`problems`). The receipt
    /// starts with `ESC @`; a document of another kind than the template's prints nothing of it.
    public func encodeReporting(_ document: ReceiptDocument, shop: ReceiptShop, profile: PrinterProfile, locale: ReceiptLocale = .default) -> EncodedReceipt {
        var e = Emitter(writer: ESCPOSWriter(profile: profile))
        e.writer.initialize()
        guard document.kind == kind else { return EncodedReceipt(bytes: e.writer.bytes, replaced: []) }
        for (number, directive, arguments) in lines(document.templateData(shop: shop, locale: locale)) {
            e.emit(directive, arguments, line: number, shop: shop)
        }
        return EncodedReceipt(bytes: e.writer.bytes, replaced: e.writer.replaced, problems: e.problems)
    }

    /// Renders `document` (by default the kind's example) for `shop` on `profile`, and throws the
    /// first QR code or CODE128 barcode that could not print, naming its line: for a shop's
    /// template at start, with the shop's own name and printer.
    public func check(shop: ReceiptShop, profile: PrinterProfile, locale: ReceiptLocale = .default, document: ReceiptDocument? = nil) throws(ReceiptTemplateError) {
        let encoded = encodeReporting(document ?? .example(kind, locale: locale), shop: shop, profile: profile, locale: locale)
        if let first = encoded.problems.first { throw first }
    }

    struct Emitter {
        var writer: ESCPOSWriter
        /// The style the printer is in (after `ESC @`: left, plain).
        var style = Directive.Style()
        /// False after an image: the next line sends its alignment again.
        var alignmentSent = true
        var problems: [ReceiptTemplateError] = []

        /// Sends what changes from the current style: first what is switched off (size,
        /// underline, bold), then the alignment, then what is switched on (bold, underline, size).
        mutating func apply(_ s: Directive.Style) {
            let plainSize = s.width == 1 && s.height == 1
            let sizeChanges = s.width != style.width || s.height != style.height
            if sizeChanges && plainSize { writer.size() }
            if s.underline != style.underline && s.underline == 0 { writer.underline(0) }
            if style.bold && !s.bold { writer.bold(false) }
            if !alignmentSent || s.align != style.align { writer.align(s.align) }
            if !style.bold && s.bold { writer.bold(true) }
            if s.underline != style.underline && s.underline != 0 { writer.underline(s.underline) }
            if sizeChanges && !plainSize { writer.size(width: s.width, height: s.height) }
            style = s
            alignmentSent = true
        }

        mutating func emit(_ directive: Directive, _ arguments: [String], line: Int, shop: ReceiptShop) {
            let first = arguments.first ?? ""
            let columns = writer.profile.columns
            switch directive {
            case .text(let s):
                apply(s)
                writer.line(first)
            case .row(let s):
                apply(s)
                writer.columns(first, arguments.count > 1 ? arguments[1] : "", width: columns / s.width)
            case .rule(let s):
                apply(s)
                let pattern = Array((first.isEmpty ? "-" : first).unicodeScalars)
                let count = columns / s.width
                var rule = String.UnicodeScalarView()
                for i in 0..<count { rule.append(pattern[i % pattern.count]) }
                writer.line(String(rule))
            case .blank:
                apply(Directive.Style())
                writer.line()
            case .qr(let align, let size, let level):
                guard !first.isEmpty else { return }
                apply(Directive.Style(align: align))
                do { try writer.qr(first, size: size, errorCorrection: level) } catch {
                    problems.append(ReceiptTemplateError(line: line, column: 1, .badQR("\(first.utf8.count) bytes do not fit a QR code at level \(level)")))
                }
            case .code128(let align, let height, let width, let hri):
                guard !first.isEmpty else { return }
                if let why = Directive.code128Problem(first, width: Int(width), dotsWidth: writer.profile.dotsWidth) {
                    problems.append(ReceiptTemplateError(line: line, column: 1, .badCode128(why)))
                    return
                }
                apply(Directive.Style(align: align))
                try? writer.barcode128(first, height: height, moduleWidth: width, hri: hri)
            case .logo(let align):
                guard let logo = shop.logo else { return }
                apply(Directive.Style(align: style.align))
                writer.image(logo, align: align)  // sends its own ESC a
                style.align = align
                alignmentSent = false
            case .feed(let n):
                apply(Directive.Style())
                writer.feed(lines: n)
            case .cut(let kind):
                apply(Directive.Style())
                writer.cut(kind)
            }
        }
    }
}

/// The templates a printer's receipts are laid out with: the built-in ones unless a shop gives
/// its own (`receipts.templates.<kind>`).
public struct ReceiptTemplates: Sendable {
    public var balance: ReceiptTemplate
    public var transaction: ReceiptTemplate
    public var hold: ReceiptTemplate

    public init(balance: ReceiptTemplate = .builtIn(.balance), transaction: ReceiptTemplate = .builtIn(.transaction), hold: ReceiptTemplate = .builtIn(.hold)) {
        self.balance = balance
        self.transaction = transaction
        self.hold = hold
    }

    public static let builtIn = ReceiptTemplates()

    public subscript(kind: ReceiptTemplate.Kind) -> ReceiptTemplate {
        get {
            switch kind {
            case .balance: balance
            case .transaction: transaction
            case .hold: hold
            }
        }
        set {
            switch kind {
            case .balance: balance = newValue
            case .transaction: transaction = newValue
            case .hold: hold = newValue
            }
        }
    }
}

extension ReceiptTemplate {
    /// The template a receipt of `kind` has when the shop gives none (``ReceiptTemplate/builtInSource(_:)``).
    public static func builtIn(_ kind: Kind) -> ReceiptTemplate {
        switch kind {
        case .balance: builtInBalance
        case .transaction: builtInTransaction
        case .hold: builtInHold
        }
    }

    // Parsed once; a test parses each (a built-in template that does not parse fails it).
    static let builtInBalance = try! ReceiptTemplate(builtInSource(.balance), kind: .balance)
    static let builtInTransaction = try! ReceiptTemplate(builtInSource(.transaction), kind: .transaction)
    static let builtInHold = try! ReceiptTemplate(builtInSource(.hold), kind: .hold)

    /// Reads a template whose kind is not given: the kind whose names it uses (balance for one
    /// that uses only the names all kinds have). Throws the error of the kind it got furthest in.
    public static func inferringKind(_ text: String) throws(ReceiptTemplateError) -> ReceiptTemplate {
        var errors: [ReceiptTemplateError] = []
        for kind in [Kind.balance, .transaction, .hold] {
            do { return try ReceiptTemplate(text, kind: kind) } catch { errors.append(error) }
        }
        throw errors.max { ($0.line, $0.column) < ($1.line, $1.column) } ?? errors[0]
    }
}
