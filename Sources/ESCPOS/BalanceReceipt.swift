/// The balance receipt a customer takes home. Every value arrives formatted (amounts in the card's
/// currency, the card number masked); this type only lays it out.
public struct BalanceReceipt: Sendable, Equatable {
    public var shopName: String
    public var headerLines: [String]
    public var footerLines: [String]
    public var maskedCardNumber: String
    public var balance: String
    public var cardStatus: String?
    /// Date and time as the shop wants it printed.
    public var printedAt: String
    public var terminal: String?

    public init(
        shopName: String, headerLines: [String] = [], footerLines: [String] = [],
        maskedCardNumber: String, balance: String, cardStatus: String? = nil, printedAt: String,
        terminal: String? = nil
    ) {
        self.shopName = shopName
        self.headerLines = headerLines
        self.footerLines = footerLines
        self.maskedCardNumber = maskedCardNumber
        self.balance = balance
        self.cardStatus = cardStatus
        self.printedAt = printedAt
        self.terminal = terminal
    }

    /// The receipt's bytes, labelled in `locale`'s language.
    public func encode(profile: PrinterProfile, locale: ReceiptLocale = .default, template: ReceiptTemplate = .builtIn(.balance)) -> [UInt8] {
        encodeReporting(profile: profile, locale: locale, template: template).bytes
    }

    /// The bytes and the characters the profile could not print as they are: the balance
    /// receipt of ``ReceiptDocument`` (its `balance` template, by default the built-in one).
    public func encodeReporting(profile: PrinterProfile, locale: ReceiptLocale = .default, template: ReceiptTemplate = .builtIn(.balance)) -> EncodedReceipt {
        let shop = ReceiptShop(name: shopName, headerLines: headerLines, footerLines: footerLines, terminal: terminal)
        let document = ReceiptDocument.balance(.init(maskedCardNumber: maskedCardNumber, balance: balance, cardStatus: cardStatus, printedAt: printedAt))
        return template.encodeReporting(document, shop: shop, profile: profile, locale: locale)
    }
}
