@testable import ESCPOS

// The receipts as they were laid out in Swift before templates (ESCPOS at commit eed1297),
// kept as the reference the built-in templates are compared with byte for byte.
extension ReceiptDocument {
    /// The bytes, and the characters no code page of the profile holds (printed in their ASCII
    /// form, see `ESCPOSWriter.replaced`).
    func legacyEncodeReporting(shop: ReceiptShop, profile: PrinterProfile, locale: ReceiptLocale = .default) -> EncodedReceipt {
        var w = ESCPOSWriter(profile: profile)
        let l = locale.label
        w.initialize()
        w.legacyShopHeader(shop)
        switch self {
        case .balance(let d):
            w.legacyTitle(l(.balanceTitle))
            w.legacyRule()
            w.columns(l(.card), d.maskedCardNumber)
            if let s = d.cardStatus { w.columns(l(.status), locale.cardStatus(s)) }
            w.columns(l(.date), d.printedAt)
            if let t = shop.terminal { w.columns(l(.terminal), t) }
            w.legacyRule()
            w.legacyEmphasised(l(.balance), d.balance)
            w.legacyQRLine(d.qr)
        case .transaction(let d):
            w.legacyTitle(d.title(in: locale))
            w.legacyRule()
            w.columns(l(.card), d.maskedCardNumber)
            if let from = d.fromCard { w.columns(l(.fromCard), from) }
            w.columns(l(.transaction), d.transactionId)
            if let a = d.authCode { w.columns(l(.authCode), a) }
            if let r = d.reference { w.columns(l(.reference), r) }
            w.columns(l(.date), d.printedAt)
            if let t = shop.terminal { w.columns(l(.terminal), t) }
            w.legacyRule()
            if let p = d.previousBalance { w.columns(l(.previousBalance), p) }
            w.columns(l(.amount), d.amount)
            if let tip = d.tip { w.columns(l(.tip), tip) }
            w.legacyRule()
            w.legacyEmphasised(l(.balance), d.newBalance)
            w.legacyQRLine(d.qr)
        case .hold(let d):
            w.legacyTitle(l(.holdTitle))
            w.legacyRule()
            w.columns(l(.card), d.maskedCardNumber)
            w.columns(l(.hold), d.holdId)
            w.columns(l(.status), locale.holdStatus(d.status))
            if let e = d.expiresAt { w.columns(l(.expires), e) }
            w.columns(l(.date), d.printedAt)
            if let t = shop.terminal { w.columns(l(.terminal), t) }
            w.legacyRule()
            w.legacyEmphasised(l(.held), d.amount)
        }
        w.legacyShopFooter(shop)
        w.feed(lines: 3)
        w.cut(.full)
        return EncodedReceipt(bytes: w.bytes, replaced: w.replaced)
    }
}

extension BalanceReceipt {
    /// The bytes and the characters the profile could not print as they are.
    func legacyEncodeReporting(profile: PrinterProfile, locale: ReceiptLocale = .default) -> EncodedReceipt {
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

extension ESCPOSWriter {
    mutating func legacyShopHeader(_ shop: ReceiptShop) {
        if let logo = shop.logo { image(logo, align: .center) }
        align(.center)
        bold(true)
        size(width: 2, height: 2)
        line(shop.name)
        size()
        bold(false)
        for l in shop.headerLines { line(l) }
        line()
        align(.left)
    }

    mutating func legacyShopFooter(_ shop: ReceiptShop) {
        guard !shop.footerLines.isEmpty else { return }
        line()
        align(.center)
        for l in shop.footerLines { line(l) }
        align(.left)
    }

    mutating func legacyTitle(_ text: String) {
        align(.center)
        bold(true)
        line(text)
        bold(false)
        align(.left)
    }

    mutating func legacyRule() { line(String(repeating: "-", count: profile.columns)) }

    /// A label and amount in bold, double height: the figure the customer looks for.
    mutating func legacyEmphasised(_ label: String, _ value: String) {
        bold(true)
        size(width: 1, height: 2)
        columns(label, value)
        size()
        bold(false)
    }

    mutating func legacyQRLine(_ text: String?) {
        guard let text, !text.isEmpty else { return }
        line()
        align(.center)
        // Too long for a QR code: leave it out rather than fail the receipt.
        try? qr(text, size: 6, errorCorrection: .medium)
        align(.left)
    }
}

