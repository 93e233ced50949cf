import Crypto
import Foundation
@testable import NFC

/// Cards for the reading logic's unit tests, answering as the PC/SC reader and card would.
/// (The integration tests use Python emulations behind real pcscd and vpcd.)
final class SimulatedCard: CardChannel, @unchecked Sendable {
    typealias Pass = (key: P256.KeyAgreement.PublicKey, message: [UInt8], timestamp: UInt32)
    enum Kind {
        /// A Type 2 tag's memory, page 0 onwards (4 bytes a page).
        case type2(memory: [UInt8])
        /// A Type 4 tag with this NDEF message.
        case type4(message: [UInt8], maxRead: Int)
        /// A phone: pass type id → message it encrypts for the merchant key; nil → no pass.
        case phone(passes: [String: Pass], tamper: Bool)
    }

    let kind: Kind
    let uid: [UInt8]?
    /// The card leaves the field after this many commands.
    var removeAfter: Int?
    /// After this many commands the card answers nothing (0 bytes), as vpcd does for a card that left.
    var silentAfter: Int?
    /// What the reader says of the card after a failed exchange.
    var presentAfterFailure = true

    func isCardPresent() -> Bool { presentAfterFailure }
    private(set) var commands: [[UInt8]] = []
    private var selected: UInt16 = 0
    private var selectedApp: [UInt8] = []

    init(_ kind: Kind, uid: [UInt8]? = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6], removeAfter: Int? = nil) {
        self.kind = kind
        self.uid = uid
        self.removeAfter = removeAfter
    }

    static let storageATR: [UInt8] = [0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x68]
    static let iso14443_4ATR: [UInt8] = [0x3B, 0x80, 0x80, 0x01, 0x01]

    var atr: [UInt8] {
        if case .type2 = kind { return Self.storageATR }
        return Self.iso14443_4ATR
    }

    func transmit(_ c: [UInt8]) throws(ChannelError) -> [UInt8] {
        if let removeAfter, commands.count >= removeAfter { throw .removed }
        if let silentAfter, commands.count >= silentAfter { return [] }
        commands.append(c)
        let ok: [UInt8] = [0x90, 0x00]
        if c.starts(with: [0xFF, 0xCA, 0x00, 0x00]) { return uid.map { $0 + ok } ?? [0x6A, 0x81] }
        switch kind {
        case .type2(let memory):
            guard c.count == 5, c[0] == 0xFF, c[1] == 0xB0 else { return [0x6D, 0x00] }
            let start = Int(c[3]) * 4
            guard start < memory.count else { return [0x6A, 0x82] }
            // Reads wrap past the end as NTAGs do; here: zero fill.
            let bytes = (0..<Int(c[4])).map { start + $0 < memory.count ? memory[start + $0] : 0 }
            return bytes + ok
        case .type4(let message, let maxRead):
            let cc: [UInt8] = [0x00, 0x0F, 0x20, UInt8(maxRead >> 8), UInt8(maxRead & 0xFF), 0x00, 0xFF, 0x04, 0x06, 0xE1, 0x04, 0x10, 0x00, 0x00, 0x00]
            let file = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
            if c.starts(with: [0x00, 0xA4, 0x04, 0x00]) {
                let aid = Array(c[5..<(5 + Int(c[4]))])
                guard aid == ContactlessReader.ndefAID else { return [0x6A, 0x82] }
                selectedApp = aid
                return ok
            }
            if c.starts(with: [0x00, 0xA4, 0x00, 0x0C]) {
                let id = UInt16(c[5]) << 8 | UInt16(c[6])
                guard !selectedApp.isEmpty, id == 0xE103 || id == 0xE104 else { return [0x6A, 0x82] }
                selected = id
                return ok
            }
            if c.starts(with: [0x00, 0xB0]) {
                let data = selected == 0xE103 ? cc : file
                let offset = Int(c[2]) << 8 | Int(c[3])
                let n = Int(c[4])
                guard offset + n <= data.count, n <= maxRead else { return [0x6B, 0x00] }
                return Array(data[offset..<(offset + n)]) + ok
            }
            return [0x6D, 0x00]
        case .phone(let passes, let tamper):
            if c.starts(with: [0x00, 0xA4, 0x04, 0x00]) {
                let aid = Array(c[5..<(5 + Int(c[4]))])
                guard aid == VAS.aid else { return [0x6A, 0x82] }
                let body = TLV(tag: 0x50, value: Array("ApplePay".utf8)).encoded + TLV(tag: 0x9F21, value: [0x01, 0x00]).encoded
                    + TLV(tag: 0x9F24, value: [1, 2, 3, 4]).encoded + TLV(tag: 0x9F23, value: [0, 0, 0, 0x08]).encoded
                return TLV(tag: 0x6F, value: body).encoded + ok
            }
            if c.starts(with: [0x80, 0xCA, 0x01]) {
                let body = Array(c[5..<(5 + Int(c[4]))])
                if c[3] == 0x00 { return ok }  // URL-only: the phone opens the URL
                guard let hash = TLV.find(0x9F25, in: body) else { return [0x6A, 0x80] }
                for (id, pass) in passes where Array(SHA256.hash(data: Array(id.utf8))) == hash {
                    var cryptogram = Phone.encrypt(message: pass.message, timestamp: pass.timestamp, passTypeId: id, merchantKey: pass.key)
                    if tamper { cryptogram[cryptogram.count - 1] ^= 0x01 }
                    return TLV(tag: 0x70, value: TLV(tag: 0x9F27, value: cryptogram).encoded).encoded + ok
                }
                return [0x62, 0x87]
            }
            return [0x6D, 0x00]
        }
    }

    /// A Type 2 tag (NTAG213 layout: 45 pages) holding `message`.
    static func ntag(_ message: [UInt8], capabilityBytes: UInt8 = 0x12) -> SimulatedCard {
        var memory = [UInt8](repeating: 0, count: 45 * 4)
        memory[0..<9] = [0x04, 0xA1, 0xB2, 0x88, 0xC3, 0xD4, 0xE5, 0xF6, 0x00]
        memory[12..<16] = [0xE1, 0x10, capabilityBytes, 0x00]
        let tlv: [UInt8] = [0x03, UInt8(message.count)] + message + [0xFE]
        memory.replaceSubrange(16..<(16 + tlv.count), with: tlv)
        return SimulatedCard(.type2(memory: memory))
    }
}

