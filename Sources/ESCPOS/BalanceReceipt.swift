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
    public func encode(profile: PrinterProfile, locale: ReceiptLocale = .default) -> [UInt8] {
        encodeReporting(profile: profile, locale: locale).bytes
    }

    /// The bytes and the characters the profile could not print as they are.
    public func encodeReporting(profile: PrinterProfile, locale: ReceiptLocale = .default) -> EncodedReceipt {
        let l = locale.label
        var w = ESCPOSWriter(profile: profile)
        w.initialize()
        w.align(.center)
        w.bold(true)
        w.size(width: 2, height: 2)
        w.line(shopName)
        w.size()
        w.bold(false)
        for line in headerLines { w.line(line) }
        w.line()
        w.bold(true)
        w.line(l(.balanceTitle))
        w.bold(false)
        w.align(.left)
        w.line(String(repeating: "-", count: profile.columns))
        w.columns(l(.card), maskedCardNumber)
        if let cardStatus { w.columns(l(.status), locale.cardStatus(cardStatus)) }
        w.columns(l(.date), printedAt)
        if let terminal { w.columns(l(.terminal), terminal) }
        w.line(String(repeating: "-", count: profile.columns))
        w.bold(true)
        w.size(width: 1, height: 2)
        w.columns(l(.balance), balance)
        w.size()
        w.bold(false)
        if !footerLines.isEmpty {
            w.line()
            w.align(.center)
            for line in footerLines { w.line(line) }
            w.align(.left)
        }
        w.feed(lines: 3)
        w.cut(.full)
        return EncodedReceipt(bytes: w.bytes, replaced: w.replaced)
    }
}
