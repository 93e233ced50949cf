import CardReading
import Foundation

/// Everything the daemon asks of an embedded ledger store. SQLite (`LedgerSQLite`) and
/// PostgreSQL (`LedgerPostgres`) implement it with the same ``Rules``; every mutation is one
/// database transaction with the card locked. All methods throw ``LedgerError``.
public protocol LedgerStore: GiftLedger {
    /// `sqlite` or `postgresql`, for health reports.
    var backendName: String { get }

    func execute(_ command: GiftCommand, context: OperationContext) async throws -> GiftResult
    func transaction(id: Int64) async throws -> TransactionRecord

    func reserveHold(_ card: CardInfo, amount: Int64, metadata: [String: String], context: OperationContext) async throws -> HoldRecord
    func hold(id: String) async throws -> HoldRecord
    func confirmHold(id: String, context: OperationContext) async throws -> GiftResult
    func cancelHold(id: String, context: OperationContext) async throws -> HoldRecord
    /// Releases unconfirmed holds whose time ran out; returns them.
    func releaseExpiredHolds() async throws -> [HoldRecord]
    /// When the next open hold runs out, if any.
    func nextHoldExpiry() async throws -> Date?

    func addShop(_ shop: Shop) async throws
    func addContact(_ contact: Contact) async throws
    func prepaidTransaction(contactUuid: String?, identifierValue: String?, shopUuid: String, amount: Int64, context: OperationContext) async throws -> PrepaidTransaction
    func reversePrepaid(uuid: String, context: OperationContext) async throws -> PrepaidTransaction
    func prepaidBalance(contactUuid: String) async throws -> Contact
    func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, perPage: Int) async throws -> Page<PrepaidTransaction>

    /// A new card (administration, demo, import). A balance above zero is booked as an `issue`
    /// transaction. Returns the card's id.
    @discardableResult
    func addCard(
        number: String, form: CardForm, status: CardStatus, balance: Money, maximumBalance: Money?, expiresOn: String?,
        registrationCode: String?
    ) async throws -> Int64
    func cardCount() async throws -> Int

    /// What is wrong with the stored data, if anything (empty when every invariant holds).
    func verifyInvariants() async throws -> [String]
}

/// Time stamps as the ledgers store them: ISO 8601, UTC, milliseconds (sorts as text).
public enum LedgerTime {
    public static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }

    public static func date(from text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }

    /// A random transaction id below 2^53, so JSON clients read it exactly.
    public static func newTransactionId() -> Int64 { Int64.random(in: 1..<(1 << 53)) }

    /// Six random digits.
    public static func newAuthCode() -> String {
        let s = String(Int.random(in: 0..<1_000_000))
        return String(repeating: "0", count: 6 - s.count) + s
    }

    /// A 28-character hold id, as Zmyle's.
    public static func newHoldId() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return String((0..<28).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
