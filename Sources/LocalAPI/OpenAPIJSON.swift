import ExactJSON
import Yams

extension OpenAPIDocument {
    /// The document as JSON, for `GET /v1/openapi.json`: rendered from ``yaml`` (the one source)
    /// once, keeping the order of its members. Empty when the YAML cannot be read, which the
    /// LocalAPI tests rule out for the document that is built in.
    public static let json: String = (try? renderJSON(yaml)) ?? ""

    /// A YAML document as JSON: mappings become objects in their order, plain scalars written as
    /// JSON's `null`, `true`, `false` or a JSON number become those, every other scalar a string.
    static func renderJSON(_ yaml: String) throws -> String {
        guard let root = try Yams.compose(yaml: yaml) else { throw YamlError.dataCouldNotBeDecoded(encoding: .utf8) }
        return try value(root).serialized
    }

    private static func value(_ node: Node) throws -> ExactJSON.JSONValue {
        switch node {
        case .mapping(let mapping):
            return .object(try mapping.map { pair in
                guard case .scalar(let key) = pair.key else { throw YamlError.dataCouldNotBeDecoded(encoding: .utf8) }
                return (key.string, try value(pair.value))
            })
        case .sequence(let sequence):
            return .array(try sequence.map(value))
        case .scalar(let scalar):
            // YAML 1.2's JSON schema: only plain `null`, `true`, `false` and JSON's number syntax
            // are not strings (`090264` or `1_000` stay text, whatever YAML 1.1 readers make of them).
            guard scalar.style == .plain else { return .string(scalar.string) }
            switch scalar.string {
            case "null", "~", "": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            case let text where isJSONNumber(text): return .number(text)
            case let text: return .string(text)
            }
        case .alias:
            throw YamlError.dataCouldNotBeDecoded(encoding: .utf8)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits() -> Int {
            let n = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            bytes = bytes.dropFirst(n)
            return n
        }
        if bytes.first == 0x2D { bytes = bytes.dropFirst() }
        if bytes.first == 0x30 { bytes = bytes.dropFirst() } else if digits() == 0 { return false }
        if bytes.first == 0x2E {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        if bytes.first == 0x65 || bytes.first == 0x45 {
            bytes = bytes.dropFirst()
            if bytes.first == 0x2B || bytes.first == 0x2D { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
