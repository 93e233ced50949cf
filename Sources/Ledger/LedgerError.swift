/// Why a gift operation was refused, with the codes each vendor API uses for the same case.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    case cardNotFound
    case cardInactive
    case cardBlocked
    case cardExpired
    case registrationCodeMismatch
    case insufficientFunds
    case maximumBalanceExceeded
    case unsupportedIdentifier([String])
    case invalidRequest(String)
    /// The ledger's storage failed; the operation did not happen.
    case storageFailure(String)

    /// A stable machine code for the local API.
    public var code: String {
        switch self {
        case .cardNotFound: "card_not_found"
        case .cardInactive: "card_inactive"
        case .cardBlocked: "card_blocked"
        case .cardExpired: "card_expired"
        case .registrationCodeMismatch: "registration_code_mismatch"
        case .insufficientFunds: "insufficient_funds"
        case .maximumBalanceExceeded: "maximum_balance_exceeded"
        case .unsupportedIdentifier: "unsupported_card_identifier"
        case .invalidRequest: "invalid_request"
        case .storageFailure: "ledger_unavailable"
        }
    }

    /// The Piggy error code for the same refusal, where Piggy has one.
    public var piggyCode: Int? {
        switch self {
        case .cardNotFound: 5010
        case .cardExpired: 5002
        case .insufficientFunds: 5003
        case .maximumBalanceExceeded: 5008
        default: nil
        }
    }

    /// The Zmyle error code for the same refusal, where Zmyle has one.
    public var zmyleCode: String? {
        switch self {
        case .cardNotFound: "noSuchGiftcard"
        case .insufficientFunds: "insufficientFunds"
        case .cardInactive: "unpaidGiftcard"
        case .registrationCodeMismatch: "notAuthorizedToRedeemGiftcard"
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .cardNotFound: "no gift card with this number"
        case .cardInactive: "the gift card has not been activated"
        case .cardBlocked: "the gift card is blocked"
        case .cardExpired: "the gift card has expired"
        case .registrationCodeMismatch: "the registration code does not match the card"
        case .insufficientFunds: "the card's available balance is too low"
        case .maximumBalanceExceeded: "the card's maximum balance would be exceeded"
        case .unsupportedIdentifier(let fields): "the embedded ledger cannot find a card by \(fields.joined(separator: ", "))"
        case .invalidRequest(let why): why
        case .storageFailure(let why): "the ledger's storage failed: \(why)"
        }
    }
}
