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
        var out = ""
        try write(root, into: &out, indent: 0)
        out += "\n"
        return out
    }

    private static func write(_ node: Node, into out: inout String, indent: Int) throws {
        let pad = String(repeating: " ", count: indent + 1)
        switch node {
        case .mapping(let mapping):
            guard !mapping.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (i, pair) in mapping.enumerated() {
                guard case .scalar(let key) = pair.key else { throw YamlError.dataCouldNotBeDecoded(encoding: .utf8) }
                out += pad
                quote(key.string, into: &out)
                out += ": "
                try write(pair.value, into: &out, indent: indent + 1)
                out += i == mapping.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case .sequence(let sequence):
            guard !sequence.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, item) in sequence.enumerated() {
                out += pad
                try write(item, into: &out, indent: indent + 1)
                out += i == sequence.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: out += "null"
            case .bool: out += node.bool == true ? "true" : "false"
            case .int:
                guard let n = node.int else { throw YamlError.dataCouldNotBeDecoded(encoding: .utf8) }
                out += String(n)
            case .float:
                guard let d = node.float, d.isFinite else { throw YamlError.dataCouldNotBeDecoded(encoding: .utf8) }
                out += "\(d)"
            default: quote(scalar.string, into: &out)
            }
        case .alias:
            throw YamlError.dataCouldNotBeDecoded(encoding: .utf8)
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
