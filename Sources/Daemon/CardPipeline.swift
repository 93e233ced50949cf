import CardReading
import ESCPOS
import Foundation
import Ledger
import LocalAPI
import Logging
import NFC

/// What a reader produced: text from a serial line, or key strokes from a keyboard wedge.
enum ReaderInput: Sendable {
    case bytes([UInt8])
    case keys(WedgeRead)
    /// A MagTek HID swipe report (337 bytes).
    case magtekReport([UInt8])
    /// What a PC/SC contactless reader read from a card or phone.
    case nfc(NFCRead)
}

/// The path every read takes, from a device or from `simulate swipe`: decode (a swipe, else a
/// barcode) → `card.read` (or `card.error`) → per `swipe.action` the balance from the ledger
/// (`gift.balance`) → a balance receipt to the printer.
final class CardPipeline: Sendable {
    let config: DaemonConfig
    let ledger: any GiftLedger
    let spooler: PrintSpooler?
    let events: EventBus
    let reads: RecentReads
    let logger: Logger
    let readers: [String: ReaderConfig]
    let normalizer: Normalizer

    init(config: DaemonConfig, ledger: any GiftLedger, spooler: PrintSpooler?, events: EventBus, reads: RecentReads, logger: Logger) {
        self.config = config
        self.ledger = ledger
        self.spooler = spooler
        self.events = events
        self.reads = reads
        self.logger = logger
        self.readers = Dictionary(config.readers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.normalizer = Normalizer(rules: config.normalizationRules)
    }

    struct CardRead: Encodable {
        var readId: String
        var reader: String
        /// `magstripe`, `barcode`, `vas` (a wallet pass) or `nfc` (a contactless tag).
        var kind: String
        var maskedCardNumber: String?
        var tracks: [Int]?
        var luhnValid: Bool?
        var symbology: String?
        /// `apple_vas` or `google_smart_tap` for a wallet pass.
        var walletKind: String?
        /// A contactless tag's type: `type2`, `type4` or `other` (UID only).
        var tagType: String?
        var fields: [String]
        var warnings: [String]?
    }

    /// `vas.url-only` and `vas.no-pass`: a phone answered, with nothing to read.
    struct VASNotice: Encodable {
        var reader: String
        var message: String
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
    func handleRead(_ input: ReaderInput, reader: String) async -> [APIEvent] {
        var published: [APIEvent] = []
        func publish(_ type: String, _ payload: some Encodable) {
            if type == "card.read" || type == "card.error" { DaemonMetrics.read(reader: metricLabel(reader), ok: type == "card.read") }
            if let e = events.publish(type, payload) { published.append(e) }
        }
        let settings = readers[reader]
        let layout = settings?.layout ?? KeyboardLayout.named("us")!
        let content = settings?.content ?? .auto
        let decoder = MagstripeDecoder(lrc: settings?.lrc ?? .absent)
        var warnings: [String] = []
        // What the read is: a swipe, a barcode or a wallet pass, by the reader's content setting
        // (auto: a swipe when it looks like one, else a barcode).
        enum Decoded {
            case swipe(Result<Swipe, SwipeError>)
            case barcode(String)
            case vas([UInt8])
            case nfc(NFCRead)
        }
        let decoded: Decoded
        switch input {
        case .bytes(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            switch content {
            case .vas: decoded = .vas(bytes)
            case .magstripe: decoded = .swipe(decoder.decode(text))
            case .barcode: decoded = .barcode(text)
            case .auto: decoded = MagstripeDecoder.looksLikeSwipe(text) ? .swipe(decoder.decode(text)) : .barcode(text)
            }
        case .keys(let read):
            if read.looksTypedByHand() { warnings.append("typed_by_hand") }
            switch content {
            case .vas: decoded = .vas(Array(read.text(layout).utf8))
            case .magstripe: decoded = .swipe(decoder.decode(read, layout: layout))
            case .barcode: decoded = .barcode(read.text(layout))
            case .auto:
                // A swipe read through the wrong layout is still a swipe (reported as layout_mismatch).
                let swipeLike = KeyboardLayout.names.contains { name in
                    KeyboardLayout.named(name).map { MagstripeDecoder.looksLikeSwipe(read.text($0)) } ?? false
                }
                decoded = swipeLike ? .swipe(decoder.decode(read, layout: layout)) : .barcode(read.text(layout))
            }
        case .magtekReport(let report):
            decoded = .swipe(MagTekHIDReport.decode(report))
        case .nfc(let read):
            decoded = .nfc(read)
        }

        let card: CardInfo
        var cardRead: CardRead
        switch decoded {
        case .swipe(let swipeResult):
            let swipe: Swipe
            switch swipeResult {
            case .success(let s): swipe = s
            case .failure(let error):
                return [reportError(reader: reader, reason: error.reasonCode, message: error.description)].compactMap { $0 }
            }
            switch swipe.cardInfo() {
            case .success(let c): card = c
            case .failure(let error):
                return [reportError(reader: reader, reason: error.reasonCode, message: error.description)].compactMap { $0 }
            }
            var luhn: Bool?
            if case .ok(let t2) = swipe.track2 { luhn = t2.luhnValid }
            cardRead = CardRead(readId: "", reader: reader, kind: "magstripe", maskedCardNumber: card.maskedCardNumber, tracks: swipe.goodTracks, luhnValid: luhn, symbology: nil, fields: card.presentFields)
        case .barcode(let text):
            switch BarcodeDecoder(prefix: settings?.barcodePrefix ?? "", suffix: settings?.barcodeSuffix ?? "").decode(text) {
            case .success(let read):
                card = normalizer.cardInfo(for: read)
                let number = card.printedCardNumber ?? card.barcode ?? card.accountToken
                let masked = number.flatMap { $0.count >= 8 ? PAN.mask($0) : nil }
                cardRead = CardRead(readId: "", reader: reader, kind: "barcode", maskedCardNumber: masked, tracks: nil, luhnValid: nil, symbology: read.symbology.rawValue, fields: card.presentFields)
            case .failure(let error):
                return [reportError(reader: reader, reason: error.reasonCode, message: error.description)].compactMap { $0 }
            }
        case .vas(let bytes):
            switch WalletPassDecoder(separator: settings?.vasSeparator ?? "", unmarkedKind: settings?.vasUnmarked).decode(bytes) {
            case .success(let pass):
                card = pass.cardInfo
                cardRead = CardRead(readId: "", reader: reader, kind: "vas", maskedCardNumber: nil, tracks: nil, luhnValid: nil, symbology: nil, walletKind: pass.kind.rawValue, fields: card.presentFields)
            case .failure(let error):
                return [reportError(reader: reader, reason: error.reasonCode, message: "not a wallet pass read: \(error)")].compactMap { $0 }
            }
        case .nfc(let read):
            switch read {
            case .vasURLOnly:
                publish("vas.url-only", VASNotice(reader: reader, message: NFCCard.summary(read)))
                logger.info("VAS URL-only mode: the phone took the URL", metadata: ["reader": "\(reader)"])
                return published
            case .vasNoPass:
                publish("vas.no-pass", VASNotice(reader: reader, message: NFCCard.summary(read)))
                logger.info("VAS: the phone has no matching pass", metadata: ["reader": "\(reader)"])
                return published
            case .tag, .vasPass:
                break
            }
            guard let c = NFCCard.cardInfo(read, normalizer: normalizer) else {
                return [reportError(reader: reader, reason: "unsupported_card", message: "the tag carries neither a UID nor a text or URI record")].compactMap { $0 }
            }
            card = c
            if case .tag(let tag) = read {
                cardRead = CardRead(readId: "", reader: reader, kind: "nfc", maskedCardNumber: NFCCard.maskedNumber(card), tracks: nil, luhnValid: nil, symbology: nil, tagType: tag.kind.rawValue, fields: card.presentFields)
            } else {
                cardRead = CardRead(readId: "", reader: reader, kind: "vas", maskedCardNumber: NFCCard.maskedNumber(card), tracks: nil, luhnValid: nil, symbology: nil, walletKind: WalletKind.appleVAS.rawValue, fields: card.presentFields)
            }
        }
        // A payment card goes no further: not kept as a read, not to the ledger, only its
        // masked number in the error (and the shop's gift-card ranges, when it has them).
        do throws(CardRefusal) { try config.cardGuard.check(card, field: "read") } catch {
            return [reportError(reader: reader, reason: error.code, message: error.description)].compactMap { $0 }
        }
        cardRead.warnings = warnings.isEmpty ? nil : warnings
        let readId = reads.insert(card)
        cardRead.readId = readId
        publish("card.read", cardRead)
        logger.info("card read", metadata: ["reader": "\(reader)", "kind": "\(cardRead.kind)", "card": "\(cardRead.maskedCardNumber ?? "-")"])

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
        DaemonMetrics.read(reader: metricLabel(reader), ok: false)
        return events.publish("card.error", CardError(reader: reader, reason: reason, message: message))
    }

    /// The metric label for reads from `reader`: a configured reader's id, else `simulated`.
    /// A simulated read may name any reader, and a label per name would grow the metrics
    /// without bound.
    func metricLabel(_ reader: String) -> String {
        readers[reader] == nil ? "simulated" : reader
    }

    /// Encodes and queues a balance receipt; returns its job id, or nil without a printer.
    func printBalanceReceipt(_ state: GiftCardState) -> Int? {
        guard let spooler else { return nil }
        let receipt = BalanceReceipt(
            shopName: config.shop.name, headerLines: config.shop.header, footerLines: config.shop.footer,
            maskedCardNumber: state.maskedNumber, balance: config.shop.locale.money(state.balance),
            cardStatus: state.status == .active ? nil : state.status.rawValue,
            printedAt: Self.receiptDate(config.shop.locale), terminal: config.shop.terminal)
        guard let id = spooler.submit(bytes(of: receipt.encodeReporting(profile: spooler.config.profile, locale: config.shop.locale, template: config.receiptTemplates.balance)), kind: "balance") else {
            logger.error("print queue full; balance receipt dropped")
            return nil
        }
        return id
    }

    /// A receipt's bytes; the characters the printer has no code page for are logged, and so are
    /// the QR codes and barcodes a shop template's data could not print.
    func bytes(of receipt: EncodedReceipt) -> [UInt8] {
        if !receipt.replaced.isEmpty {
            logger.notice("receipt characters the printer has no code page for, printed as ASCII", metadata: ["replaced": "\(receipt.replacementNote)"])
        }
        for problem in receipt.problems {
            logger.warning("receipt template: a symbol was left out", metadata: ["problem": "\(problem)"])
        }
        return receipt.bytes
    }

    /// Now, in local time, as the shop's locale writes it (24 h).
    static func receiptDate(_ locale: ReceiptLocale, _ date: Date = Date()) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: .current, from: date)
        return locale.dateTime(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1, hour: c.hour ?? 0, minute: c.minute ?? 0)
    }
}
