import CardReading
import ESCPOS
import Foundation
import Ledger
import LocalAPI
import Logging

/// The path every read takes, from a device or from `simulate swipe`: decode → `card.read` (or
/// `card.error`) → per `swipe.action` the balance from the ledger (`gift.balance`) → a balance
/// receipt to the printer.
final class CardPipeline: Sendable {
    let config: DaemonConfig
    let ledger: any GiftLedger
    let spooler: PrintSpooler?
    let events: EventBus
    let reads: RecentReads
    let logger: Logger
    let decoder: [String: MagstripeDecoder]

    init(config: DaemonConfig, ledger: any GiftLedger, spooler: PrintSpooler?, events: EventBus, reads: RecentReads, logger: Logger) {
        self.config = config
        self.ledger = ledger
        self.spooler = spooler
        self.events = events
        self.reads = reads
        self.logger = logger
        self.decoder = Dictionary(uniqueKeysWithValues: config.readers.map { ($0.id, MagstripeDecoder(lrc: $0.lrc)) })
    }

    struct CardRead: Encodable {
        var readId: String
        var reader: String
        var maskedCardNumber: String?
        var tracks: [Int]
        var luhnValid: Bool?
        var fields: [String]
    }

    struct CardError: Encodable {
        var reader: String
        var reason: String
        var message: String
    }

    struct GiftBalance: Encodable {
        var readId: String?
        var reader: String?
        var maskedCardNumber: String
        var currency: String
        var balance: String
        var balanceMinor: Int64
        var available: String
        var availableMinor: Int64
        var cardStatus: String
        var receiptJobId: Int?
    }

    struct GiftError: Encodable {
        var readId: String?
        var reader: String?
        var code: String
        var message: String
    }

    /// Handles one complete read from `reader`. Returns the events it published, once they are
    /// out and the receipt (if any) is queued.
    @discardableResult
    func handleRead(_ bytes: [UInt8], reader: String) async -> [APIEvent] {
        var published: [APIEvent] = []
        func publish(_ type: String, _ payload: some Encodable) {
            if let e = events.publish(type, payload) { published.append(e) }
        }
        var text = String(decoding: bytes, as: UTF8.self)
        defer { text = "" }
        let swipe: Swipe
        switch (decoder[reader] ?? MagstripeDecoder()).decode(text) {
        case .success(let s): swipe = s
        case .failure(let error):
            return [reportError(reader: reader, reason: error.reasonCode, message: error.description)].compactMap { $0 }
        }
        let card: CardInfo
        switch swipe.cardInfo() {
        case .success(let c): card = c
        case .failure(let error):
            return [reportError(reader: reader, reason: error.reasonCode, message: error.description)].compactMap { $0 }
        }
        let readId = reads.insert(card)
        var luhn: Bool?
        if case .ok(let t2) = swipe.track2 { luhn = t2.luhnValid }
        publish("card.read", CardRead(readId: readId, reader: reader, maskedCardNumber: card.maskedCardNumber, tracks: swipe.goodTracks, luhnValid: luhn, fields: card.presentFields))
        logger.info("card read", metadata: ["reader": "\(reader)", "card": "\(card.maskedCardNumber ?? "-")", "tracks": "\(swipe.goodTracks)"])

        guard config.swipeAction != .none else { return published }
        // The read id stays usable by the POS: the automatic balance uses the card directly.
        do {
            let state = try await ledger.balance(of: card, context: RequestContext(terminalId: config.shop.terminal))
            let jobId = config.swipeAction == .balanceReceipt ? printBalanceReceipt(state) : nil
            publish("gift.balance", GiftBalance(
                readId: readId, reader: reader, maskedCardNumber: state.maskedNumber, currency: state.balance.currency.code,
                balance: state.balance.decimalString, balanceMinor: state.balance.minorUnits,
                available: state.available.decimalString, availableMinor: state.available.minorUnits,
                cardStatus: state.status.rawValue, receiptJobId: jobId))
        } catch let error as LedgerError {
            publish("gift.error", GiftError(readId: readId, reader: reader, code: error.code, message: error.description))
            logger.notice("balance refused", metadata: ["reader": "\(reader)", "card": "\(card.maskedCardNumber ?? "-")", "code": "\(error.code)"])
        } catch {
            publish("gift.error", GiftError(readId: readId, reader: reader, code: "ledger_unavailable", message: "\(error)"))
        }
        return published
    }

    @discardableResult
    func reportError(reader: String, reason: String, message: String) -> APIEvent? {
        logger.notice("unusable read", metadata: ["reader": "\(reader)", "reason": "\(reason)"])
        return events.publish("card.error", CardError(reader: reader, reason: reason, message: message))
    }

    /// Encodes and queues a balance receipt; returns its job id, or nil without a printer.
    func printBalanceReceipt(_ state: GiftCardState) -> Int? {
        guard let spooler else { return nil }
        let receipt = BalanceReceipt(
            shopName: config.shop.name, headerLines: config.shop.header, footerLines: config.shop.footer,
            maskedCardNumber: state.maskedNumber, balance: state.balance.displayString,
            cardStatus: state.status == .active ? nil : state.status.rawValue,
            printedAt: Self.receiptDate(), terminal: config.shop.terminal)
        guard let id = spooler.submit(receipt.encode(profile: spooler.config.profile), kind: "balance") else {
            logger.error("print queue full; balance receipt dropped")
            return nil
        }
        return id
    }

    static func receiptDate() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: Date())
    }
}
