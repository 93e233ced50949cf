import ExactJSON

/// RFC 8259 JSON, strictly: the syntax check every request body passes before it is decoded.
///
/// Foundation's parsers are lenient where a money API must not be: they accept trailing commas,
/// keep the first of two equal keys and turn `12.0`, `2.99999999999999999` or `1e2` into whole
/// numbers. This check parses the body with ``ExactJSON`` (numbers keep their text, duplicate
/// members refused) and tells the money check below how each top-level number was written.
public enum StrictJSON {
    /// How one top-level member of an object was written.
    public enum Member: Equatable, Sendable {
        /// A number, with its literal text as sent.
        case number(String)
        /// An object, with the names of its members.
        case object([String])
        case other
    }

    /// Nesting deeper than this is refused (no request needs more than a few levels).
    public static let maximumDepth = 32

    /// Checks `bytes` is one JSON object per RFC 8259 (UTF-8, no member named twice in any
    /// object) and returns its members. Throws 400 `malformed_json` saying what is wrong and where.
    public static func check(_ bytes: some Collection<UInt8>) throws(APIError) -> [String: Member] {
        let document: ExactJSON.JSONValue
        do {
            document = try ExactJSON.JSONValue.parse(Array(bytes), uniqueKeys: true, maximumDepth: maximumDepth)
        } catch {
            throw APIError(.badRequest, "malformed_json", "the request body is not JSON: \(error.why) (at byte \(error.offset))")
        }
        guard case .object(let pairs) = document else {
            throw APIError(.badRequest, "malformed_json", "the request body must be a JSON object")
        }
        var members: [String: Member] = [:]
        for (key, value) in pairs {
            members[key] = switch value {
            case .number(let literal): .number(literal)
            case .object(let inner): .object(inner.map(\.0))
            default: .other
            }
        }
        return members
    }
}

/// The money rules every request body passes, at one place (``StrictlyDecodable/decodeStrictly(_:limits:)``):
/// an amount is a JSON integer written as one (no fraction, no exponent), at most 2^53 − 1 (what
/// every JSON client reads exactly) and at most the configured ceiling for one operation.
public struct MoneyLimits: Sendable, Equatable {
    /// 2^53 − 1: the largest integer a JSON number carries exactly in every client.
    public static let maximumAmount: Int64 = 9_007_199_254_740_991

    /// The largest amount one operation may move (`ledger.max-amount`), in minor units.
    public var maximumPerOperation: Int64

    /// The vendor codes an `invalid_amount` carries (the ledger's, e.g. zmyle's `api:io:…`).
    public var invalidAmountVendorCodes: [String: String]?

    public init(maximumPerOperation: Int64 = 1_000_000, invalidAmountVendorCodes: [String: String]? = nil) {
        self.maximumPerOperation = min(maximumPerOperation, Self.maximumAmount)
        self.invalidAmountVendorCodes = invalidAmountVendorCodes
    }

    /// What an amount field may hold.
    public enum Field: Sendable {
        /// More than zero, at most the ceiling (`amount`).
        case positive
        /// Zero or more, at most the ceiling (`tip`, an initial `balance`).
        case nonNegative
        /// Not zero; its size at most the ceiling (a signed prepaid `amount`).
        case nonZero
        /// Zero or more, at most 2^53 − 1, not bound by the ceiling (a card's `maximumBalance`).
        case unbounded
    }

    /// Checks the amount members of `members` (the top-level object as written).
    public func check(_ members: [String: StrictJSON.Member], fields: [String: Field]) throws(APIError) {
        func invalid(_ message: String) -> APIError { APIError(.badRequest, "invalid_amount", message, vendorCodes: invalidAmountVendorCodes) }
        for (name, rule) in fields.sorted(by: { $0.key < $1.key }) {
            guard let member = members[name] else { continue }
            guard case .number(let literal) = member else { continue } // the decoder names a wrong type
            guard literal.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw invalid("field '\(name)' must be a whole number of minor units, written without a fraction or exponent (got \(literal))")
            }
            guard let value = Int64(literal), value.magnitude <= UInt64(Self.maximumAmount) else {
                throw invalid("field '\(name)' must be at most \(Self.maximumAmount) minor units")
            }
            switch rule {
            case .positive:
                guard value > 0 else { throw invalid("field '\(name)' must be more than zero") }
            case .nonNegative, .unbounded:
                guard value >= 0 else { throw invalid("field '\(name)' must not be negative") }
            case .nonZero:
                guard value != 0 else { throw invalid("field '\(name)' must not be zero") }
            }
            if case .unbounded = rule { continue }
            guard value.magnitude <= UInt64(maximumPerOperation) else {
                throw APIError(.unprocessableContent, "amount_too_large", "field '\(name)' is more than one operation may move here (\(maximumPerOperation) minor units, ledger.max-amount)")
            }
        }
    }
}
