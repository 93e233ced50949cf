import Foundation
import Testing
import TestSupport

@testable import Daemon

/// `readers.<id>.type: pcsc` and its keys.
@Suite struct PCSCConfigTests {
    /// A throw-away P-256 test key (not any merchant's).
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEjRWeJCrze8SNFZ4
        kKvN7xI0VniQq83vEjRWeJCrze+hRANCAARHHD51jEkEKFu6flMRjtD1JK3rB1fS
        W9L457DXbfpxTN1SD3rKiouResw39R3o8Mm7462Fg4LnAtwloS0J96hY
        -----END PRIVATE KEY-----

        """

    func load(_ yaml: String, in dir: TemporaryDirectory) async throws -> DaemonConfig {
        try yaml.write(toFile: dir.file("config.yaml"), atomically: true, encoding: .utf8)
        return try await DaemonConfig.load(configFile: dir.file("config.yaml"), flags: [:], environment: [:], demo: false)
    }

    func error(_ yaml: String, in dir: TemporaryDirectory) async -> ConfigError? {
        do {
            _ = try await load(yaml, in: dir)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    func key(_ dir: TemporaryDirectory, mode: mode_t = 0o600, text: String = Self.pem) throws -> String {
        let path = dir.file("vas-\(String(mode, radix: 8)).pem")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
        return path
    }

    @Test func aPCSCReaderWithVASMerchantsAndNFCRules() async throws {
        let dir = try TemporaryDirectory()
        let config = try await load("""
            readers:
              nfc:
                type: pcsc
                reader-name: 'ACR122U'
                share: exclusive
                vas:
                  merchants:
                    - pass-type-id: pass.com.example.giftcard
                      key-file: \(try key(dir))
                  url: https://shop.example/join
                  timestamp-tolerance-seconds: 30
            normalization:
              rules:
                - nfc: [uri, text]
                  pattern: '^https://shop\\.example/gc/([0-9]+)$'
                  field: printedCardNumber
            """, in: dir)
        let reader = try #require(config.readers.first)
        #expect(reader.kind == .pcsc)
        let pcsc = try #require(reader.pcsc)
        #expect(pcsc.namePattern == "ACR122U")
        #expect(pcsc.exclusive)
        #expect(pcsc.merchants.map(\.passTypeId) == ["pass.com.example.giftcard"])
        #expect(pcsc.vasURL == "https://shop.example/join")
        #expect(pcsc.timestampToleranceSeconds == 30)
        #expect(config.normalizationRules.first?.nfc == [.uri, .text])
        #expect(config.normalizationRules.first?.symbologies.isEmpty == true)
        // Defaults: any reader, shared, no VAS.
        let plain = try await load("readers:\n  nfc:\n    type: pcsc\n", in: dir)
        #expect(plain.readers.first?.pcsc == PCSCReaderConfig(namePattern: ".", exclusive: false, merchants: [], vasURL: nil, timestampToleranceSeconds: 120))
    }

    @Test func badPCSCSettingsNameTheirKey() async throws {
        let dir = try TemporaryDirectory()
        let good = try key(dir)
        func merchants(_ file: String, id: String = "pass.com.example.giftcard") -> String {
            "readers:\n  nfc:\n    type: pcsc\n    vas:\n      merchants:\n        - pass-type-id: \(id)\n          key-file: \(file)\n"
        }
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    reader-name: '(['\n", in: dir)?.key == "readers.nfc.reader-name")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    share: sometimes\n", in: dir)?.key == "readers.nfc.share")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    path: /dev/ttyS0\n", in: dir)?.key == "readers.nfc.path")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    baud: 9600\n", in: dir)?.key == "readers.nfc.baud")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    content: barcode\n", in: dir)?.key == "readers.nfc.content")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    vas:\n      url: http://shop.example/\n", in: dir)?.key == "readers.nfc.vas.url")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    vas:\n      timestamp-tolerance-seconds: 0\n", in: dir)?.key == "readers.nfc.vas.timestamp-tolerance-seconds")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    vas:\n      colour: red\n", in: dir)?.key == "readers.nfc.vas.colour")
        // Settings of a PC/SC reader on another reader.
        #expect(await error("readers:\n  r:\n    path: /dev/ttyS0\n    share: exclusive\n", in: dir)?.key == "readers.r.share")
        #expect(await error("readers:\n  r:\n    path: /dev/ttyS0\n    vas:\n      merchants:\n        - pass-type-id: p\n          key-file: \(good)\n", in: dir)?.key == "readers.r.vas.merchants")
        // Merchants: the key file must be a private P-256 key only its owner reads.
        #expect(try await load(merchants(good), in: dir).readers.first?.pcsc?.merchants.count == 1)
        #expect(try await load(merchants(try key(dir, mode: 0o400)), in: dir).readers.first?.pcsc?.merchants.count == 1)
        for mode: mode_t in [0o640, 0o644, 0o604] {
            let e = await error(merchants(try key(dir, mode: mode)), in: dir)
            #expect(e?.key == "readers.nfc.vas.merchants[0].key-file", "mode \(String(mode, radix: 8))")
            #expect(e?.message.contains("chmod 0600") == true)
        }
        let notAKey = try key(dir, mode: 0o600, text: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        #expect(await error(merchants(notAKey), in: dir)?.message.contains("not a PEM P-256 private key") == true)
        #expect(await error(merchants("relative.pem"), in: dir)?.key == "readers.nfc.vas.merchants[0].key-file")
        #expect(await error(merchants(dir.file("missing.pem")), in: dir)?.key == "readers.nfc.vas.merchants[0].key-file")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    vas:\n      merchants:\n        - key-file: \(good)\n", in: dir)?.key == "readers.nfc.vas.merchants[0].pass-type-id")
        #expect(await error("readers:\n  nfc:\n    type: pcsc\n    vas:\n      merchants:\n        - pass-type-id: p\n          key-file: \(good)\n          pin: 1234\n", in: dir)?.key == "readers.nfc.vas.merchants[0].pin")
        // A rule is for barcodes or for NFC, not both; NFC sources are checked.
        #expect(await error("normalization:\n  rules:\n    - nfc: [uri]\n      symbologies: [code128]\n      pattern: x\n      field: barcode\n", in: dir)?.key == "normalization.rules[0].nfc")
        #expect(await error("normalization:\n  rules:\n    - nfc: [smoke]\n      pattern: x\n      field: barcode\n", in: dir)?.key == "normalization.rules[0].nfc")
    }
}
