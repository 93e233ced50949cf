import CardReading
import Devices
import Foundation
import Hummingbird

/// `GET /v1/health`.
public struct HealthReport: Codable, Sendable {
    /// `ok`, or `degraded` when a part is not working (the parts say which).
    public var status: String
    public var version: String
    public var demo: Bool
    public var uptimeSeconds: Int
    public var ledger: LedgerHealth
    public var printers: [PrinterInfo]
    public var readers: [ReaderInfo]
    public var eventSubscribers: Int

    public init(status: String, version: String, demo: Bool, uptimeSeconds: Int, ledger: LedgerHealth, printers: [PrinterInfo], readers: [ReaderInfo], eventSubscribers: Int) {
        self.status = status
        self.version = version
        self.demo = demo
        self.uptimeSeconds = uptimeSeconds
        self.ledger = ledger
        self.printers = printers
        self.readers = readers
        self.eventSubscribers = eventSubscribers
    }
}

public struct LedgerHealth: Codable, Sendable {
    public var backend: String
    public var ok: Bool
    public var cards: Int?
    public var error: String?
    /// A remote ledger's connector (Paytronix, Piggy, Zmyle).
    public var connector: ConnectorInfo?

    public init(backend: String, ok: Bool, cards: Int? = nil, error: String? = nil, connector: ConnectorInfo? = nil) {
        self.backend = backend
        self.ok = ok
        self.cards = cards
        self.error = error
        self.connector = connector
    }
}

/// A remote ledger's connector: whether the provider answers, and the outbox of reversals.
public struct ConnectorInfo: Codable, Sendable {
    public var provider: String
    public var baseURL: String
    public var reachable: Bool
    public var lastError: String?
    public var lastSuccessAt: String?
    /// Requests in flight and reversals not yet confirmed by the provider.
    public var outboxDepth: Int
    /// Of them, reversals of requests whose answer never came.
    public var pendingReversals: Int
    /// Reversals the provider refused for good: a person must look.
    public var outboxStuck: Int

    public init(provider: String, baseURL: String, reachable: Bool, lastError: String?, lastSuccessAt: String?, outboxDepth: Int, pendingReversals: Int, outboxStuck: Int) {
        self.pendingReversals = pendingReversals
        self.provider = provider
        self.baseURL = baseURL
        self.reachable = reachable
        self.lastError = lastError
        self.lastSuccessAt = lastSuccessAt
        self.outboxDepth = outboxDepth
        self.outboxStuck = outboxStuck
    }
}

/// A configured reader and what it is doing.
public struct ReaderInfo: Codable, Sendable {
    public var id: String
    public var kind: String
    public var path: String
    /// `attached`, `detached` or `starting`.
    public var state: String
    public var detail: String?
    public var reads: Int
    public var errors: Int
    public var udev: UdevInfo?

    public init(id: String, kind: String, path: String, state: String, detail: String? = nil, reads: Int = 0, errors: Int = 0, udev: UdevInfo? = nil) {
        self.id = id
        self.kind = kind
        self.path = path
        self.state = state
        self.detail = detail
        self.reads = reads
        self.errors = errors
        self.udev = udev
    }
}

/// A configured printer and its queue.
public struct PrinterInfo: Codable, Sendable {
    public var id: String
    public var target: String
    public var profile: String
    /// `ready`, `printing`, `held` (a printer fault holds the queue) or `failing` (unreachable).
    public var state: String
    /// Jobs in the durable queue.
    public var queued: Int
    /// Jobs printed since the daemon started.
    public var printed: Int
    public var lastError: String?
    /// The last real-time status the printer reported (nil: it has not, or cannot).
    public var status: PrinterStatusInfo?
    /// Manufacturer and model from the printer's IEEE 1284 device id (USB printers), once it
    /// has been connected.
    public var manufacturer: String?
    public var model: String?
    /// The cash drawer on the printer's drawer connector.
    public var drawer: DrawerInfo?

    public init(id: String, target: String, profile: String, state: String, queued: Int, printed: Int, lastError: String? = nil, status: PrinterStatusInfo? = nil, manufacturer: String? = nil, model: String? = nil, drawer: DrawerInfo? = nil) {
        self.drawer = drawer
        self.id = id
        self.target = target
        self.profile = profile
        self.state = state
        self.queued = queued
        self.printed = printed
        self.lastError = lastError
        self.status = status
        self.manufacturer = manufacturer
        self.model = model
    }
}

