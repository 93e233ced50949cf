/// One line of a receipt template: what it prints and how. Read from the template's text,
/// before any value is put in.
enum Directive: Equatable, Sendable {
    case text(Style)
    case row(Style)
    /// A line of the argument's characters (default "-") across the paper.
    case rule(Style)
    case blank
    case qr(ESCPOSWriter.Alignment, size: Int, level: QRCode.ErrorCorrection)
    case code128(ESCPOSWriter.Alignment, height: UInt8, width: UInt8, hri: Code128.HRIPosition)
    case logo(ESCPOSWriter.Alignment)
    case feed(Int)
    case cut(ESCPOSWriter.Cut)

    /// How text prints. The writer sends a command only when the style changes.
    struct Style: Equatable, Sendable {
        var align: ESCPOSWriter.Alignment = .left
        var bold = false
        var underline: UInt8 = 0
        var width = 1
        var height = 1
    }

    static let names = ["text", "row", "rule", "blank", "qr", "code128", "logo", "feed", "cut"]
    static let alignWords: [String: ESCPOSWriter.Alignment] = ["left": .left, "center": .center, "centre": .center, "right": .right]
    static let styleWords = ["left", "center", "right", "bold", "underline", "double", "tall", "wide"]

    /// The words a directive takes before its ':' (for messages).
    static func words(of directive: String) -> String {
        switch directive {
        case "text", "row", "rule": styleWords.joined(separator: ", ")
        case "qr": "left, center, right, size=1…16, level=L|M|Q|H"
        case "code128": "left, center, right, height=1…255, width=2…6, hri=none|above|below|both"
        case "logo": "left, center, right"
        case "feed": "a number of lines, 0…255"
        case "cut": "full or partial"
        default: "nothing"
        }
    }

