import ESCPOS

enum ESCPOSBench {
    static let receipt = BalanceReceipt(
        shopName: "GIFT SHOP", headerLines: ["1 Example Street", "Springfield", "Tel 555-0100"], footerLines: ["Thank you!", "VAT ID DE123456789"],
        maskedCardNumber: "603571******0000", balance: "€40.00", cardStatus: nil, printedAt: "2026-11-21 10:00", terminal: "T1")

    static func encode(_ r: BalanceReceipt) -> [UInt8] { r.encode(profile: .epsonTMT88V) }
}
