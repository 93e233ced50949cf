import Crypto
import Foundation

/// Apple's Value Added Services (VAS) protocol, terminal side: select the phone's VAS applet,
/// ask for a pass by the SHA-256 of its pass type identifier, and decrypt the cryptogram the
/// phone answers with (ECDH on P-256 with the merchant's key, ANSI X9.63 KDF with SHA-256,
/// AES-256-GCM). docs/nfc.md has the layout and where it is described publicly.
public enum VASError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The merchant key file is not a PEM P-256 private key.
    case badKey(String)
    /// The phone's answer does not follow the protocol.
    case badAnswer(String)
    /// The cryptogram is for another merchant key (its key id differs).
    case keyMismatch
    /// The ephemeral public key is not a point on P-256.
    case badEphemeralKey
    /// AES-GCM refused the cryptogram: its tag does not match (altered, or another key).
    case decryptionFailed
    /// The pass's timestamp is further from the till's clock than the tolerance allows.
    case staleTimestamp(ageSeconds: Int64)

    public var reasonCode: String {
        switch self {
        case .badKey: "vas_bad_key"
        case .badAnswer: "vas_bad_answer"
        case .keyMismatch: "vas_key_mismatch"
        case .badEphemeralKey: "vas_bad_cryptogram"
        case .decryptionFailed: "vas_decryption_failed"
        case .staleTimestamp: "vas_stale_timestamp"
        }
    }

    public var description: String {
        switch self {
        case .badKey(let why): "the VAS merchant key is unusable: \(why)"
        case .badAnswer(let why): "the phone's VAS answer is not valid: \(why)"
        case .keyMismatch: "the VAS cryptogram is for another merchant key"
        case .badEphemeralKey: "the VAS cryptogram's ephemeral key is not a P-256 point"
        case .decryptionFailed: "the VAS cryptogram does not decrypt (authentication tag mismatch)"
        case .staleTimestamp(let age): "the VAS pass timestamp is \(age) s away from the till's clock"
        }
    }
}

/// One merchant a terminal asks passes of: a pass type identifier and its private key.
public struct VASMerchant: Sendable {
    public let passTypeId: String
    let privateKey: P256.KeyAgreement.PrivateKey
    /// SHA-256 of the pass type identifier, as GET VAS DATA carries it.
    public let passTypeIdHash: [UInt8]
    /// The first four bytes of SHA-256 of the public key's X coordinate: how a cryptogram names its key.
    public let keyId: [UInt8]

    /// A merchant from its pass type identifier and PEM private key (SEC 1 `EC PRIVATE KEY` or PKCS #8).
    public init(passTypeId: String, pem: String) throws(VASError) {
        guard !passTypeId.isEmpty else { throw .badKey("the pass type identifier is empty") }
        let key: P256.KeyAgreement.PrivateKey
        do { key = try P256.KeyAgreement.PrivateKey(pemRepresentation: pem) } catch {
            throw .badKey("not a PEM P-256 private key")
        }
        self.init(passTypeId: passTypeId, privateKey: key)
    }

    public init(passTypeId: String, privateKey: P256.KeyAgreement.PrivateKey) {
        self.passTypeId = passTypeId
        self.privateKey = privateKey
        self.passTypeIdHash = Array(SHA256.hash(data: Array(passTypeId.utf8)))
        self.keyId = VAS.keyId(of: privateKey.publicKey)
    }
}

/// A decrypted VAS pass message.
public struct VASMessage: Sendable, Equatable {
    /// Seconds since 2001-01-01 00:00:00 UTC, as the phone stamped the message.
    public var timestamp: UInt32
    /// The pass's message (at most 64 bytes by Apple's pass format), as the pass issuer wrote it.
    public var message: [UInt8]

    public var date: Date { Date(timeIntervalSinceReferenceDate: TimeInterval(timestamp)) }
}

public enum VAS {
    /// The phone's VAS applet: `OSE.VAS.01`.
    public static let aid: [UInt8] = Array("OSE.VAS.01".utf8)

    /// SW 62 87: no pass with the identifier (or the phone wants the user to confirm first).
    public static let noPassStatus: UInt16 = 0x6287

    static let sharedInfoLabel: [UInt8] = Array("id-aes256-GCM".utf8)
    static let sharedInfoParty: [UInt8] = Array("ApplePay encrypted VAS data".utf8)

