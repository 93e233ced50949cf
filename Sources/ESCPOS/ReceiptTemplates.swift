/// The shop's part of every receipt, from configuration.
public struct ReceiptShop: Sendable, Equatable, Codable {
    public var name: String
    public var headerLines: [String]
    public var footerLines: [String]
    public var terminal: String?
    /// A logo printed above the name (already 1-bit; scaled to the paper when wider).
    public var logo: Bitmap?

    public init(name: String, headerLines: [String] = [], footerLines: [String] = [], terminal: String? = nil, logo: Bitmap? = nil) {
        self.name = name
        self.headerLines = headerLines
        self.footerLines = footerLines
        self.terminal = terminal
        self.logo = logo
    }

    enum CodingKeys: String, CodingKey { case name, headerLines, footerLines, terminal }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        headerLines = try c.decodeIfPresent([String].self, forKey: .headerLines) ?? []
        footerLines = try c.decodeIfPresent([String].self, forKey: .footerLines) ?? []
        terminal = try c.decodeIfPresent(String.self, forKey: .terminal)
        logo = nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(headerLines, forKey: .headerLines)
        try c.encode(footerLines, forKey: .footerLines)
        try c.encodeIfPresent(terminal, forKey: .terminal)
    }
}

/// What a receipt says. Amounts arrive formatted in the card's currency ("€40.00") and card
/// numbers masked; the templates only lay them out. Field names are the JSON keys of
/// `POST /v1/print` and `giftbridge receipt render --data`.
public enum ReceiptDocument: Sendable, Equatable {
    case balance(BalanceData)
    case transaction(TransactionData)
    case hold(HoldData)

    public static let templates = ReceiptTemplate.Kind.allCases.map(\.rawValue)

    /// The data fields a template takes (its JSON keys).
    public static func fields(of template: String) -> [String]? {
        switch template {
        case "balance": BalanceData.CodingKeys.allCases.map(\.rawValue)
        case "transaction": TransactionData.CodingKeys.allCases.map(\.rawValue)
        case "hold": HoldData.CodingKeys.allCases.map(\.rawValue)
        default: nil
        }
    }

    public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
        case unknownTemplate(String)
        case unknownField(template: String, field: String)
        case missingField(template: String, field: String)
        case notAString(template: String)

        public var code: String {
            switch self {
            case .unknownTemplate: "unknown_template"
            case .unknownField: "unknown_field"
            case .missingField: "missing_field"
            case .notAString: "invalid_field"
            }
        }