/// A printer's real-time status (DLE EOT).
public struct PrinterStatusInfo: Codable, Sendable, Equatable {
    /// `paper_out`, `cover_open`, `offline`, `cutter_error`, `printer_error`, `recovering`, or nil.
    public var problem: String?
    public var summary: String
    public var paperNearEnd: Bool
    public var paperOut: Bool
    public var coverOpen: Bool
    public var offline: Bool

    public init(problem: String?, summary: String, paperNearEnd: Bool, paperOut: Bool, coverOpen: Bool, offline: Bool) {
        self.problem = problem
        self.summary = summary
        self.paperNearEnd = paperNearEnd
        self.paperOut = paperOut
        self.coverOpen = coverOpen
        self.offline = offline
    }
}

/// `GET /v1/devices`.
public struct DevicesReport: Codable, Sendable {
    public var readers: [ReaderInfo]
    public var printers: [PrinterInfo]
    /// Every USB device on the bus, for finding what to configure.
    public var usb: [USBDeviceSummary]

    public init(readers: [ReaderInfo], printers: [PrinterInfo], usb: [USBDeviceSummary]) {
        self.readers = readers
        self.printers = printers
        self.usb = usb
    }
}

/// `POST /v1/gift/balance`: a card by `cardInfo`, or by the `readId` of a `card.read` event.
public struct BalanceRequest: Codable, Sendable, StrictlyDecodable {
    public var cardInfo: CardInfo?
    public var readId: String?
    public var printReceipt: Bool?
    public var storeCode: String?
    public var terminalId: String?
    public var cashier: String?
    public var checkNumber: String?

    public init(cardInfo: CardInfo? = nil, readId: String? = nil, printReceipt: Bool? = nil, storeCode: String? = nil, terminalId: String? = nil, cashier: String? = nil, checkNumber: String? = nil) {
        self.cardInfo = cardInfo
        self.readId = readId
        self.printReceipt = printReceipt
        self.storeCode = storeCode
        self.terminalId = terminalId
        self.cashier = cashier
        self.checkNumber = checkNumber
    }

    public static let fields: Set<String> = ["cardInfo", "readId", "printReceipt", "storeCode", "terminalId", "cashier", "checkNumber"]
    public static let nested: [String: Set<String>] = ["cardInfo": CardInfo.fieldNames]
}

extension CardInfo {
    public static let fieldNames: Set<String> = [
        "printedCardNumber", "trackInfo", "barcode", "phoneNumber", "appleNfcVasPayload",
        "googleNfcVasPayload", "accountToken", "cardRegCode",
    ]
}

/// A successful balance answer, in the shape of Paytronix's reply (amounts as exact decimal
/// strings and as integer minor units) without the full card number.
public struct BalanceReply: Codable, Sendable, Equatable {
    public var result: String = "success"
    public var maskedCardNumber: String
    public var currency: String
    public var currentBalance: String
    public var currentBalanceMinor: Int64
    public var availableBalance: String
    public var availableBalanceMinor: Int64
    public var cardStatus: String
    public var cardForm: String
    public var expiresOn: String?
    public var cardTemplateCode: Int
    public var cardTemplateName: String
    public var tierCode: Int
    public var tierName: String
    public var posMessages: [String]
    /// The print job of the receipt, when one was asked for.
    public var receiptJobId: Int?

    public init(maskedCardNumber: String, currency: String, currentBalance: String, currentBalanceMinor: Int64, availableBalance: String, availableBalanceMinor: Int64, cardStatus: String, cardForm: String, expiresOn: String?, cardTemplateCode: Int, cardTemplateName: String, tierCode: Int, tierName: String, posMessages: [String] = [], receiptJobId: Int? = nil) {
        self.maskedCardNumber = maskedCardNumber
        self.currency = currency
        self.currentBalance = currentBalance
        self.currentBalanceMinor = currentBalanceMinor
        self.availableBalance = availableBalance
        self.availableBalanceMinor = availableBalanceMinor
        self.cardStatus = cardStatus
        self.cardForm = cardForm
        self.expiresOn = expiresOn
        self.cardTemplateCode = cardTemplateCode
        self.cardTemplateName = cardTemplateName
        self.tierCode = tierCode
        self.tierName = tierName
        self.posMessages = posMessages
        self.receiptJobId = receiptJobId
    }
}

/// `POST /v1/simulate/swipe`: text as a reader would send it.
public struct SimulateSwipeRequest: Codable, Sendable, StrictlyDecodable {
    public var text: String
    /// The reader id the read is reported under; `simulated` when absent.
    public var reader: String?

    public init(text: String, reader: String? = nil) {
        self.text = text
        self.reader = reader
    }

