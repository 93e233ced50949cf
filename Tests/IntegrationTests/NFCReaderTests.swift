#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// Contactless cards and Apple Wallet passes through real middleware: pcscd with the virtual
/// reader driver vpcd, the project's card emulations (`Tests/Fixtures/nfc/vcard.py`, on
/// python3-virtualsmartcard) as the cards, and the real `giftbridged` reading them through its
/// PC/SC edge, checked on its event stream. `scripts/test` installs the packages and starts
/// pcscd (`scripts/pcsc-test-server`); without GIFTBRIDGE_TEST_PCSC the suite starts it itself
/// when pcscd and vpcd are installed, and is skipped only when they are not.
@Suite(.serialized, .enabled(if: VirtualReader.address != nil, "pcscd, vsmartcard-vpcd or python3-virtualsmartcard are not installed"))
struct NFCReaderTests {
    static let passTypeId = "pass.com.example.giftcard"

    /// The demo daemon (card 6035710000000000 holds 25.00 EUR, 6035710000000028 15.50) with one
    /// `type: pcsc` reader on vpcd's first slot, a VAS merchant key and normalization rules.
    struct Till {
        let dir: TemporaryDirectory
        let socket: String
        let daemon: DaemonProcess
        let events: EventRecorder
        let publicKey: String

