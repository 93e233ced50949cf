import Foundation
import Synchronization

/// One event on the live stream: an increasing id, a type such as `card.read`, and its JSON.
public struct APIEvent: Sendable, Equatable {
    public let id: UInt64
    public let type: String
    public let json: String

    /// The event in Server-Sent Events framing.
    public var sse: String { "id: \(id)\nevent: \(type)\ndata: \(json)\n\n" }
}

/// Fans events out to every subscriber of `GET /v1/events`.
///
/// Publishing never waits: each subscriber has a bounded buffer, and a subscriber that falls so
/// far behind that its buffer fills is cut off (it can reconnect with `Last-Event-ID` and get the
/// missed events from the replay ring). A device thread can publish directly.
public final class EventBus: Sendable {
    private struct State {
        var nextId: UInt64 = 1
        var subscribers: [UInt64: AsyncStream<APIEvent>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var recent: [APIEvent] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let replayCapacity: Int
    private let subscriberBuffer: Int
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public init(replayCapacity: Int = 512, subscriberBuffer: Int = 1024) {
        self.replayCapacity = replayCapacity
        self.subscriberBuffer = subscriberBuffer
    }

    /// Publishes an event; returns it (with its id).
    @discardableResult
    public func publish(_ type: String, _ payload: some Encodable) -> APIEvent? {
        guard let data = try? encoder.encode(payload) else { return nil }
        let json = String(decoding: data, as: UTF8.self)
        // Streams that overflowed are finished outside the lock: finishing runs their
        // termination handler, which takes the lock itself.
        let (event, cutOff) = state.withLock { s -> (APIEvent?, [AsyncStream<APIEvent>.Continuation]) in
            guard !s.closed else { return (nil, []) }
            let event = APIEvent(id: s.nextId, type: type, json: json)
            s.nextId += 1
            s.recent.append(event)
            if s.recent.count > replayCapacity { s.recent.removeFirst(s.recent.count - replayCapacity) }
            var cutOff: [AsyncStream<APIEvent>.Continuation] = []
            for (key, continuation) in s.subscribers {
                if case .dropped = continuation.yield(event) {
                    cutOff.append(continuation)
                    s.subscribers.removeValue(forKey: key)
                }
            }
            return (event, cutOff)
        }
        for c in cutOff { c.finish() }
        return event
    }

    /// A stream of events, starting with those after `lastEventId` that are still in the replay
    /// ring. It ends when the bus closes or the subscriber falls too far behind.
    public func subscribe(after lastEventId: UInt64? = nil) -> AsyncStream<APIEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: APIEvent.self, bufferingPolicy: .bufferingOldest(subscriberBuffer))
        state.withLock { s in
            guard !s.closed else {
                continuation.finish()
                return
            }
            if let lastEventId {
                for event in s.recent where event.id > lastEventId { continuation.yield(event) }
            }
            let key = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[key] = continuation
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
            }
        }
        return stream
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every stream (at shutdown, so open event streams do not hold the server).
    public func close() {
        let continuations = state.withLock { s in
            s.closed = true
            defer { s.subscribers.removeAll() }
            return Array(s.subscribers.values)
        }
        for c in continuations { c.finish() }
    }
}
