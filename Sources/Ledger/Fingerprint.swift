import CardReading
import Foundation

extension CardKeyer {
    /// The fingerprints of an idempotent request (``Idempotency/requestHash`` and
    /// ``Idempotency/legacyRequestHash``).
    ///
    /// The keyed one is an HMAC under the installation's key of the operation and the request
    /// as canonical JSON with each card object (`cardInfo`, `newCardInfo`) replaced by its fields
    /// keyed one by one: the card number is not in what is hashed, and without the key nothing
    /// about the card can be tested against the result. The legacy one is what the migration
    /// made of the unkeyed hash earlier versions stored for the same request.
    public func fingerprints(operation: String, request: some Encodable) -> (keyed: String, legacy: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let canonical = (try? encoder.encode(request)) ?? Data()
        let legacy = legacyFingerprint(unkeyedHash: SHA256.hash(Array(operation.utf8) + [0] + Array(canonical)).hexString)
        var object = ((try? JSONSerialization.jsonObject(with: canonical)) as? [String: Any]) ?? [:]
        for field in ["cardInfo", "newCardInfo"] {
            if let card = object[field] as? [String: String] { object[field] = cardFields(card) }
        }
        let keyedBody = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return (requestFingerprint(operation: operation, request: Array(keyedBody)), legacy)
    }
}
