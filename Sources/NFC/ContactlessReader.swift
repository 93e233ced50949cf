import CardReading
import Foundation

/// How the reading logic talks to a card: one command APDU in, the raw answer (data, SW1 SW2)
/// out. The PC/SC edge implements it with `SCardTransmit`; a recorded exchange replays it.
public protocol CardChannel {
    func transmit(_ command: [UInt8]) throws(ChannelError) -> [UInt8]
    /// Whether the card is still in the field: asked after a failed or garbled exchange, which
    /// is then reported as the card's removal when it is gone (a reader answers a read of a
    /// tag that left with an error of its own, or nothing).
    func isCardPresent() -> Bool
}

extension CardChannel {
    public func isCardPresent() -> Bool { true }
}

public enum ChannelError: Error, Equatable, Sendable {
    /// The card left the field (or was reset) during the exchange.
    case removed
    /// The reader or the middleware failed.
    case failed(String)
}

/// What a contactless card or phone gave.
public enum NFCRead: Sendable, Equatable {
    /// A tag: its UID (when the reader tells it) and the text and URI records of its NDEF message.
    case tag(TagRead)
    /// A wallet pass, decrypted.
    case vasPass(passTypeId: String, VASMessage)
    /// The phone took the URL of URL-only mode; there is no pass to read.
    case vasURLOnly
    /// The phone has no pass of any configured pass type identifier (or wants the user first).
    case vasNoPass
}

public struct TagRead: Sendable, Equatable {
    public enum Kind: String, Sendable { case type2 = "type2", type4 = "type4", other }
    public var kind: Kind
    public var uid: [UInt8]?
    public var records: [NDEFRecord.Content]

    public init(kind: Kind, uid: [UInt8]?, records: [NDEFRecord.Content]) {
        self.kind = kind
        self.uid = uid
        self.records = records
    }
}

/// Why a read gave nothing: each a `card.error` reason.
public enum NFCReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The card left the field before the read was complete; nothing of it is used.
    case tagRemoved
    case communication(String)
    /// The card answered a command with something the protocol does not allow.
    case badAnswer(String)
    /// The card has neither a UID the reader tells nor an NDEF message nor a VAS applet.
    case unsupportedCard
    case ndef(NDEFError)
    case vas(VASError)

    public var reasonCode: String {
        switch self {
        case .tagRemoved: "tag_removed"
        case .communication: "reader_error"
        case .badAnswer: "bad_card_answer"
        case .unsupportedCard: "unsupported_card"
        case .ndef(let e):
            switch e {
            case .noMessage: "ndef_empty"
            case .malformed: "ndef_malformed"
            case .unsupported: "ndef_unsupported"
            }
        case .vas(let e): e.reasonCode
        }
    }

    public var description: String {
        switch self {
        case .tagRemoved: "the card left the reader before the read was complete; present it again"
        case .communication(let why): "the reader failed: \(why)"
        case .badAnswer(let why): "the card's answer is not valid: \(why)"
        case .unsupportedCard: "the card has no UID, NDEF message or wallet pass giftbridge reads"
        case .ndef(let e): e.description
        case .vas(let e): e.description
        }
    }
}

/// The reading logic for one card in the field, with no I/O of its own: it sends commands
/// through a ``CardChannel`` and decides from the answers.
///
/// A storage card (the reader's PC/SC ATR says so) is read as a Type 2 tag: UID, capability
/// container, pages from 4 until the NDEF TLV is complete. Any other card is asked, in order,
/// for the VAS applet (when merchants or a URL are configured), then the NDEF application of
/// a Type 4 tag; the UID is taken where the reader gives it.
public struct ContactlessReader: Sendable {
    public var merchants: [VASMerchant]
    /// URL-only mode's URL (`vas.url`), sent when no merchant is configured, and with the pass request otherwise.
    public var vasURL: String?
    /// How far a pass's timestamp may be from the till's clock, in seconds.
    public var timestampToleranceSeconds: Int64

    public init(merchants: [VASMerchant] = [], vasURL: String? = nil, timestampToleranceSeconds: Int64 = 60) {
        self.merchants = merchants
        self.vasURL = vasURL
        self.timestampToleranceSeconds = timestampToleranceSeconds
    }

    /// The Type 4 NDEF application (NFC Forum Type 4 Tag, v2.0).
    public static let ndefAID: [UInt8] = [0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01]
    /// Type 2 pages read at most (1 KiB of data area).
    static let maximumType2Pages = 256

