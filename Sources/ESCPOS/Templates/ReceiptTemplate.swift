import Mustache

/// A receipt layout as a shop writes it: one directive per line, Mustache placeholders and
/// sections for the data (`docs/receipt-templates.md`). Pure: parsing, checking and rendering
/// do no I/O.
///
/// ```
/// # a comment
/// logo
/// center bold double: {{shop.name}}
/// row: {{labels.amount}} | {{amount}}
/// {{#tip}}
/// row: {{labels.tip}} | {{tip}}
/// {{/tip}}
/// rule
/// qr: {{qr}}
/// feed 3
/// cut
/// ```
///
/// The directive of each line (what is left of its first `:`) is read from the template, never
/// from the data: a value is only ever text in its place, with its control characters and line
/// breaks turned into spaces, so no value can add a directive, a line or a printer command.
/// Placeholders are checked against the kind's data model (``ReceiptTemplate/Kind/names``) when
/// the template is read, since Mustache prints an unknown name as nothing.
public struct ReceiptTemplate: Sendable {
    /// The receipts a template lays out: the `template` names of `POST /v1/print`.
    public enum Kind: String, Sendable, CaseIterable, Equatable {
        case balance, transaction, hold
    }

    public let kind: Kind
    /// The template's text as given.
    public let source: String
    /// The directive of each directive line, by line number (1-based).
    let directives: [Int: Directive]
    let mustache: MustacheTemplate

    /// Reads and checks a template: each directive and its words, each placeholder's name
    /// against `kind`'s data model, the sections' balance, and barcodes whose content is fixed.
    /// Throws the first problem, naming its line and column.
    public init(_ text: String, kind: Kind) throws(ReceiptTemplateError) {
        self.kind = kind
        self.source = text
        var directives: [Int: Directive] = [:]
        var prepared: [String] = []
        var open: [(name: String, line: Int, column: Int)] = []
        // "\r\n" is one Character in Swift: both line ends split.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if let bad = line.unicodeScalars.firstIndex(where: { $0.properties.generalCategory == .control && $0 != "\t" }) {
                let column = line.unicodeScalars.distance(from: line.unicodeScalars.startIndex, to: bad) + 1
                throw ReceiptTemplateError(line: number, column: column, .controlCharacter)
            }
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                prepared.append("")
                continue
            }
            let tags = try Self.tags(in: line, line: number)
            // A line holding one section tag and nothing else: Mustache drops it with its line break.
            if tags.count == 1, let tag = tags.first, tag.kind.isStandalone, trimmed.count == tag.length {
                try Self.check(tag, kind: kind, open: &open, line: number)
                prepared.append(line)
                continue
            }
            // Sections within a directive line open and close in it.
            let depth = open.count
            for tag in tags {
                try Self.check(tag, kind: kind, open: &open, line: number)
                if open.count < depth { throw ReceiptTemplateError(line: number, column: tag.column, .sectionAcrossLines(tag.name)) }
            }
            if open.count > depth, let unclosed = open.last {
                throw ReceiptTemplateError(line: number, column: unclosed.column, .sectionAcrossLines(unclosed.name))
            }
            let (directive, arguments) = try Directive.parse(line, line: number, tags: tags)
            directives[number] = directive
            prepared.append(Self.marker(number) + arguments.joined(separator: Self.separator))
        }
        if let unclosed = open.last {
            throw ReceiptTemplateError(line: unclosed.line, column: unclosed.column, .unclosedSection(unclosed.name))
        }
        // TEXT: receipts are not HTML, nothing is escaped (values are made text in `ReceiptDocument.templateData`).
        let body = "{{%CONTENT_TYPE:TEXT}}" + prepared.joined(separator: "\n") + "\n"
        do {
            mustache = try MustacheTemplate(string: body)
        } catch {
            // The checks above accept only what Mustache parses; this is a safety net.
            throw ReceiptTemplateError(line: 1, column: 1, .mustache("\(error)"))
        }
        self.directives = directives
    }

    /// Renders the template's lines for `data`: (source line, arguments) per printed line.
    func lines(_ data: [String: Any]) -> [(line: Int, directive: Directive, arguments: [String])] {
        var out: [(line: Int, directive: Directive, arguments: [String])] = []
        // On UTF-8 bytes: the markers are ASCII control bytes, which no multi-byte character holds.
        let text = mustache.render(data)
        for rendered in text.utf8.split(separator: 0x0A) {
            // Blank and comment lines have no marker.
            guard rendered.first == 0x01, let end = rendered.firstIndex(of: 0x02) else { continue }
            var number = 0
            for digit in rendered[rendered.index(after: rendered.startIndex)..<end] { number = number * 10 + Int(digit) - 0x30 }
            guard let directive = directives[number] else { continue }
            let arguments = rendered[rendered.index(after: end)...].split(separator: 0x1F, omittingEmptySubsequences: false)
            out.append((number, directive, arguments.map { String(decoding: $0, as: UTF8.self) }))
        }
        return out
    }

    // Each directive line starts with U+0001 line U+0002 and its arguments are apart by U+001F:
    // control characters, which no value and no template line can hold.
    static let separator = "\u{1F}"
    static func marker(_ line: Int) -> String { "\u{01}\(line)\u{02}" }
}