    public static let fields: Set<String> = ["text", "reader"]
    public static let nested: [String: Set<String>] = [:]
}

/// A request body type whose unknown fields are refused rather than ignored.
public protocol StrictlyDecodable: Decodable {
    static var fields: Set<String> { get }
    static var nested: [String: Set<String>] { get }
    /// The members that carry money, and what each may hold (``MoneyLimits``).
    static var moneyFields: [String: MoneyLimits.Field] { get }
}

extension StrictlyDecodable {
    public static var moneyFields: [String: MoneyLimits.Field] { [:] }

    /// Decodes JSON, refusing what is not RFC 8259 (``StrictJSON``), unknown fields (a misspelt
    /// field would otherwise be silently ignored) and amounts outside `limits`, and naming the
    /// field or value that is wrong.
    public static func decodeStrictly(_ data: Data, limits: MoneyLimits = MoneyLimits()) throws(APIError) -> Self {
        let members = try StrictJSON.check(data)
        for key in members.keys.sorted() where !fields.contains(key) {
            throw APIError(.badRequest, "unknown_field", "unknown field '\(key)'; expected one of \(fields.sorted().joined(separator: ", "))")
        }
        for (key, allowed) in nested.sorted(by: { $0.key < $1.key }) {
            if case .object(let inner)? = members[key] {
                for innerKey in inner.sorted() where !allowed.contains(innerKey) {
                    throw APIError(.badRequest, "unknown_field", "unknown field '\(key).\(innerKey)'; expected one of \(allowed.sorted().joined(separator: ", "))")
                }
            }
        }
        try limits.check(members, fields: moneyFields)
        do {
            return try JSONDecoder().decode(Self.self, from: data)
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw APIError(.badRequest, "invalid_field", "field '\(path(ctx))' must be \(type)")
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw APIError(.badRequest, "missing_field", "field '\((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is required")
        } catch let DecodingError.valueNotFound(type, ctx) {
            throw APIError(.badRequest, "invalid_field", "field '\(path(ctx))' must be \(type), not null")
        } catch {
            throw APIError(.badRequest, "invalid_body", "the request body does not match the expected shape")
        }
    }

    private static func path(_ ctx: DecodingError.Context) -> String { ctx.codingPath.map(\.stringValue).joined(separator: ".") }
}

/// Types whose idempotency key may also come in an `Idempotency-Key` header.
protocol IdempotentRequest: StrictlyDecodable {
    var idempotencyKey: String? { get set }
}

extension GiftOperationRequest: IdempotentRequest {}
extension HoldRequest: IdempotentRequest {}
extension HoldActionRequest: IdempotentRequest {}

extension IdempotentRequest {
    static func decodeStrictly(_ data: Data, idempotencyHeader request: Request, limits: MoneyLimits) throws(APIError) -> Self {
        var value = try decodeStrictly(data, limits: limits)
        if let header = request.headers.first(where: { $0.name.canonicalName == "idempotency-key" })?.value {
            if let key = value.idempotencyKey, key != header {
                throw APIError(.badRequest, "idempotency_key_mismatch", "the Idempotency-Key header and idempotencyKey differ")
            }
            value.idempotencyKey = header
        }
        return value
    }
}

/// The answer to a simulated read: the events it produced, in order.
public struct SimulateSwipeReply: Encodable, Sendable {
    public struct Event: Encodable, Sendable {
        public var id: UInt64
        public var type: String
        public var data: JSONValue
    }

    public var accepted = true
    public var events: [Event]

    public init(events: [APIEvent]) {
        self.events = events.map { Event(id: $0.id, type: $0.type, data: JSONValue.parse($0.json)) }
    }
}

/// Any JSON value, to carry already encoded event data inside another document.
public enum JSONValue: Codable, Sendable, Equatable {
    case null, bool(Bool), number(Double), integer(Int64), string(String)
    case array([JSONValue]), object([String: JSONValue])

    public static func parse(_ json: String) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))) ?? .null
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// A printer's cash drawer: its state as the drawer sensor last read, and how it is kicked.
public struct DrawerInfo: Codable, Sendable, Equatable {
    /// `open`, `closed`, or `unknown` (the printer has not answered `DLE EOT 1`, or cannot).
    public var state: String
    /// The kick-out connector pin that opens it (2 or 5).
    public var pin: Int
    /// `high` or `low`: the level of connector pin 3 that means open.
    public var openWhen: String

    public init(state: String, pin: Int, openWhen: String) {
        self.state = state
        self.pin = pin
        self.openWhen = openWhen
    }
}
