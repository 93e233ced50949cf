import CardReading

/// The data model templates see: the placeholder names of each kind of receipt.
extension ReceiptTemplate.Kind {
    public enum Value: Sendable, Equatable {
        /// Always there.
        case text
        /// There or not: `{{#tip}}…{{/tip}}` prints only when it is.
        case optional
        /// Lines, printed one by one with `{{#shop.header}}center: {{.}}{{/shop.header}}`.
        case list
        /// `{{#shop.logo}}`: whether the shop has one.
        case flag
        /// A group of names (`shop`, `labels`).
        case group
    }

    /// Every name a template of this kind may use, with what it holds. Card numbers are only
    /// ever there masked.
    public var names: [String: Value] {
        var n: [String: Value] = [
            "shop": .group, "shop.name": .text, "shop.header": .list, "shop.footer": .list, "shop.terminal": .optional,
            "shop.logo": .flag, "labels": .group, "locale": .text, "printedAt": .text, "maskedCardNumber": .text,
        ]
        for label in ReceiptLabel.allCases { n["labels." + label.rawValue] = .text }
        switch self {
        case .balance:
            n["balance"] = .text
            n["cardStatus"] = .optional
            n["qr"] = .optional
        case .transaction:
            for k in ["title", "kind", "transactionId", "amount", "newBalance"] { n[k] = .text }
            for k in ["tip", "previousBalance", "authCode", "reference", "fromCard", "qr"] { n[k] = .optional }
        case .hold:
            for k in ["holdId", "amount", "status"] { n[k] = .text }
            n["expiresAt"] = .optional
        }
        return n
    }
}

extension ReceiptTemplate.Kind {
    /// The name a misspelt one most likely meant: at most two letters added, dropped or changed.
    func closestName(to name: String) -> String? {
        let wanted = Array(name.lowercased())
        var best: (String, Int)?
        for candidate in names.keys.sorted() {
            let d = editDistance(wanted, Array(candidate.lowercased()))
            if d <= 2, d < best?.1 ?? Int.max { best = (candidate, d) }
        }
        return best?.0
    }

    private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var row = [i + 1]
            for (j, y) in b.enumerated() { row.append(min(previous[j + 1] + 1, row[j] + 1, previous[j] + (x == y ? 0 : 1))) }
            previous = row
        }
        return previous[b.count]
    }
}

extension ReceiptDocument {
    public var kind: ReceiptTemplate.Kind {
        switch self {
        case .balance: .balance
        case .transaction: .transaction
        case .hold: .hold
        }
    }

    /// What a template of this receipt's kind renders with (the names of
    /// ``ReceiptTemplate/Kind/names``): values are text with control characters and line
    /// breaks as spaces, card numbers masked, statuses and titles in the locale's words, and an
    /// optional value left out when absent (an empty QR text too).
    func templateData(shop: ReceiptShop, locale: ReceiptLocale) -> [String: Any] {
        let labels = Self.labelData[locale.identifier] ?? Self.labels(locale)
        var shopData: [String: Any] = [
            "name": templateText(shop.name), "header": shop.headerLines.map(templateText), "footer": shop.footerLines.map(templateText), "logo": shop.logo != nil,
        ]
        if let t = shop.terminal { shopData["terminal"] = templateText(t) }
        var d: [String: Any] = ["shop": shopData, "labels": labels, "locale": locale.identifier]
        func put(_ key: String, _ value: String?) { if let value { d[key] = templateText(value) } }
        func card(_ key: String, _ number: String?) { if let number { d[key] = templateText(PAN.mask(number)) } }
        switch self {
        case .balance(let b):
            card("maskedCardNumber", b.maskedCardNumber)
            put("balance", b.balance)
            put("cardStatus", b.cardStatus.map(locale.cardStatus))
            put("printedAt", b.printedAt)
            put("qr", b.qr?.isEmpty == false ? b.qr : nil)
        case .transaction(let t):
            card("maskedCardNumber", t.maskedCardNumber)
            card("fromCard", t.fromCard)
            put("title", t.title(in: locale))
            let fields: [(String, String?)] = [
                ("kind", t.kind), ("transactionId", t.transactionId), ("amount", t.amount), ("tip", t.tip),
                ("previousBalance", t.previousBalance), ("newBalance", t.newBalance), ("authCode", t.authCode),
                ("reference", t.reference), ("printedAt", t.printedAt),
            ]
            for (k, v) in fields { put(k, v) }
            put("qr", t.qr?.isEmpty == false ? t.qr : nil)
        case .hold(let h):
            card("maskedCardNumber", h.maskedCardNumber)
            put("holdId", h.holdId)
            put("amount", h.amount)
            put("status", locale.holdStatus(h.status))
            put("expiresAt", h.expiresAt)
            put("printedAt", h.printedAt)
        }
        return d
    }

    /// `labels.*` of each locale, made once.
    static let labelData = Dictionary(uniqueKeysWithValues: ReceiptLocale.all.map { ($0.identifier, labels($0)) })

    static func labels(_ locale: ReceiptLocale) -> [String: String] {
        var labels: [String: String] = [:]
        for label in ReceiptLabel.allCases { labels[label.rawValue] = templateText(locale.label(label)) }
        return labels
    }

    /// Example data for designing a template without a printer or a ledger: every optional
    /// field there, amounts and dates in `locale`'s forms.
    public static func example(_ kind: ReceiptTemplate.Kind, locale: ReceiptLocale = .default) -> ReceiptDocument {
        func money(_ minor: Int64) -> String { locale.money(minorUnits: minor, minorUnitDigits: 2, symbol: "€") }
        let now = locale.dateTime(year: 2026, month: 11, day: 21, hour: 14, minute: 5)
        let card = "603571******0000"
        switch kind {
        case .balance:
            return .balance(.init(maskedCardNumber: card, balance: money(2500), cardStatus: "active", printedAt: now, qr: "https://example.com/gc/0000"))
        case .transaction:
            return .transaction(.init(
                kind: "redeem", transactionId: "4821", maskedCardNumber: card, amount: money(2000), tip: money(200),
                previousBalance: money(6000), newBalance: money(3800), authCode: "A1B2C3", reference: "POS-1234",
                fromCard: "603571******0028", printedAt: now, qr: "https://example.com/gc/0000"))
        case .hold:
            return .hold(.init(holdId: "h-42", maskedCardNumber: card, amount: money(1200), status: "NEEDS_CONFIRMATION", expiresAt: "14:35", printedAt: now))
        }
    }
}

extension ReceiptShop {
    /// The shop of the examples.
    public static let example = ReceiptShop(name: "Example Shop", headerLines: ["1 Example Street"], footerLines: ["Thank you!"], terminal: "T1")
}

/// A value as template text: control characters (line breaks, tabs, escapes) and the Unicode
/// line and paragraph separators become spaces, so a value stays on its line as text.
func templateText(_ value: String) -> String {
    guard value.unicodeScalars.contains(where: isLineOrControl) else { return value }
    var out = String.UnicodeScalarView()
    for s in value.unicodeScalars { out.append(isLineOrControl(s) ? " " : s) }
    return String(out)
}

/// Unicode's control characters (Cc: U+0000–001F, U+007F–009F) and the line and paragraph
/// separators (U+2028, U+2029).
private func isLineOrControl(_ s: Unicode.Scalar) -> Bool {
    s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
}