    public func read(atr: [UInt8], channel: some CardChannel, now: Date) -> Result<NFCRead, NFCReadError> {
        do throws(NFCReadError) {
            return .success(try readOrThrow(atr: atr, channel: channel, now: now))
        } catch {
            switch error {
            case .communication, .badAnswer, .ndef(.malformed), .vas(.badAnswer):
                // A half exchange: the card that left is the likely cause; the reader knows.
                return .failure(channel.isCardPresent() ? error : .tagRemoved)
            default:
                return .failure(error)
            }
        }
    }

    func readOrThrow(atr: [UInt8], channel: some CardChannel, now: Date) throws(NFCReadError) -> NFCRead {
        let exchange = Exchange(channel: channel)
        if Self.isStorageCard(atr: atr) {
            let uid = try exchange.uid()
            return .tag(try readType2(exchange, uid: uid))
        }
        if !merchants.isEmpty || vasURL != nil {
            let select = try exchange.send(APDU.selectApplication(VAS.aid))
            if select.isSuccess {
                if case .failure(let e) = VAS.parseSelect(select.data) { throw .vas(e) }
                return try readVAS(exchange, now: now)
            }
        }
        let uid = try exchange.uid()
        if let records = try readType4(exchange) {
            return .tag(TagRead(kind: .type4, uid: uid, records: records))
        }
        guard let uid else { throw .unsupportedCard }
        return .tag(TagRead(kind: .other, uid: uid, records: []))
    }

    /// A contactless storage card by PC/SC part 3's ATR: historical bytes `80 4F 0C A0 00 00 03 06 SS NN NN`.
    public static func isStorageCard(atr: [UInt8]) -> Bool {
        let rid: [UInt8] = [0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06]
        guard atr.count >= rid.count else { return false }
        for i in 0...(atr.count - rid.count) where Array(atr[i..<(i + rid.count)]) == rid { return true }
        return false
    }

    func readType2(_ exchange: Exchange<some CardChannel>, uid: [UInt8]?) throws(NFCReadError) -> TagRead {
        let first = try exchange.send(APDU.readBinaryBlocks(3))
        guard first.isSuccess, first.data.count >= 4 else {
            // Not readable by pages (MIFARE Classic and the like): the UID alone.
            guard let uid else { throw .unsupportedCard }
            return TagRead(kind: .other, uid: uid, records: [])
        }
        let cc = first.data.prefix(4)
        guard cc[cc.startIndex] == 0xE1 else { return TagRead(kind: .type2, uid: uid, records: []) }
        let areaBytes = min(Int(cc[cc.startIndex + 2]) * 8, Self.maximumType2Pages * 4)
        var area = Array(first.data.dropFirst(4))
        var page = 3 + first.data.count / 4
        while true {
            switch NDEF.type2Message(inDataArea: Array(area.prefix(areaBytes))) {
            case .success(let message)?:
                return TagRead(kind: .type2, uid: uid, records: try Self.records(message))
            case .failure(let e)?:
                if e == .noMessage { return TagRead(kind: .type2, uid: uid, records: []) }
                throw .ndef(e)
            case nil:
                guard area.count < areaBytes, page < 4 + Self.maximumType2Pages else {
                    throw .ndef(.malformed("the NDEF TLV runs past the tag's data area"))
                }
                let r = try exchange.send(APDU.readBinaryBlocks(UInt8(page & 0xFF)))
                guard r.isSuccess, r.data.count >= 4, r.data.count % 4 == 0 else {
                    throw .badAnswer("READ of page \(page) answered SW \(String(r.sw, radix: 16)) with \(r.data.count) bytes")
                }
                area += r.data
                page += r.data.count / 4
            }
        }
    }

