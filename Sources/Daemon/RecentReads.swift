import CardReading
import Foundation
import Synchronization

/// Cards just read, by read id, so POS software can say "the card just swiped" instead of
/// sending card data. Each entry is usable once and only for a short time; expired entries are
/// dropped (and their card data released) whenever the store is touched.
final class RecentReads: Sendable {
    private struct Entry { var card: CardInfo; var expires: ContinuousClock.Instant }
    /// The entries, and their ids oldest first: every entry lives as long, so the oldest
    /// expire first and pruning looks only at the front (O(1) per read, not O(entries)).
    private struct Store {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var head = 0

        mutating func prune(now: ContinuousClock.Instant, keepingAtMost limit: Int) {
            while head < order.count {
                let id = order[head]
                if let e = entries[id], e.expires > now, entries.count <= limit { break }
                entries.removeValue(forKey: id)
                head += 1
            }
            if head > 64 && head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }
    private let store = Mutex(Store())
    let lifetime: Duration
    /// At most this many reads are kept (a flood of reads cannot grow memory without bound).
    let capacity: Int

    init(lifetime: Duration = .seconds(30), capacity: Int = 1000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Stores a card and returns its new read id.
    func insert(_ card: CardInfo) -> String {
        let id = UUID().uuidString.lowercased()
        let now = ContinuousClock.now
        store.withLock { s in
            s.entries[id] = Entry(card: card, expires: now + lifetime)
            s.order.append(id)
            s.prune(now: now, keepingAtMost: capacity)
        }
        return id
    }

    /// The card of a read; nil when unknown, used or expired.
    func card(_ id: String) -> CardInfo? {
        let now = ContinuousClock.now
        return store.withLock { s in
            s.prune(now: now, keepingAtMost: capacity)
            return s.entries[id]?.card
        }
    }

    /// Marks a read as used (after an operation with it succeeded).
    func consume(_ id: String) {
        _ = store.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Reads held now (for tests).
    var count: Int { store.withLock { $0.entries.count } }
}
