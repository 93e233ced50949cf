import CardReading
import Foundation

/// `POST /v1/print`: a receipt from a template, or ESC/POS bytes the POS made itself.
///
/// - `{"template": "transaction", "transactionId": 42}`: the receipt of a booked transaction.
/// - `{"template": "hold", "holdId": "…"}`: a hold slip.
/// - `{"template": "balance", "cardInfo": {…}}` or `"readId"`: looks the balance up and prints it.
/// - `{"template": NAME, "data": {…}}`: the template with exactly this data (see the OpenAPI
///   document for each template's fields); the shop header and footer come from the config.
/// - `{"raw": "<base64>"}`: bytes sent as they are (at most 1 MiB).
public struct PrintRequest: Sendable {
    public var template: String?
    /// The template's data as JSON, checked and decoded by the template.
    public var data: Data?
    public var transactionId: Int64?
    public var holdId: String?
    public var cardInfo: CardInfo?
    public var readId: String?
    public var raw: [UInt8]?

    public static let fields: Set<String> = ["template", "data", "transactionId", "holdId", "cardInfo", "readId", "raw"]
    public static let rawLimit = 1 << 20

    public init(template: String? = nil, data: Data? = nil, transactionId: Int64? = nil, holdId: String? = nil, cardInfo: CardInfo? = nil, readId: String? = nil, raw: [UInt8]? = nil) {
        self.template = template
        self.data = data
        self.transactionId = transactionId
        self.holdId = holdId
        self.cardInfo = cardInfo
        self.readId = readId
        self.raw = raw
    }

    public static func decode(_ body: Data) throws(APIError) -> PrintRequest {
        _ = try StrictJSON.check(body)
        guard let object = try? JSONSerialization.jsonObject(with: body) else {
            throw APIError(.badRequest, "malformed_json", "the request body is not valid JSON")
        }
        guard let dict = object as? [String: Any] else { throw APIError(.badRequest, "malformed_json", "the request body must be a JSON object") }
        for key in dict.keys.sorted() where !fields.contains(key) {
            throw APIError(.badRequest, "unknown_field", "unknown field '\(key)'; fields are \(fields.sorted().joined(separator: ", "))")
        }
        var r = PrintRequest()
        func string(_ key: String) throws(APIError) -> String? {
            guard let v = dict[key] else { return nil }
            guard let s = v as? String else { throw APIError(.badRequest, "invalid_field", "'\(key)' must be a string") }
            return s
        }
        r.template = try string("template")
        r.holdId = try string("holdId")
        r.readId = try string("readId")
        if dict["transactionId"] != nil {
            struct Id: Decodable { var transactionId: Int64 }
            guard let id = try? JSONDecoder().decode(Id.self, from: body) else {
                throw APIError(.badRequest, "invalid_field", "'transactionId' must be a whole number")
            }
            r.transactionId = id.transactionId
        }
        if let v = dict["data"] {
            guard v is [String: Any], let d = try? JSONSerialization.data(withJSONObject: v) else {
                throw APIError(.badRequest, "invalid_field", "'data' must be a JSON object")
            }
            r.data = d
        }
        if let v = dict["cardInfo"] {
            guard let d = try? JSONSerialization.data(withJSONObject: ["cardInfo": v]) else {
                throw APIError(.badRequest, "invalid_field", "'cardInfo' must be a JSON object")
            }
            r.cardInfo = try BalanceRequest.decodeStrictly(d).cardInfo
        }
        if let text = try string("raw") {
            guard let bytes = Data(base64Encoded: text) else { throw APIError(.badRequest, "invalid_base64", "'raw' is not valid base64") }
            guard !bytes.isEmpty else { throw APIError(.badRequest, "invalid_field", "'raw' is empty") }
            guard bytes.count <= rawLimit else { throw APIError(.contentTooLarge, "too_large", "'raw' is larger than \(rawLimit) bytes") }
            r.raw = Array(bytes)
        }
        let sources = [r.raw != nil, r.data != nil, r.transactionId != nil, r.holdId != nil, r.cardInfo != nil || r.readId != nil].filter { $0 }.count
        guard sources == 1 else {
            throw APIError(.badRequest, "invalid_request", "give exactly one of raw, data, transactionId, holdId, cardInfo/readId")
        }
        if r.raw != nil && r.template != nil { throw APIError(.badRequest, "invalid_request", "raw bytes take no template") }
        if r.raw == nil && r.template == nil { throw APIError(.badRequest, "missing_field", "'template' is required (balance, transaction or hold)") }
        return r
    }
}

/// A print job as `POST /v1/print` and `GET /v1/print/jobs/{id}` return it.
public struct PrintJobReply: Codable, Sendable, Equatable {
    public var jobId: Int
    public var printer: String
    public var kind: String
    /// `queued` (waiting, printing or held by a printer fault), `done` or `cancelled`.
    public var state: String
    public var bytes: Int?
    public var attempts: Int
    public var lastError: String?
    public var createdAt: String
    public var doneAt: String?

    public init(jobId: Int, printer: String, kind: String, state: String, bytes: Int?, attempts: Int, lastError: String?, createdAt: String, doneAt: String?) {
        self.jobId = jobId
        self.printer = printer
        self.kind = kind
        self.state = state
        self.bytes = bytes
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.doneAt = doneAt
    }
}

public struct PrintersReply: Codable, Sendable {
    public var printers: [PrinterInfo]
    public init(printers: [PrinterInfo]) { self.printers = printers }
}

/// `POST /v1/drawer/open`: no fields (an empty body or `{}`).
public struct DrawerOpenRequest: Codable, Sendable, StrictlyDecodable {
    public static let fields: Set<String> = []
    public static let nested: [String: Set<String>] = [:]
}
