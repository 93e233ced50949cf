import Foundation
import Ledger

/// The durable outbox of a remote ledger, as pure state: a mutating request is written down
/// (with its external transaction id) before it leaves; when its answer never comes, it is
/// reversed at the provider and retried with back-off until the provider confirms.
///
/// ```
/// sending ──answer──────────────▶ done
///    │ (deadline, reset, 5xx, malformed reply, crash while sending)
///    ▼
/// reversing ──confirmed──▶ reversed
///    │  ▲ temporary failure: attempts+1, next try after back-off
///    │  └──┘
///    └──refused for good──▶ stuck   (a person must look: shown in /v1/health)
/// ```
public enum OutboxState: String, Sendable, Codable, CaseIterable {
    case sending, done, reversing, reversed, stuck

    /// Still the daemon's business: counted as outbox depth.
    public var isOpen: Bool { self == .sending || self == .reversing }
}

/// How an unknown outcome is undone.
public enum OutboxAction: String, Sendable, Codable, CaseIterable {
    /// Reverse the request by its external id (Paytronix `reverse.json`).
    case undo
    /// The request was itself a reversal: send it again until the provider confirms it.
    case redo
    /// Cancel the provider's object named in `reference` (a Zmyle transaction intent).
    case cancel
}

public struct OutboxEntry: Sendable, Equatable {
    public var id: Int64
    public var provider: String
    /// `sell`, `redeem`, `reverse`, `prepaid`, …
    public var operation: String
    public var externalId: String
    public var action: OutboxAction
    /// What the reversal needs besides the external id (a transaction id, an intent id); never secrets.
    public var reference: String?
    public var maskedCardNumber: String?
    public var amount: Int64?
    public var state: OutboxState
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64 = 0, provider: String, operation: String, externalId: String, action: OutboxAction, reference: String? = nil,
        maskedCardNumber: String? = nil, amount: Int64? = nil, state: OutboxState = .sending, attempts: Int = 0,
        nextAttemptAt: Date? = nil, lastError: String? = nil, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.provider = provider
        self.operation = operation
        self.externalId = externalId
        self.action = action
        self.reference = reference
        self.maskedCardNumber = maskedCardNumber
        self.amount = amount
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// What one reversal attempt found out.
public enum ReversalOutcome: Sendable, Equatable {
    /// The provider confirmed: reversed, already reversed, or the request never booked.
    case confirmed
    /// No answer, or a temporary failure: try again later.
    case retry(String)
    /// The provider refused the reversal for good.
    case refused(String)
}

public enum Outbox {
    /// Waiting time before attempt `attempts + 1`: 1 s doubling to 60 s.
    public static func backoff(afterAttempts attempts: Int) -> TimeInterval {
        min(60, pow(2, Double(min(max(attempts - 1, 0), 6))))
    }

    /// The provider answered (success or a definite refusal): nothing to undo.
    public static func answered(_ e: OutboxEntry, now: Date) -> OutboxEntry {
        precondition(e.state == .sending, "only a request in flight gets an answer")
        var n = e
        n.state = .done
        n.nextAttemptAt = nil
        n.updatedAt = now
        return n
    }

    /// The answer never came: the reversal is due now.
    public static func outcomeUnknown(_ e: OutboxEntry, why: String, now: Date) -> OutboxEntry {
        var n = e
        guard e.state == .sending else { return e }
        n.state = .reversing
        n.lastError = why
        n.nextAttemptAt = now
        n.updatedAt = now
        return n
    }

    /// At start-up: a request that was in flight when the daemon stopped has an unknown outcome.
    public static func recovered(_ e: OutboxEntry, now: Date) -> OutboxEntry {
        e.state == .sending ? outcomeUnknown(e, why: "the daemon stopped while the request was in flight", now: now) : e
    }

    public static func afterReversal(_ e: OutboxEntry, _ outcome: ReversalOutcome, now: Date) -> OutboxEntry {
        guard e.state == .reversing else { return e }
        var n = e
        n.attempts += 1
        n.updatedAt = now
        switch outcome {
        case .confirmed:
            n.state = .reversed
            n.nextAttemptAt = nil
        case .retry(let why):
            n.lastError = why
            n.nextAttemptAt = now.addingTimeInterval(backoff(afterAttempts: n.attempts))
        case .refused(let why):
            n.state = .stuck
            n.lastError = why
            n.nextAttemptAt = nil
        }
        return n
    }

    /// Whether the entry's reversal should be tried at `now`.
    public static func isDue(_ e: OutboxEntry, now: Date) -> Bool {
        e.state == .reversing && (e.nextAttemptAt ?? now) <= now
    }

    /// What the POS is told about a request whose answer never came, once its first reversal
    /// attempt is over.
    public static func posError(_ e: OutboxEntry) -> LedgerError {
        switch e.state {
        case .reversed: .reversed(externalTransactionId: e.externalId)
        case .stuck: .reversalRefused(externalTransactionId: e.externalId, why: e.lastError ?? "refused")
        default: .pendingReversal(externalTransactionId: e.externalId)
        }
    }
}

/// How a request to a provider ended, as the transport saw it.
public enum TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request never left (no connection): it cannot have been booked.
    case notSent(String)
    /// It may have arrived: deadline passed, connection reset, 5xx, unreadable reply.
    case outcomeUnknown(String)

    public var description: String {
        switch self {
        case .notSent(let why): "not sent: \(why)"
        case .outcomeUnknown(let why): "outcome unknown: \(why)"
        }
    }
}
