import CardReading
import Foundation

/// Turns an NFC read into the `CardInfo` of a gift request, by the shop's normalization rules.
///
/// A rule with `nfc: [uri]` (or `text`, `uid`, `vas`) takes its field from the first record
/// (or the UID, or the pass message) it matches. Without a matching rule: the first text record
/// is the `printedCardNumber`, else the first URI record is the `barcode`, else the UID (upper-case
/// hex) is the `printedCardNumber`. A wallet pass always fills `appleNfcVasPayload` (base64 of
/// the message) and, where a `vas` rule matches the message, that rule's field too.
public enum NFCCard {
    public static func cardInfo(_ read: NFCRead, normalizer: Normalizer) -> CardInfo? {
        switch read {
        case .tag(let tag):
            var card = CardInfo()
            for record in tag.records {
                let (text, source) = sourceText(record)
                if let (field, value) = normalizer.nfcValue(text, source: source) {
                    card.set(field, value)
                    return card
                }
            }
            let uidText = tag.uid.map { Hex.string($0) }
            if let uidText, let (field, value) = normalizer.nfcValue(uidText, source: .uid) {
                card.set(field, value)
                return card
            }
            for record in tag.records {
                if case .text(let text, _) = record {
                    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    guard !trimmed.isEmpty else { continue }
                    card.printedCardNumber = trimmed
                    return card
                }
            }
            for record in tag.records {
                if case .uri(let uri) = record, !uri.isEmpty {
                    card.barcode = uri
                    return card
                }
            }
            guard let uidText else { return nil }
            card.printedCardNumber = uidText
            return card
        case .vasPass(_, let message):
            var card = CardInfo(appleNfcVasPayload: Data(message.message).base64EncodedString())
            if let (field, value) = normalizer.nfcValue(String(decoding: message.message, as: UTF8.self), source: .vas) {
                card.set(field, value)
            }
            return card
        case .vasURLOnly, .vasNoPass:
            return nil
        }
    }

    static func sourceText(_ record: NDEFRecord.Content) -> (String, NFCSource) {
        switch record {
        case .text(let t, _): (t, .text)
        case .uri(let u): (u, .uri)
        }
    }

    /// The card number a read's `CardInfo` carries, masked as the other readers' are (nil when
    /// shorter than 8 characters: fully hidden).
    public static func maskedNumber(_ card: CardInfo) -> String? {
        let number = card.printedCardNumber ?? card.barcode ?? card.accountToken
        return number.flatMap { $0.count >= 8 ? PAN.mask($0) : nil }
    }

    /// A masked UID for logs and decode output: its length and last byte only.
    public static func maskedUID(_ uid: [UInt8]) -> String {
        guard let last = uid.last else { return "" }
        return String(repeating: "**", count: uid.count - 1) + Hex.string([last])
    }

    /// A description of a read that carries no card data: kinds, lengths and masked forms only.
    public static func summary(_ read: NFCRead) -> String {
        switch read {
        case .tag(let tag):
            let uid = tag.uid.map { "UID \($0.count) bytes \(maskedUID($0))" } ?? "no UID"
            let records = tag.records.map { r -> String in
                switch r {
                case .text(let t, let lang): "text(\(lang), \(t.count) characters)"
                case .uri(let u): "uri(\(u.count) characters)"
                }
            }
            return "tag \(tag.kind.rawValue), \(uid), records: [\(records.joined(separator: ", "))]"
        case .vasPass(let passTypeId, let message):
            return "Apple VAS pass \(passTypeId), message \(message.message.count) bytes, timestamp \(message.date)"
        case .vasURLOnly: return "Apple VAS URL-only mode: the phone took the URL"
        case .vasNoPass: return "Apple VAS: the phone has no pass of the configured pass type identifiers"
        }
    }
}
