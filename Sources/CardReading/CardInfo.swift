/// The card-identifying part of a gift request, as the Paytronix gift service defines it.
///
/// Exactly the fields of Paytronix's `CardInfo` request object. A reader fills one or more of
/// them; `cardRegCode` (a PIN-like registration code) only ever comes from the POS, never from a
/// reader. The type's `description` is redacted, so logging a `CardInfo` never leaks card data.
public struct CardInfo: Codable, Sendable, Hashable, CustomStringConvertible {
    public var printedCardNumber: String?
    /// Track 2 without its start and end sentinels.
    public var trackInfo: String?
    public var barcode: String?
    public var phoneNumber: String?
    /// Base64 of the Apple VAS payload.
    public var appleNfcVasPayload: String?
    /// Base64 of the Google Smart Tap payload.
    public var googleNfcVasPayload: String?
    public var accountToken: String?
    public var cardRegCode: String?

    public init(
        printedCardNumber: String? = nil, trackInfo: String? = nil, barcode: String? = nil,
        phoneNumber: String? = nil, appleNfcVasPayload: String? = nil,
        googleNfcVasPayload: String? = nil, accountToken: String? = nil, cardRegCode: String? = nil
    ) {
        self.printedCardNumber = printedCardNumber
        self.trackInfo = trackInfo
        self.barcode = barcode
        self.phoneNumber = phoneNumber
        self.appleNfcVasPayload = appleNfcVasPayload
        self.googleNfcVasPayload = googleNfcVasPayload
        self.accountToken = accountToken
        self.cardRegCode = cardRegCode
    }

    /// True when no identifying field is set (`cardRegCode` alone identifies nothing).
    public var isEmpty: Bool {
        printedCardNumber == nil && trackInfo == nil && barcode == nil && phoneNumber == nil
            && appleNfcVasPayload == nil && googleNfcVasPayload == nil && accountToken == nil
    }

    /// The names of the fields that are set, for logs and events (never their values).
    public var presentFields: [String] {
        var names: [String] = []
        if printedCardNumber != nil { names.append("printedCardNumber") }
        if trackInfo != nil { names.append("trackInfo") }
        if barcode != nil { names.append("barcode") }
        if phoneNumber != nil { names.append("phoneNumber") }
        if appleNfcVasPayload != nil { names.append("appleNfcVasPayload") }
        if googleNfcVasPayload != nil { names.append("googleNfcVasPayload") }
        if accountToken != nil { names.append("accountToken") }
        if cardRegCode != nil { names.append("cardRegCode") }
        return names
    }

    /// The card number as far as the card data itself tells it: the printed number, else the PAN
    /// of track 2.
    public var cardNumber: String? {
        if let printedCardNumber { return printedCardNumber }
        if let trackInfo, case .success(let track) = Track2.parse(data: trackInfo) { return track.pan }
        return nil
    }

    /// A masked card number for display (first 6 / last 4 at most), or nil if there is none.
    public var maskedCardNumber: String? { cardNumber.map(PAN.mask) }

    public var description: String { "CardInfo(\(presentFields.joined(separator: ",")))" }
}
