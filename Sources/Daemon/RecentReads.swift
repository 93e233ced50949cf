import CardReading
import Foundation
import Synchronization

/// Cards just read, by read id, so POS software can say "the card just swiped" instead of
/// sending card data. Each entry is usable once and only for a short time; expired entries are
/// dropped (and their card data released) whenever the store is touched.
final class RecentReads: Sendable {
    private struct Entry { var card: CardInfo; var expires: ContinuousClock.Instant }
    private let entries = Mutex([String: Entry]())
    let lifetime: Duration

    init(lifetime: Duration = .seconds(30)) {
        self.lifetime = lifetime
    }

    /// Stores a card and returns its new read id.
    func insert(_ card: CardInfo) -> String {
        let id = UUID().uuidString.lowercased()
        let now = ContinuousClock.now
        entries.withLock { e in
            e = e.filter { $0.value.expires > now }
            e[id] = Entry(card: card, expires: now + lifetime)
        }
        return id
    }

    /// The card of a read; nil when unknown, used or expired.
    func card(_ id: String) -> CardInfo? {
        let now = ContinuousClock.now
        return entries.withLock { e in
            e = e.filter { $0.value.expires > now }
            return e[id]?.card
        }
    }

    /// Marks a read as used (after an operation with it succeeded).
    func consume(_ id: String) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}