    /// GET VAS DATA (`80 CA 01 P2`): P2 01 asks for a pass (its identifier's hash), P2 00 is
    /// URL-only mode (the phone opens `url`, no pass is sent).
    public static func getVASData(passTypeIdHash: [UInt8]?, url: String?) -> [UInt8] {
        var body = TLV(tag: 0x9F22, value: [0x01, 0x00]).encoded  // protocol version 1.0
        body += TLV(tag: 0x9F28, value: [0x00, 0x00, 0x00, 0x00]).encoded
        body += TLV(tag: 0x9F26, value: [0x00, 0x00, 0x00, 0x02]).encoded  // terminal capabilities
        if let passTypeIdHash { body += TLV(tag: 0x9F25, value: passTypeIdHash).encoded }
        if let url { body += TLV(tag: 0x9F29, value: Array(url.utf8.prefix(255))).encoded }
        return [0x80, 0xCA, 0x01, passTypeIdHash == nil ? 0x00 : 0x01, UInt8(body.count)] + body + [0x00]
    }

    /// What SELECT `OSE.VAS.01` answered: the applet's version (9F21) and capabilities (9F23).
    public struct AppletInfo: Sendable, Equatable {
        public var version: [UInt8]
        public var capabilities: [UInt8]?
    }

    public static func parseSelect(_ data: [UInt8]) -> Result<AppletInfo, VASError> {
        guard let version = TLV.find(0x9F21, in: data), version.count == 2 else {
            return .failure(.badAnswer("SELECT OSE.VAS.01 answered without a version (9F21)"))
        }
        guard version[0] == 0x01 else { return .failure(.badAnswer("VAS version \(version[0]).\(version[1]) is not 1.x")) }
        return .success(AppletInfo(version: version, capabilities: TLV.find(0x9F23, in: data)))
    }

    /// The cryptogram (9F27) of a GET VAS DATA answer.
    public static func cryptogram(inAnswer data: [UInt8]) -> Result<[UInt8], VASError> {
        guard let c = TLV.find(0x9F27, in: data) else { return .failure(.badAnswer("GET VAS DATA answered without a cryptogram (9F27)")) }
        return .success(c)
    }

    static func keyId(of key: P256.KeyAgreement.PublicKey) -> [UInt8] {
        let x = key.x963Representation.dropFirst().prefix(32)
        return Array(SHA256.hash(data: Array(x)).prefix(4))
    }

    /// The layout of a cryptogram: key id (4), ephemeral public key X (32), AES-GCM
    /// ciphertext of timestamp (4) and message, tag (16).
    static let headerLength = 4 + 32
    static let tagLength = 16

    /// Decrypts a cryptogram with the merchant's key and checks its timestamp against `now`.
    public static func decrypt(_ cryptogram: [UInt8], merchant: VASMerchant, now: Date, toleranceSeconds: Int64) -> Result<VASMessage, VASError> {
        guard cryptogram.count >= headerLength + 4 + tagLength else {
            return .failure(.badAnswer("a cryptogram of \(cryptogram.count) bytes is too short"))
        }
        guard Array(cryptogram[0..<4]) == merchant.keyId else { return .failure(.keyMismatch) }
        // The phone sends X only; either Y gives the same shared X coordinate.
        let ephemeral: P256.KeyAgreement.PublicKey
        do { ephemeral = try P256.KeyAgreement.PublicKey(compressedRepresentation: [0x02] + cryptogram[4..<36]) } catch {
            return .failure(.badEphemeralKey)
        }
        let shared: SharedSecret
        do { shared = try merchant.privateKey.sharedSecretFromKeyAgreement(with: ephemeral) } catch {
            return .failure(.badEphemeralKey)
        }
        let body = Array(cryptogram[headerLength...])
        // Two variants are in use: the pass type id hash in the KDF's shared info, or as the
        // AES-GCM additional data.
        let variants: [(sharedInfo: [UInt8], aad: [UInt8])] = [
            ([UInt8(sharedInfoLabel.count)] + sharedInfoLabel + sharedInfoParty + merchant.passTypeIdHash, []),
            (sharedInfoParty, merchant.passTypeIdHash),
        ]
        for v in variants {
            let key = shared.x963DerivedSymmetricKey(using: SHA256.self, sharedInfo: v.sharedInfo, outputByteCount: 32)
            guard let plain = try? open(body, key: key, aad: v.aad) else { continue }
            let timestamp = plain[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let message = VASMessage(timestamp: timestamp, message: Array(plain[4...]))
            let age = Int64(now.timeIntervalSinceReferenceDate.rounded(.down)) - Int64(timestamp)
            guard abs(age) <= toleranceSeconds else { return .failure(.staleTimestamp(ageSeconds: age)) }
            return .success(message)
        }
        return .failure(.decryptionFailed)
    }

    /// AES-256-GCM with the protocol's 16-byte all-zero IV.
    static func open(_ body: [UInt8], key: SymmetricKey, aad: [UInt8]) throws -> [UInt8] {
        let nonce = try AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 16))
        let box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: body.dropLast(tagLength), tag: body.suffix(tagLength))
        let plain = try AES.GCM.open(box, using: key, authenticating: aad)
        guard plain.count >= 4 else { throw VASError.badAnswer("a cryptogram without a timestamp") }
        return Array(plain)
    }
}