        /// `urlOnly`: no merchant, only `vas.url` (URL-only mode).
        init(tolerance: Int = 60, urlOnly: Bool = false) throws {
            dir = try TemporaryDirectory()
            socket = dir.file("api.sock")
            let key = dir.file("merchant.pem")
            publicKey = dir.file("merchant.pub.pem")
            try VirtualReader.run(["keygen", key, publicKey])
            let vas = urlOnly ? "      url: https://shop.example/join\n" : """
                      merchants:
                        - pass-type-id: pass.com.example.loyalty-other
                          key-file: \(key)
                        - pass-type-id: \(NFCReaderTests.passTypeId)
                          key-file: \(key)

                """
            try """
                api:
                  socket: \(socket)
                  simulate: false
                swipe:
                  action: balance
                readers:
                  nfc:
                    type: pcsc
                    reader-name: '^Virtual PCD 00 00$'
                    share: exclusive
                    vas:
                \(vas)      timestamp-tolerance-seconds: \(tolerance)
                normalization:
                  rules:
                    - nfc: [uri]
                      pattern: '^https://shop\\.example/gc/([0-9]+)$'
                      field: printedCardNumber
                    - nfc: vas
                      pattern: '^GC-([0-9]+)$'
                      field: printedCardNumber
                """.write(toFile: dir.file("config.yaml"), atomically: true, encoding: .utf8)
            daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("config.yaml"), "--state-dir", dir.file("state")], dir: dir)
            try daemon.waitUntilReady()
            events = EventRecorder(socket: socket, after: "0")
            try events.waitUntilOpen()
            let added = try events.next("device.added")
            #expect(json(added.data)["reader"] as? String == "nfc")
        }

        /// Nothing a user sees holds the card data: events, the daemon's log, its state files.
        func expectNowhere(_ secrets: [String]) {
            var texts = events.all.map(\.data) + [daemon.log]
            let state = dir.file("state")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? [] {
                if let data = FileManager.default.contents(atPath: state + "/" + name) { texts.append(String(decoding: data, as: UTF8.self)) }
            }
            for secret in secrets {
                for text in texts { #expect(!text.contains(secret), "card data found: \(text.prefix(200))") }
            }
        }
    }

    @Test func anNTAGWithAURIRecordIsReadToItsBalance() throws {
        let till = try Till()
        let card = try VirtualReader.place(["ntag-uri", "https://shop.example/gc/6035710000000000"])
        defer { card.remove() }
        let read = json(try till.events.next("card.read").data)
        #expect(read["reader"] as? String == "nfc")
        #expect(read["kind"] as? String == "nfc")
        #expect(read["tagType"] as? String == "type2")
        #expect(read["maskedCardNumber"] as? String == "603571******0000")
        #expect(read["fields"] as? [String] == ["printedCardNumber"])
        let balance = json(try till.events.next("gift.balance").data)
        #expect(balance["balanceMinor"] as? Int == 2500)
        #expect(balance["readId"] as? String == read["readId"] as? String)
        till.expectNowhere(["6035710000000000", "04A1B2C3D4E5F6", "shop.example/gc"])
    }

    @Test func aType4TagWithATextRecord() throws {
        let till = try Till()
        let card = try VirtualReader.place(["type4-text", "6035710000000028"])
        defer { card.remove() }
        let read = json(try till.events.next("card.read").data)
        #expect(read["tagType"] as? String == "type4")
        #expect(read["maskedCardNumber"] as? String == "603571******0028")
        let balance = json(try till.events.next("gift.balance").data)
        #expect(balance["balanceMinor"] as? Int == 1550)
        till.expectNowhere(["6035710000000028"])
    }

    @Test func aTagPulledAwayMidReadIsATypedErrorAndNoRead() throws {
        let till = try Till()
        // UID, capability container, then gone before the NDEF pages.
        let card = try VirtualReader.place(["ntag-pulled", "https://shop.example/gc/6035710000000000", "2"])
        defer { card.remove() }
        let error = json(try till.events.next("card.error").data)
        #expect(error["reason"] as? String == "tag_removed")
        #expect(error["reader"] as? String == "nfc")
        #expect(!till.events.all.contains { $0.event == "card.read" })
        // The reader keeps working: the next card is read.
        card.remove()
        let next = try VirtualReader.place(["ntag-uri", "https://shop.example/gc/6035710000000000"])
        defer { next.remove() }
        #expect(json(try till.events.next("card.read").data)["maskedCardNumber"] as? String == "603571******0000")
    }

    @Test func aPhoneWithAWalletPassIsDecryptedAndNormalized() throws {
        let till = try Till()
        let phone = try VirtualReader.place(["phone", till.publicKey, Self.passTypeId, "GC-6035710000000000"])
        defer { phone.remove() }
        let read = json(try till.events.next("card.read").data)
        #expect(read["kind"] as? String == "vas")
        #expect(read["walletKind"] as? String == "apple_vas")
        #expect(read["fields"] as? [String] == ["printedCardNumber", "appleNfcVasPayload"])
        #expect(read["maskedCardNumber"] as? String == "603571******0000")
        let balance = json(try till.events.next("gift.balance").data)
        #expect(balance["balanceMinor"] as? Int == 2500)
        let payload = Data("GC-6035710000000000".utf8).base64EncodedString()
        till.expectNowhere(["6035710000000000", payload, "GC-60357"])
    }

    @Test func aPhoneWithoutAMatchingPassIsAnEventNotAnError() throws {
        let till = try Till()
        let phone = try VirtualReader.place(["phone-empty"])
        defer { phone.remove() }
        let notice = json(try till.events.next("vas.no-pass").data)
        #expect(notice["reader"] as? String == "nfc")
        #expect(!till.events.all.contains { $0.event == "card.error" || $0.event == "card.read" })
    }

    @Test func urlOnlyModeIsAnEvent() throws {
        let till = try Till(urlOnly: true)
        let phone = try VirtualReader.place(["phone-empty"])
        defer { phone.remove() }
        let notice = json(try till.events.next("vas.url-only").data)
        #expect(notice["reader"] as? String == "nfc")
        #expect(!till.events.all.contains { $0.event == "card.error" || $0.event == "card.read" })
    }

    @Test func aCryptogramWithABadTagIsRefused() throws {
        let till = try Till()
        let phone = try VirtualReader.place(["phone", till.publicKey, Self.passTypeId, "GC-6035710000000000", "--tamper"])
        defer { phone.remove() }
        let error = json(try till.events.next("card.error").data)
        #expect(error["reason"] as? String == "vas_decryption_failed")
        #expect(!till.events.all.contains { $0.event == "card.read" })
        till.expectNowhere(["6035710000000000"])
    }

    @Test func aStaleTimestampIsRefused() throws {
        let till = try Till(tolerance: 60)
        let phone = try VirtualReader.place(["phone", till.publicKey, Self.passTypeId, "GC-6035710000000000", "--age", "3600"])
        defer { phone.remove() }
        let error = json(try till.events.next("card.error").data)
        #expect(error["reason"] as? String == "vas_stale_timestamp")
        #expect(!till.events.all.contains { $0.event == "card.read" })
    }

    /// pcscd going away and coming back (as on a restart, or the reader's USB bus reset): the
    /// reader is reported removed, then attached again, and reads; SIGTERM then ends the
    /// daemon at once (SCardCancel wakes the reader's wait). Only with the pcscd this suite's
    /// script started: a system pcscd is not restarted by a test.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/tmp/giftbridge-pcsc/pcscd.pid")))
    func pcscdRestartsAndTheReaderComesBack() throws {
        let till = try Till()
        try VirtualReader.server("stop")
        let removed = json(try till.events.next("device.removed").data)
        #expect(removed["reader"] as? String == "nfc")
        #expect((removed["reason"] as? String)?.hasPrefix("pcscd") == true)
        try VirtualReader.server("start")
        try till.events.next("device.added", timeout: 15)
        let card = try VirtualReader.place(["ntag-uri", "https://shop.example/gc/6035710000000000"])
        defer { card.remove() }
        #expect(json(try till.events.next("card.read").data)["maskedCardNumber"] as? String == "603571******0000")
        let started = Date()
        let (status, _) = try till.daemon.terminate()
        #expect(status == 0)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func aPaymentCardNumberOnATagGoesNowhere() throws {
        let till = try Till()
        let card = try VirtualReader.place(["type4-text", "4111111111111111"])
        defer { card.remove() }
        let error = json(try till.events.next("card.error").data)
        #expect((error["reason"] as? String)?.hasPrefix("payment_card") == true)
        #expect(!till.events.all.contains { $0.event == "card.read" || $0.event == "gift.balance" })
        till.expectNowhere(["4111111111111111"])
    }
}