/// The phone's side of VAS, as the integration tests' Python emulation does it too: an
/// ephemeral P-256 key, ECDH with the merchant key, X9.63 KDF, AES-256-GCM with a zero IV.
enum Phone {
    static func encrypt(message: [UInt8], timestamp: UInt32, passTypeId: String, merchantKey: P256.KeyAgreement.PublicKey) -> [UInt8] {
        // An ephemeral key whose Y is even, so that 02 || X names it (as the protocol's X-only form does).
        var ephemeral = P256.KeyAgreement.PrivateKey()
        while ephemeral.publicKey.x963Representation.last! & 1 != 0 { ephemeral = P256.KeyAgreement.PrivateKey() }
        let shared = try! ephemeral.sharedSecretFromKeyAgreement(with: merchantKey)
        let hash = Array(SHA256.hash(data: Array(passTypeId.utf8)))
        let info = [UInt8(13)] + Array("id-aes256-GCM".utf8) + Array("ApplePay encrypted VAS data".utf8) + hash
        let key = shared.x963DerivedSymmetricKey(using: SHA256.self, sharedInfo: info, outputByteCount: 32)
        let plain = [UInt8(timestamp >> 24), UInt8(timestamp >> 16 & 0xFF), UInt8(timestamp >> 8 & 0xFF), UInt8(timestamp & 0xFF)] + message
        let box = try! AES.GCM.seal(plain, using: key, nonce: try! AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 16)))
        let keyId = Array(SHA256.hash(data: Array(merchantKey.x963Representation.dropFirst().prefix(32))).prefix(4))
        return keyId + Array(ephemeral.publicKey.x963Representation.dropFirst().prefix(32)) + Array(box.ciphertext) + Array(box.tag)
    }
}
