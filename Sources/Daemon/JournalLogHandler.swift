#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Logging

/// swift-log to stderr, one line per message, in a form journald keeps: under systemd (when
/// `JOURNAL_STREAM` is set) each line starts with its syslog priority (`<6>`), so `journalctl -p`
/// filters work and no timestamp is doubled; elsewhere lines carry an ISO 8601 time and a level.
/// Metadata follows as `key=value`. Messages never carry card data: callers pass masked numbers.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let journal: Bool

    public init(label: String, level: Logger.Level, journal: Bool) {
        self.label = label
        self.logLevel = level
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }.joined(separator: " ")
        // One message, one line: a newline inside would split it in the journal.
        let message = "\(event.message)".replacingOccurrences(of: "\n", with: "\\n")
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(label): \(message)\(meta)\n"
        } else {
            line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(message)\(meta)\n"
        }
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func quote(_ s: String) -> String {
        s.contains(" ") || s.isEmpty ? "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : s
    }
}
