/// The built-in receipts, in the template markup (`docs/receipt-templates.md`): what every
/// receipt is laid out with unless the shop configures its own, and a start for one that does
/// (`giftbridge receipt template --kind KIND` prints them).
extension ReceiptTemplate {
    public static func builtInSource(_ kind: Kind) -> String {
        switch kind {
        case .balance: header + balanceBody + footer
        case .transaction: header + transactionBody + footer
        case .hold: header + holdBody + footer
        }
    }

    static let header = """
        # The shop: its logo (when it has one), its name, its address lines.
        logo
        center bold double: {{shop.name}}
        {{#shop.header}}
        center: {{.}}
        {{/shop.header}}
        center:

        """

    static let balanceBody = """
        center bold: {{labels.balanceTitle}}
        rule
        row: {{labels.card}} | {{maskedCardNumber}}
        {{#cardStatus}}
        row: {{labels.status}} | {{cardStatus}}
        {{/cardStatus}}
        row: {{labels.date}} | {{printedAt}}
        {{#shop.terminal}}
        row: {{labels.terminal}} | {{shop.terminal}}
        {{/shop.terminal}}
        rule
        bold tall row: {{labels.balance}} | {{balance}}
        {{#qr}}
        blank
        qr: {{qr}}
        {{/qr}}

        """

    static let transactionBody = """
        center bold: {{title}}
        rule
        row: {{labels.card}} | {{maskedCardNumber}}
        {{#fromCard}}
        row: {{labels.fromCard}} | {{fromCard}}
        {{/fromCard}}
        row: {{labels.transaction}} | {{transactionId}}
        {{#authCode}}
        row: {{labels.authCode}} | {{authCode}}
        {{/authCode}}
        {{#reference}}
        row: {{labels.reference}} | {{reference}}
        {{/reference}}
        row: {{labels.date}} | {{printedAt}}
        {{#shop.terminal}}
        row: {{labels.terminal}} | {{shop.terminal}}
        {{/shop.terminal}}
        rule
        {{#previousBalance}}
        row: {{labels.previousBalance}} | {{previousBalance}}
        {{/previousBalance}}
        row: {{labels.amount}} | {{amount}}
        {{#tip}}
        row: {{labels.tip}} | {{tip}}
        {{/tip}}
        rule
        bold tall row: {{labels.balance}} | {{newBalance}}
        {{#qr}}
        blank
        qr: {{qr}}
        {{/qr}}

        """

    static let holdBody = """
        center bold: {{labels.holdTitle}}
        rule
        row: {{labels.card}} | {{maskedCardNumber}}
        row: {{labels.hold}} | {{holdId}}
        row: {{labels.status}} | {{status}}
        {{#expiresAt}}
        row: {{labels.expires}} | {{expiresAt}}
        {{/expiresAt}}
        row: {{labels.date}} | {{printedAt}}
        {{#shop.terminal}}
        row: {{labels.terminal}} | {{shop.terminal}}
        {{/shop.terminal}}
        rule
        bold tall row: {{labels.held}} | {{amount}}

        """

    static let footer = """
        # The shop's footer lines, after a blank line; then feed and cut.
        {{^empty(shop.footer)}}
        blank
        {{#shop.footer}}
        center: {{.}}
        {{/shop.footer}}
        {{/empty(shop.footer)}}
        feed 3
        cut

        """
}