/// vpcd's first slot and the card emulations that connect to it.
enum VirtualReader {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nfc/vcard.py").path

    /// vpcd's host:port: GIFTBRIDGE_TEST_PCSC, else what scripts/pcsc-test-server starts; nil
    /// when the packages are not installed.
    static let address: String? = {
        if let a = ProcessInfo.processInfo.environment["GIFTBRIDGE_TEST_PCSC"], !a.isEmpty { return a }
        let fm = FileManager.default
        guard fm.isExecutableFile(atPath: "/usr/sbin/pcscd"), fm.fileExists(atPath: "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"),
              fm.fileExists(atPath: "/usr/lib/python3/site-packages/virtualsmartcard") || fm.fileExists(atPath: "/usr/lib/python3/dist-packages/virtualsmartcard") else { return nil }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = Process()
        p.executableURL = root.appendingPathComponent("scripts/pcsc-test-server")
        let out = Pipe()
        p.standardOutput = out
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && !text.isEmpty ? text : nil
    }()

    static var port: String { String(address?.split(separator: ":").last ?? "35963") }

    /// Runs scripts/pcsc-test-server (`start` or `stop`).
    static func server(_ command: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = Process()
        p.executableURL = root.appendingPathComponent("scripts/pcsc-test-server")
        p.arguments = [command]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // The script leaves pcscd running in a session of its own; Foundation's wait for the
        // script's end does not always return then: wait for it directly.
        var status: Int32 = 0
        while waitpid(p.processIdentifier, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw TestFailure("scripts/pcsc-test-server \(command) exited with status \(status)") }
    }

    /// Runs the emulation script to its end (keygen).
    static func run(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [script] + arguments
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("vcard.py \(arguments.first ?? "") exited with \(p.terminationStatus)") }
    }

    /// A card in the field: the emulation connected to vpcd, until ``Card/remove()``.
    final class Card {
        let process = Process()
        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [VirtualReader.script, "--port", VirtualReader.port] + arguments
            process.standardOutput = FileHandle.nullDevice
            try process.run()
        }

        func remove() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
            // pcscd learns that vpcd's card is gone only at its next presence poll (every
            // 400 ms); the next test's daemon must not find this card still in the field.
            usleep(1_200_000)
        }

        deinit { remove() }
    }

    static func place(_ arguments: [String]) throws -> Card { try Card(arguments) }
}
