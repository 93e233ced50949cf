import ExactJSON
import Yams

extension OpenAPIDocument {
    /// The document as JSON, for `GET /v1/openapi.json`: rendered from ``yaml`` (the one source)
    /// once, keeping the order of its members. Empty when the YAML cannot be read, which the
    /// LocalAPI tests rule out for the document that is built in.
    public static let json: String = (try? renderJSON(yaml)) ?? ""

    /// A YAML document as JSON: mappings become objects in their order, plain scalars that YAML
    /// reads as null, booleans or numbers become those, every other scalar a string.
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
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return .bool(node.bool == true)
            case .int:
                guard let n = node.int else { throw YamlError.dataCouldNotBeDecoded(encoding: .utf8) }
                return .number(String(n))
            case .float:
                guard let d = node.float, d.isFinite else { throw YamlError.dataCouldNotBeDecoded(encoding: .utf8) }
                return .number("\(d)")
            default: return .string(scalar.string)
            }
        case .alias:
            throw YamlError.dataCouldNotBeDecoded(encoding: .utf8)
        }
    }
}