        public var description: String {
            switch self {
            case .unknownTemplate(let t): "template '\(t)' is not one of \(ReceiptDocument.templates.joined(separator: ", "))"
            case .unknownField(let t, let f):
                "unknown field '\(f)'; the \(t) template takes \((ReceiptDocument.fields(of: t) ?? []).sorted().joined(separator: ", "))"
            case .missingField(let t, let f): "field '\(f)' is required by the \(t) template"
            case .notAString(let t): "every field of the \(t) template is a string"
            }
        }
    }

    /// A template's data: `keys` are the fields present (checked against the template), and
    /// `decode` decodes the data type (e.g. with Foundation's JSONDecoder).
    public static func make(
        template: String, keys: some Sequence<String>,
        decode: (any Decodable.Type) throws -> any Decodable
    ) throws(DataError) -> ReceiptDocument {
        guard let allowed = fields(of: template) else { throw .unknownTemplate(template) }
        if let unknown = keys.filter({ !allowed.contains($0) }).sorted().first {
            throw .unknownField(template: template, field: unknown)
        }
        do {
            switch template {
            case "transaction": if let d = try decode(TransactionData.self) as? TransactionData { return .transaction(d) }
            case "hold": if let d = try decode(HoldData.self) as? HoldData { return .hold(d) }
            default: if let d = try decode(BalanceData.self) as? BalanceData { return .balance(d) }
            }
            throw DataError.notAString(template: template)  // the decoder gave back another type
        } catch let error as DataError {
            throw error
        } catch DecodingError.keyNotFound(let key, _) {
            throw .missingField(template: template, field: key.stringValue)
        } catch {
            throw .notAString(template: template)
        }
    }

    public struct BalanceData: Sendable, Equatable, Codable {
        public var maskedCardNumber: String
        public var balance: String
        public var cardStatus: String?
        public var printedAt: String
        public var qr: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case maskedCardNumber, balance, cardStatus, printedAt, qr }

        public init(maskedCardNumber: String, balance: String, cardStatus: String? = nil, printedAt: String, qr: String? = nil) {
            self.maskedCardNumber = maskedCardNumber
            self.balance = balance
            self.cardStatus = cardStatus
            self.printedAt = printedAt
            self.qr = qr
        }
    }

    public struct TransactionData: Sendable, Equatable, Codable {
        /// `sale`, `reload`, `redeem`, `reverse`, `cash-out`, `exchange`, `activate`, … as the
        /// ledger names it; printed as a title.
        public var kind: String
        public var transactionId: String
        public var maskedCardNumber: String
        public var amount: String
        public var tip: String?
        public var previousBalance: String?
        public var newBalance: String
        public var authCode: String?
        public var reference: String?
        /// For an exchange: the old card.
        public var fromCard: String?
        public var printedAt: String
        public var qr: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case kind, transactionId, maskedCardNumber, amount, tip, previousBalance, newBalance, authCode, reference, fromCard, printedAt, qr
        }

        public init(
            kind: String, transactionId: String, maskedCardNumber: String, amount: String, tip: String? = nil,
            previousBalance: String? = nil, newBalance: String, authCode: String? = nil, reference: String? = nil,
            fromCard: String? = nil, printedAt: String, qr: String? = nil
        ) {
            self.kind = kind
            self.transactionId = transactionId
            self.maskedCardNumber = maskedCardNumber
            self.amount = amount
            self.tip = tip
            self.previousBalance = previousBalance
            self.newBalance = newBalance
            self.authCode = authCode
            self.reference = reference
            self.fromCard = fromCard
            self.printedAt = printedAt
            self.qr = qr
        }

        /// The title a customer reads for each kind (in English).
        public var title: String { title(in: .default) }

        /// The title a customer reads for each kind, in the locale's language.
        public func title(in locale: ReceiptLocale) -> String {
            let key: ReceiptLabel? = switch kind.lowercased() {
            case "sale", "sell", "activate", "activation": .titleSold
            case "reload", "add-value", "addvalue": .titleReloaded
            case "redeem", "redemption": .titlePayment
            case "reverse", "reversal", "void": .titleReversed
            case "cash-out", "cashout": .titleCashedOut
            case "exchange": .titleExchanged
            case "refund": .titleRefund
            default: nil
            }
            return key.map(locale.label) ?? locale.label(.titleOther) + " " + kind
        }
    }

    public struct HoldData: Sendable, Equatable, Codable {
        public var holdId: String
        public var maskedCardNumber: String
        public var amount: String
        /// `NEEDS_CONFIRMATION`, `CONFIRMED`, `CANCELLED` or `EXPIRED`.
        public var status: String
        public var expiresAt: String?
        public var printedAt: String

        enum CodingKeys: String, CodingKey, CaseIterable { case holdId, maskedCardNumber, amount, status, expiresAt, printedAt }

        public init(holdId: String, maskedCardNumber: String, amount: String, status: String, expiresAt: String? = nil, printedAt: String) {
            self.holdId = holdId
            self.maskedCardNumber = maskedCardNumber
            self.amount = amount
            self.status = status
            self.expiresAt = expiresAt
            self.printedAt = printedAt
        }
    }

    /// The ESC/POS bytes of this receipt for `shop` on `profile`, labelled in `locale`'s language,
    /// laid out by its kind's template of `templates` (the built-in ones by default).
    public func encode(shop: ReceiptShop, profile: PrinterProfile, locale: ReceiptLocale = .default, templates: ReceiptTemplates = .builtIn) -> [UInt8] {
        encodeReporting(shop: shop, profile: profile, locale: locale, templates: templates).bytes
    }

    /// The bytes, and the characters no code page of the profile holds (printed in their ASCII
    /// form, see `ESCPOSWriter.replaced`).
    public func encodeReporting(shop: ReceiptShop, profile: PrinterProfile, locale: ReceiptLocale = .default, templates: ReceiptTemplates = .builtIn) -> EncodedReceipt {
        templates[kind].encodeReporting(self, shop: shop, profile: profile, locale: locale)
    }
}

/// A receipt's bytes and the characters the profile could not print as they are.
public struct EncodedReceipt: Sendable, Equatable {
    public var bytes: [UInt8]
    public var replaced: [Unicode.Scalar]
    /// QR codes and barcodes a template's data could not print, left out of the receipt (each
    /// naming its template line).
    public var problems: [ReceiptTemplateError]

    public init(bytes: [UInt8], replaced: [Unicode.Scalar], problems: [ReceiptTemplateError] = []) {
        self.bytes = bytes
        self.replaced = replaced
        self.problems = problems
    }

    /// "ő → o, ş → s" for a preview's or a log's note; empty when nothing was replaced.
    public var replacementNote: String {
        replaced.map { s in "\(Character(s)) → \(ESCPOSWriter.asciiForms[s.value] ?? "?")" }.joined(separator: ", ")
    }
}

extension ReceiptLocale {
    static let cardStatusLabels: [String: ReceiptLabel] = [
        "active": .statusActive, "inactive": .statusInactive, "blocked": .statusBlocked, "retired": .statusRetired,
    ]
    static let holdStatusLabels: [String: ReceiptLabel] = [
        "NEEDS_CONFIRMATION": .holdNeedsConfirmation, "CONFIRMED": .holdConfirmed, "CANCELLED": .holdCancelled, "EXPIRED": .holdExpired,
    ]

    /// A card status (`blocked`) in the locale's words; an unknown one as it is.
    public func cardStatus(_ status: String) -> String {
        Self.cardStatusLabels[status.lowercased()].map(label) ?? status
    }

    /// A hold status (`NEEDS_CONFIRMATION`) in the locale's words; an unknown one in lower case.
    public func holdStatus(_ status: String) -> String {
        Self.holdStatusLabels[status.uppercased()].map(label) ?? status.replacingUnderscores()
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 }).lowercased()
    }
}