    /// The NDEF records of a Type 4 tag, or nil when the card has no NDEF application.
    func readType4(_ exchange: Exchange<some CardChannel>) throws(NFCReadError) -> [NDEFRecord.Content]? {
        let app = try exchange.send(APDU.selectApplication(Self.ndefAID))
        guard app.isSuccess else { return nil }
        guard try exchange.send(APDU.selectFile(0xE103)).isSuccess else { throw .badAnswer("the NDEF application has no capability container") }
        let ccr = try exchange.send(APDU.readBinary(offset: 0, length: 0x0F))
        let cc = ccr.data
        guard ccr.isSuccess, cc.count >= 15, cc[7] == 0x04, cc[8] == 0x06 else {
            throw .badAnswer("the capability container is not a Type 4 one with an NDEF file")
        }
        let maxRead = max(1, min(Int(cc[3]) << 8 | Int(cc[4]), 0xF0))
        let fileId = UInt16(cc[9]) << 8 | UInt16(cc[10])
        guard cc[13] == 0x00 else { throw .ndef(.unsupported("the NDEF file is read-protected")) }
        guard try exchange.send(APDU.selectFile(fileId)).isSuccess else { throw .badAnswer("the NDEF file cannot be selected") }
        let nlenr = try exchange.send(APDU.readBinary(offset: 0, length: 2))
        guard nlenr.isSuccess, nlenr.data.count == 2 else { throw .badAnswer("the NDEF file has no length") }
        let length = Int(nlenr.data[0]) << 8 | Int(nlenr.data[1])
        guard length > 0 else { throw .ndef(.noMessage) }
        guard length <= NDEF.maximumMessageLength else { throw .ndef(.malformed("an NDEF message of \(length) bytes")) }
        var message: [UInt8] = []
        while message.count < length {
            let n = min(maxRead, length - message.count)
            let r = try exchange.send(APDU.readBinary(offset: UInt16(2 + message.count), length: UInt8(n)))
            guard r.isSuccess, !r.data.isEmpty, r.data.count <= n else { throw .badAnswer("READ BINARY of the NDEF file answered SW \(String(r.sw, radix: 16))") }
            message += r.data
        }
        return try Self.records(message)
    }

    static func records(_ message: [UInt8]) throws(NFCReadError) -> [NDEFRecord.Content] {
        switch NDEF.parse(message) {
        case .success(let records): return records.compactMap(\.content)
        case .failure(let e): throw .ndef(e)
        }
    }

    func readVAS(_ exchange: Exchange<some CardChannel>, now: Date) throws(NFCReadError) -> NFCRead {
        if merchants.isEmpty {
            let r = try exchange.send(VAS.getVASData(passTypeIdHash: nil, url: vasURL))
            guard r.isSuccess else { throw .vas(.badAnswer("URL-only GET VAS DATA answered SW \(String(r.sw, radix: 16))")) }
            return .vasURLOnly
        }
        for merchant in merchants {
            let r = try exchange.send(VAS.getVASData(passTypeIdHash: merchant.passTypeIdHash, url: vasURL))
            if r.sw == VAS.noPassStatus || r.sw == 0x6A83 || r.sw == 0x6A88 { continue }
            guard r.isSuccess else { throw .vas(.badAnswer("GET VAS DATA answered SW \(String(r.sw, radix: 16))")) }
            let cryptogram: [UInt8]
            switch VAS.cryptogram(inAnswer: r.data) {
            case .success(let c): cryptogram = c
            case .failure(let e): throw .vas(e)
            }
            switch VAS.decrypt(cryptogram, merchant: merchant, now: now, toleranceSeconds: timestampToleranceSeconds) {
            case .success(let message): return .vasPass(passTypeId: merchant.passTypeId, message)
            case .failure(let e): throw .vas(e)
            }
        }
        return .vasNoPass
    }
}

/// Sends commands and turns channel failures and short answers into read errors; follows
/// `61 XX` (GET RESPONSE) and `6C XX` (resend with the right Le) as ISO 7816-4 asks.
struct Exchange<Channel: CardChannel> {
    let channel: Channel

    func send(_ command: [UInt8]) throws(NFCReadError) -> APDUResponse {
        var cmd = command
        var collected: [UInt8] = []
        for _ in 0..<16 {
            let raw: [UInt8]
            do { raw = try channel.transmit(cmd) } catch {
                switch error {
                case .removed: throw .tagRemoved
                case .failed(let why): throw .communication(why)
                }
            }
            guard let r = APDUResponse(raw: raw) else { throw .badAnswer("an answer of \(raw.count) bytes has no status word") }
            if r.sw1 == 0x61 {
                collected += r.data
                cmd = [0x00, 0xC0, 0x00, 0x00, r.sw2]
                continue
            }
            if r.sw1 == 0x6C, cmd.count >= 5 {
                cmd[cmd.count - 1] = r.sw2
                continue
            }
            return APDUResponse(data: collected + r.data, sw1: r.sw1, sw2: r.sw2)
        }
        throw .badAnswer("the card kept answering 61 XX / 6C XX")
    }

    /// The UID by the reader's GET DATA, or nil when the reader (or card) does not give one,
    /// or gives a random one (ISO/IEC 14443-3: four bytes starting 08 — phones, many bank
    /// cards), which identifies nothing.
    func uid() throws(NFCReadError) -> [UInt8]? {
        let r = try send(APDU.getUID)
        guard r.isSuccess, (4...10).contains(r.data.count) else { return nil }
        if r.data.count == 4 && r.data[0] == 0x08 { return nil }
        return r.data
    }
}
