import ESCPOS
import Ledger

extension ReceiptLocale {
    /// An amount as the shop's locale writes it: the digits after the point from the currency's
    /// ISO 4217 entry (`Currency.minorUnitDigits`), its sign, or its code when it has none.
    func money(_ m: Money) -> String {
        let symbol = m.currency.symbol.map { String($0.filter { $0 != " " }) } ?? m.currency.code
        return money(minorUnits: m.minorUnits, minorUnitDigits: m.currency.minorUnitDigits, symbol: symbol)
    }
}
