import ESCPOS
import Foundation

/// `receipts.templates.<kind>`: a shop's own receipt layouts (`docs/receipt-templates.md`).
extension DaemonConfig {
    /// Reads and checks each configured template file: its markup and placeholders, then its
    /// QR codes and barcodes rendered with the shop's name, the printer's profile and example
    /// data. Throws naming the key, the file and the line.
    static func receiptTemplates(
        _ string: (String) -> String?, shop: ShopConfig, profile: PrinterProfile
    ) throws(ConfigError) -> ReceiptTemplates {
        var templates = ReceiptTemplates.builtIn
        let receiptShop = ReceiptShop(name: shop.name, headerLines: shop.header, footerLines: shop.footer, terminal: shop.terminal)
        for kind in ReceiptTemplate.Kind.allCases {
            let key = "receipts.templates." + kind.rawValue
            guard let path = string(key), !path.isEmpty else { continue }
            guard path.hasPrefix("/") else { throw ConfigError(key: key, "'\(path)' is not an absolute path") }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(key: key, FileManager.default.fileExists(atPath: path) ? "cannot read \(path) (permissions?)" : "\(path) does not exist")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw ConfigError(key: key, "\(path) is not UTF-8 text") }
            do {
                let template = try ReceiptTemplate(text, kind: kind)
                try template.check(shop: receiptShop, profile: profile, locale: shop.locale)
                templates[kind] = template
            } catch {
                throw ConfigError(key: key, "\(path) \(error)")
            }
        }
        return templates
    }
}