/// A template problem, with the line and column (1-based, in characters) where it is.
public struct ReceiptTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var problem: Problem

    public init(line: Int, column: Int, _ problem: Problem) {
        self.line = line
        self.column = column
        self.problem = problem
    }

    public enum Problem: Equatable, Sendable {
        case unknownDirective(String)
        /// A word before the `:` the directive does not take.
        case unknownWord(String, directive: String)
        case badOption(String, directive: String, expected: String)
        case needsArgument(String)
        case takesNoArgument(String)
        case rowNeedsTwoColumns
        case placeholderInDirective
        case unknownPlaceholder(String, kind: ReceiptTemplate.Kind)
        case unsupportedTag(String)
        case unterminatedTag
        case emptyTag
        case closeWithoutOpen(String)
        case closeMismatch(open: String, close: String)
        case unclosedSection(String)
        case sectionAcrossLines(String)
        case controlCharacter
        case badQR(String)
        case badCode128(String)
        case mustache(String)
    }

    public var description: String {
        let what: String = switch problem {
        case .unknownDirective(let d):
            "unknown directive '\(d)'; the directives are \(Directive.names.joined(separator: ", ")) (text goes after a ':', as in 'center: Thank you')"
        case .unknownWord(let w, let d): "'\(w)' is not a word \(d) takes; it takes \(Directive.words(of: d))"
        case .badOption(let o, let d, let e): "\(d): '\(o)' must be \(e)"
        case .needsArgument(let d): "\(d) needs its content after a ':'"
        case .takesNoArgument(let d): "\(d) takes nothing after a ':'"
        case .rowNeedsTwoColumns: "row needs a left and a right part apart by one '|': 'row: {{labels.amount}} | {{amount}}'"
        case .placeholderInDirective: "placeholders and sections go after the ':'; to make a whole line optional, put {{#name}} and {{/name}} on lines of their own"
        case .unknownPlaceholder(let n, let k):
            "unknown placeholder '\(n)'" + (k.closestName(to: n).map { " (did you mean '\($0)'?)" } ?? "")
                + "; the \(k.rawValue) receipt has \(k.names.keys.filter { !$0.hasPrefix("labels") }.sorted().joined(separator: ", ")) and labels.NAME (docs/receipt-templates.md)"
        case .unsupportedTag(let t): "'\(t)' is not supported in receipt templates (no partials, delimiter changes, pragmas or blocks)"
        case .unterminatedTag: "'{{' without its closing '}}'"
        case .emptyTag: "an empty placeholder '{{}}'"
        case .closeWithoutOpen(let n): "{{/\(n)}} closes a section that is not open"
        case .closeMismatch(let o, let c): "{{/\(c)}} closes {{#\(o)}}'s section: close the inner section first"
        case .unclosedSection(let n): "the section {{#\(n)}} is never closed (add {{/\(n)}})"
        case .sectionAcrossLines(let n): "the section {{#\(n)}} opens in a directive line and closes elsewhere: close it on the same line, or put it on a line of its own"
        case .controlCharacter: "a control character (only tabs are allowed)"
        case .badQR(let why): "qr: \(why)"
        case .badCode128(let why): "code128: \(why)"
        case .mustache(let why): "the template does not parse: \(why)"
        }
        return "line \(line), column \(column): \(what)"
    }
}

