/// Why a gift operation was refused, with the codes each vendor API uses for the same case.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    case cardNotFound
    /// The card has not been sold (activated) yet.
    case cardInactive
    case cardAlreadyActive
    case cardBlocked
    /// The card was exchanged for another and holds nothing any more.
    case cardRetired
    case cardExpired
    case registrationCodeMismatch
    case insufficientFunds
    case maximumBalanceExceeded
    /// A digital card is loaded once only (Piggy 5006).
    case cardCannotBeLoaded
    case invalidAmount(String)
    case currencyMismatch(card: String, request: String)
    case transactionNotFound
    case alreadyReversed
    case notReversible(String)
    /// Piggy gift card reversal: only the card's last transaction may be reversed (55025).
    case notLastTransaction
    case duplicateExternalTransactionId
    case holdNotFound
    case contactNotFound
    case shopNotFound
    /// The hold was confirmed, cancelled or released already.
    case holdNotOpen(status: String)
    case holdsOpen
    case idempotencyConflict
    case unsupportedIdentifier([String])
    case invalidRequest(String)
    /// A card, contact or shop with this number or id exists already (administration).
    case alreadyExists(String)
    /// The ledger's storage failed; the operation did not happen.
    case storageFailure(String)
    /// The remote ledger (`provider`) has no such operation and it cannot be composed soundly.
    case unsupportedByLedger(provider: String, operation: String)
    /// The provider refused with a code giftbridge has no meaning for.
    case providerRefused(provider: String, code: String, message: String)
    /// The provider's answer never came (or was unreadable); the request was reversed there.
    case reversed(externalTransactionId: String)
    /// The provider's answer never came; the reversal is queued and retried until confirmed.
    case pendingReversal(externalTransactionId: String)
    /// The provider's answer never came and it refused the reversal: a person must look.
    case reversalRefused(externalTransactionId: String, why: String)

    /// A stable machine code for the local API.
    public var code: String {
        switch self {
        case .cardNotFound: "card_not_found"
        case .cardInactive: "card_inactive"
        case .cardAlreadyActive: "card_already_active"
        case .cardBlocked: "card_blocked"
        case .cardRetired: "card_retired"
        case .cardExpired: "card_expired"
        case .registrationCodeMismatch: "registration_code_mismatch"
        case .insufficientFunds: "insufficient_funds"
        case .maximumBalanceExceeded: "maximum_balance_exceeded"
        case .cardCannotBeLoaded: "card_cannot_be_loaded"
        case .invalidAmount: "invalid_amount"
        case .currencyMismatch: "currency_mismatch"
        case .transactionNotFound: "transaction_not_found"
        case .alreadyReversed: "already_reversed"
        case .notReversible: "not_reversible"
        case .notLastTransaction: "not_last_transaction"
        case .duplicateExternalTransactionId: "duplicate_external_transaction_id"
        case .holdNotFound: "hold_not_found"
        case .contactNotFound: "contact_not_found"
        case .shopNotFound: "shop_not_found"
        case .holdNotOpen: "hold_not_open"
        case .holdsOpen: "holds_open"
        case .idempotencyConflict: "idempotency_conflict"
        case .unsupportedIdentifier: "unsupported_card_identifier"
        case .invalidRequest: "invalid_request"
        case .alreadyExists: "already_exists"
        case .storageFailure: "ledger_unavailable"
        case .unsupportedByLedger: "unsupported_by_ledger"
        case .providerRefused: "provider_refused"
        case .reversed: "reversed"
        case .pendingReversal: "pending_reversal"
        case .reversalRefused: "reversal_refused"
        }
    }

    /// The Piggy error code for the same refusal, where Piggy has one (its giftcard API's).
    public var piggyCode: Int? { piggyCode(prepaid: false) }

    /// The Piggy error code for the same refusal; `prepaid`: in Piggy's prepaid API, whose
    /// refusals have codes of their own (contact 55031 and shop 60003 not found, prepaid balance
    /// too low 60004, prepaid transaction not found 1008) and never a giftcard code.
    public func piggyCode(prepaid: Bool) -> Int? {
        if prepaid {
            return switch self {
            case .contactNotFound: 55031
            case .shopNotFound: 60003
            case .insufficientFunds: 60004
            case .transactionNotFound: 1008
            case .storageFailure: 1000
            default: nil
            }
        }
        return switch self {
        case .cardNotFound, .transactionNotFound: 5010
        case .cardExpired: 5002
        case .insufficientFunds: 5003
        case .cardCannotBeLoaded: 5006
        case .maximumBalanceExceeded: 5008
        case .notLastTransaction: 55025
        case .storageFailure: 1000
        default: nil
        }
    }

    /// The Zmyle error code for the same refusal, where Zmyle has one.
    public var zmyleCode: String? {
        switch self {
        case .cardNotFound: "api:biz:noSuchGiftcard"
        case .insufficientFunds: "api:biz:insufficientFunds"
        case .cardInactive: "api:biz:unpaidGiftcard"
        case .registrationCodeMismatch, .cardBlocked, .cardExpired, .cardRetired: "api:biz:notAuthorizedToRedeemGiftcard"
        // "The amount is not a positive integer" (zero or negative; the seed gives
        // api:io:negativeNumber the same text).
        case .invalidAmount: "api:io:malformedNumber"
        // The zmyle connector: zmyle's own code for a refusal giftbridge has no case for.
        case .providerRefused("zmyle", let code, _): code
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .cardNotFound: "no gift card with this number"
        case .cardInactive: "the gift card has not been activated (sold) yet"
        case .cardAlreadyActive: "the gift card is active already; reload it instead"
        case .cardBlocked: "the gift card is blocked"
        case .cardRetired: "the gift card was exchanged for another card"
        case .cardExpired: "the gift card has expired"
        case .registrationCodeMismatch: "the registration code does not match the card"
        case .insufficientFunds: "the card's available balance is too low"
        case .maximumBalanceExceeded: "the card's maximum balance would be exceeded"
        case .cardCannotBeLoaded: "this gift card cannot be loaded again (digital cards are loaded once)"
        case .invalidAmount(let why): "invalid amount: \(why)"
        case .currencyMismatch(let card, let request): "the card is in \(card), the request in \(request)"
        case .transactionNotFound: "no such transaction"
        case .alreadyReversed: "the transaction has been reversed already"
        case .notReversible(let why): "the transaction cannot be reversed: \(why)"
        case .notLastTransaction: "this is not the card's last transaction"
        case .duplicateExternalTransactionId: "a transaction with this externalTransactionId exists already"
        case .holdNotFound: "no such hold"
        case .contactNotFound: "no such contact"
        case .shopNotFound: "no such shop"
        case .holdNotOpen(let status): "the hold is \(status), not open"
        case .holdsOpen: "the card has open holds; confirm or cancel them first"
        case .idempotencyConflict: "this idempotency key was used for a different request"
        case .unsupportedIdentifier(let fields): "the embedded ledger cannot find a card by \(fields.joined(separator: ", "))"
        case .invalidRequest(let why): why
        case .alreadyExists(let what): "\(what) exists already"
        case .storageFailure(let why): "the ledger's storage failed: \(why)"
        case .unsupportedByLedger(let provider, let operation): "\(provider) has no \(operation) operation"
        case .providerRefused(let provider, let code, let message): "\(provider) refused (\(code)): \(message)"
        case .reversed(let id):
            "the gift card provider did not answer in time; the request (externalTransactionId \(id)) was reversed, the card is unchanged"
        case .pendingReversal(let id):
            "the gift card provider did not answer in time; the request (externalTransactionId \(id)) is being reversed and will not be charged"
        case .reversalRefused(let id, let why):
            "the gift card provider did not answer in time and refused to reverse the request (externalTransactionId \(id)): \(why); check the card"
        }
    }
}