    /// The directive of a template line and its arguments' template text (with their
    /// placeholders, for Mustache).
    static func parse(_ line: String, line number: Int, tags: [ReceiptTemplate.Tag]) throws(ReceiptTemplateError) -> (Directive, [String]) {
        let chars = Array(line)
        func insideTag(_ i: Int) -> Bool { tags.contains { i >= $0.start && i < $0.start + $0.length } }
        let colon = chars.indices.first { chars[$0] == ":" && !insideTag($0) }
        let headEnd = colon ?? chars.count
        if let tag = tags.first(where: { $0.start < headEnd }) {
            throw ReceiptTemplateError(line: number, column: tag.column, .placeholderInDirective)
        }
        // The head's words and their columns.
        var words: [(word: String, column: Int)] = []
        var current = ""
        var startColumn = 0
        for i in 0...headEnd {
            let c: Character = i < headEnd ? chars[i] : " "
            if c == " " || c == "\t" {
                if !current.isEmpty { words.append((current, startColumn)) }
                current = ""
            } else {
                if current.isEmpty { startColumn = i + 1 }
                current.append(c)
            }
        }
        let argument: String? = colon.map { String(chars[($0 + 1)...]).trimmingSpaces }
        var argumentStart = (colon ?? chars.count) + 1
        while argumentStart < chars.count, chars[argumentStart] == " " || chars[argumentStart] == "\t" { argumentStart += 1 }
        let argumentColumn = argumentStart + 1
        let colonColumn = (colon ?? chars.count) + 1
        func fail(_ column: Int, _ p: ReceiptTemplateError.Problem) -> ReceiptTemplateError {
            ReceiptTemplateError(line: number, column: column, p)
        }

        let named = words.filter { names.contains($0.word.lowercased()) }
        let name: String
        if let first = named.first {
            name = first.word.lowercased()
            if named.count > 1 { throw fail(named[1].column, .unknownWord(named[1].word, directive: name)) }
        } else if colon != nil {
            name = "text"
        } else {
            throw fail(words.first?.column ?? 1, .unknownDirective(words.first?.word ?? line))
        }
        let others = words.filter { $0.word.lowercased() != name }

        func style() throws(ReceiptTemplateError) -> Style {
            var s = Style()
            for (w, column) in others {
                if let a = alignWords[w.lowercased()] {
                    s.align = a
                    continue
                }
                switch w.lowercased() {
                case "bold": s.bold = true
                case "underline": s.underline = 1
                case "double": (s.width, s.height) = (2, 2)
                case "tall": s.height = 2
                case "wide": s.width = 2
                default: throw fail(column, .unknownWord(w, directive: name))
                }
            }
            return s
        }
        /// Alignment words and `key=value` options.
        func options(_ defaults: ESCPOSWriter.Alignment, _ keys: [String]) throws(ReceiptTemplateError) -> (ESCPOSWriter.Alignment, [String: (String, Int)]) {
            var align = defaults
            var values: [String: (String, Int)] = [:]
            for (w, column) in others {
                if let a = alignWords[w.lowercased()] { align = a; continue }
                let parts = w.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, keys.contains(parts[0].lowercased()) else { throw fail(column, .unknownWord(w, directive: name)) }
                values[parts[0].lowercased()] = (parts[1], column)
            }
            return (align, values)
        }
        func wholeNumber(_ option: (String, Int)?, _ range: ClosedRange<Int>, default value: Int, key: String) throws(ReceiptTemplateError) -> Int {
            guard let option else { return value }
            let (text, column) = option
            guard let n = Int(text), range.contains(n) else {
                throw fail(column, .badOption(key + "=" + text, directive: name, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)"))
            }
            return n
        }
        /// One of `values` (keys in lower case), e.g. `hri=below`.
        func oneOf<T>(_ option: (String, Int)?, _ values: [(String, T)], default value: T, key: String) throws(ReceiptTemplateError) -> T {
            guard let option else { return value }
            let (text, column) = option
            guard let v = values.first(where: { $0.0 == text.lowercased() })?.1 else {
                throw fail(column, .badOption(key + "=" + text, directive: name, expected: "one of " + values.map(\.0).joined(separator: ", ")))
            }
            return v
        }
        /// The content after the ':' has no placeholder: it can be checked now.
        var fixedContent: Bool { !tags.contains { $0.start > headEnd } }
        func needs() throws(ReceiptTemplateError) -> String {
            guard let argument, !argument.isEmpty else { throw fail(colonColumn, .needsArgument(name)) }
            return argument
        }
        func none() throws(ReceiptTemplateError) {
            if argument != nil { throw fail(colonColumn, .takesNoArgument(name)) }
        }

        switch name {
        case "text":
            return (.text(try style()), [argument ?? ""])
        case "row":
            _ = try needs()
            let from = (colon ?? 0) + 1
            let bars = (from..<chars.count).filter { chars[$0] == "|" && !insideTag($0) }
            guard bars.count == 1, let bar = bars.first else { throw fail(argumentColumn, .rowNeedsTwoColumns) }
            let parts = [String(chars[from..<bar]).trimmingSpaces, String(chars[(bar + 1)...]).trimmingSpaces]
            return (.row(try style()), parts)
        case "rule":
            return (.rule(try style()), [argument ?? ""])
        case "blank":
            if let w = others.first { throw fail(w.column, .unknownWord(w.word, directive: name)) }
            try none()
            return (.blank, [])
        case "qr":
            let (align, o) = try options(.center, ["size", "level"])
            let size = try wholeNumber(o["size"], 1...16, default: 6, key: "size")
            let level = try oneOf(o["level"], [("l", QRCode.ErrorCorrection.low), ("m", .medium), ("q", .quartile), ("h", .high)], default: .medium, key: "level")
            let content = try needs()
            if fixedContent {
                let capacity = QRCode.byteCapacity(version: 40, errorCorrection: level)
                if content.utf8.count > capacity {
                    throw fail(argumentColumn, .badQR("\(content.utf8.count) bytes; a QR code holds at most \(capacity) at level \(level)"))
                }
            }
            return (.qr(align, size: size, level: level), [content])
        case "code128":
            let (align, o) = try options(.center, ["height", "width", "hri"])
            let height = try wholeNumber(o["height"], 1...255, default: 80, key: "height")
            let width = try wholeNumber(o["width"], 2...6, default: 2, key: "width")
            let hri = try oneOf(o["hri"], [("none", Code128.HRIPosition.none), ("above", .above), ("below", .below), ("both", .both)], default: .below, key: "hri")
            let content = try needs()
            if fixedContent {
                if let why = Self.code128Problem(content, width: width, dotsWidth: PrinterProfile.all.map(\.dotsWidth).max() ?? 576) {
                    throw fail(argumentColumn, .badCode128(why))
                }
            }
            return (.code128(align, height: UInt8(height), width: UInt8(width), hri: hri), [content])
        case "logo":
            let (align, _) = try options(.center, [])
            try none()
            return (.logo(align), [])
        case "feed":
            var lines = 1
            for (w, column) in others {
                guard let n = Int(w), (0...255).contains(n) else { throw fail(column, .unknownWord(w, directive: name)) }
                lines = n
            }
            try none()
            return (.feed(lines), [])
        default:  // cut
            var kind = ESCPOSWriter.Cut.full
            for (w, column) in others {
                switch w.lowercased() {
                case "full": kind = .full
                case "partial": kind = .partial
                default: throw fail(column, .unknownWord(w, directive: name))
                }
            }
            try none()
            return (.cut(kind), [])
        }
    }

    /// Why `content` cannot print as CODE128 `width` dots per module on `dotsWidth` dots, or nil.
    static func code128Problem(_ content: String, width: Int, dotsWidth: Int) -> String? {
        do {
            let symbol = try Code128(content)
            let dots = symbol.moduleCount * width
            if dots > dotsWidth { return "'\(content)' is \(dots) dots wide at width=\(width); the paper has \(dotsWidth)" }
            return nil
        } catch {
            switch error {
            case .empty: return "nothing to encode"
            case .notASCII(let i): return "'\(content)' has a character CODE128 cannot hold at position \(i + 1) (ASCII only)"
            case .tooLong(let n): return "'\(content)' needs \(n) bytes; at most 255"
            default: return "'\(content)' cannot be encoded: \(error)"
            }
        }
    }
}