// MARK: - Tags

extension ReceiptTemplate {
    struct Tag: Equatable {
        enum Kind: Equatable {
            case variable, section, inverted, close, comment
            var isStandalone: Bool { self != .variable }
        }
        var kind: Kind
        var name: String
        /// 1-based column of `{{`, in characters.
        var column: Int
        /// Characters from `{{` to the last `}`.
        var length: Int
        /// Character offsets (0-based) of the tag in its line.
        var start: Int
    }

    /// The Mustache tags of a line, in order.
    static func tags(in line: String, line number: Int) throws(ReceiptTemplateError) -> [Tag] {
        let chars = Array(line)
        var tags: [Tag] = []
        var i = 0
        while i + 1 < chars.count {
            guard chars[i] == "{", chars[i + 1] == "{" else { i += 1; continue }
            let start = i
            let triple = i + 2 < chars.count && chars[i + 2] == "{"
            var j = i + (triple ? 3 : 2)
            let closer: [Character] = triple ? ["}", "}", "}"] : ["}", "}"]
            var end: Int?
            while j + closer.count <= chars.count {
                if Array(chars[j..<(j + closer.count)]) == closer { end = j; break }
                j += 1
            }
            guard let end else { throw ReceiptTemplateError(line: number, column: start + 1, .unterminatedTag) }
            var inner = String(chars[(start + (triple ? 3 : 2))..<end])
            let length = end + closer.count - start
            var kind = Tag.Kind.variable
            if !triple, let first = inner.first {
                switch first {
                case "#": kind = .section
                case "^": kind = .inverted
                case "/": kind = .close
                case "!": kind = .comment
                case "&": kind = .variable
                case ">", "=", "%", "$", "<":
                    throw ReceiptTemplateError(line: number, column: start + 1, .unsupportedTag(String(chars[start..<(start + length)])))
                default: break
                }
                if "#^/!&".contains(first) { inner.removeFirst() }
            }
            let name = kind == .comment ? "" : inner.trimmingSpaces
            if kind != .comment && name.isEmpty { throw ReceiptTemplateError(line: number, column: start + 1, .emptyTag) }
            tags.append(Tag(kind: kind, name: name, column: start + 1, length: length, start: start))
            i = start + length
        }
        return tags
    }

    /// The transforms a placeholder may apply (swift-mustache's): `{{uppercased(shop.name)}}`.
    static let transforms: Set<String> = ["uppercased", "lowercased", "capitalized", "empty", "first", "last", "count"]

    /// A placeholder or section name is known to the data model: a dotted name of `names`, `.`
    /// inside a section, or one of those in transforms.
    static func isKnown(_ name: String, names: [String: Kind.Value], inSection: Bool) -> Bool {
        if name == "." { return inSection }
        if let open = name.firstIndex(of: "("), name.hasSuffix(")") {
            guard transforms.contains(String(name[..<open])) else { return false }
            return isKnown(String(name[name.index(after: open)..<name.index(before: name.endIndex)]), names: names, inSection: inSection)
        }
        return names[name] != nil
    }

    static func check(_ tag: Tag, kind: Kind, open: inout [(name: String, line: Int, column: Int)], line: Int) throws(ReceiptTemplateError) {
        switch tag.kind {
        case .comment: return
        case .close:
            guard let top = open.last else { throw ReceiptTemplateError(line: line, column: tag.column, .closeWithoutOpen(tag.name)) }
            guard top.name == tag.name else { throw ReceiptTemplateError(line: line, column: tag.column, .closeMismatch(open: top.name, close: tag.name)) }
            open.removeLast()
            return
        case .section, .inverted, .variable:
            guard isKnown(tag.name, names: kind.names, inSection: !open.isEmpty), tag.name != "." || tag.kind == .variable else {
                throw ReceiptTemplateError(line: line, column: tag.column, .unknownPlaceholder(tag.name, kind: kind))
            }
            if tag.kind != .variable { open.append((tag.name, line, tag.column)) }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        let s = unicodeScalars
        guard let first = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(s[first...last])
    }
}
