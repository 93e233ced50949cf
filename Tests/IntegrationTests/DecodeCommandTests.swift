import CardReading
import Foundation
import Testing
import TestSupport

/// `giftbridge decode` through the real binary.
@Suite struct DecodeCommandTests {
    func decode(_ args: [String], stdin: String? = nil) throws -> (Int32, [[String: Any]]) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.cli)
        p.arguments = ["decode"] + args
        let out = Pipe()
        p.standardOutput = out
        if let stdin {
            let input = Pipe()
            p.standardInput = input
            try p.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            try p.run()
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text.split(separator: "\n").map { json(String($0)) })
    }

    /// A recorded exchange with an NTAG (as vcard.py's emulation answers), decoded offline.
    static let ntagLog = """
        # an NTAG213 with the URI https://shop.example/gc/6035710000000000
        atr 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68
        > FF CA 00 00 00
        < 04 A1 B2 C3 D4 E5 F6 90 00
        > FF B0 00 03 10
        < E1 10 12 00 03 25 D1 01 21 55 04 73 68 6F 70 2E 90 00
        > FF B0 00 07 10
        < 65 78 61 6D 70 6C 65 2F 67 63 2F 36 30 33 35 37 90 00
        > FF B0 00 0B 10
        < 31 30 30 30 30 30 30 30 30 30 30 FE 00 00 00 00 90 00

        """

    @Test func anAPDULogIsDecodedOfflineAndMasked() throws {
        let dir = try TemporaryDirectory()
        try Self.ntagLog.write(toFile: dir.file("ntag.log"), atomically: true, encoding: .utf8)
        let (status, lines) = try decode(["--apdu-log", dir.file("ntag.log")])
        #expect(status == 0)
        let out = try #require(lines.first)
        #expect(out["kind"] as? String == "nfc")
        #expect(out["tagType"] as? String == "type2")
        #expect(out["uid"] as? String == "************F6")
        #expect((out["records"] as? [[String: Any]])?.first?["uri"] as? String == "<40 characters>")
        let card = out["cardInfo"] as? [String: Any]
        #expect(card?["barcode"] as? String == "https:" + String(repeating: "*", count: 30) + "0000")
        let text = lines.map { String(describing: $0) }.joined()
        #expect(!text.contains("6035710000000000") && !text.contains("04A1B2C3D4E5F6"))
        let (_, revealed) = try decode(["--apdu-log", dir.file("ntag.log"), "--reveal"])
        #expect(revealed.first?["uid"] as? String == "04A1B2C3D4E5F6")

        // Cut where the tag left: the daemon's typed error, exit 1.
        let cut = Self.ntagLog.components(separatedBy: "> FF B0 00 07 10")[0] + "!removed\n"
        try cut.write(toFile: dir.file("cut.log"), atomically: true, encoding: .utf8)
        let (cutStatus, cutLines) = try decode(["--apdu-log", dir.file("cut.log")])
        #expect(cutStatus == 1)
        #expect((cutLines.first?["error"] as? [String: Any])?["code"] as? String == "tag_removed")
        // Not a log at all.
        try "hello\n".write(toFile: dir.file("bad.log"), atomically: true, encoding: .utf8)
        let (badStatus, badLines) = try decode(["--apdu-log", dir.file("bad.log")])
        #expect(badStatus == 1)
        #expect((badLines.first?["error"] as? [String: Any])?["code"] as? String == "bad_apdu_log")
    }

    /// A phone's VAS exchange (the cryptogram made by Python's `cryptography` for a fixed test
    /// key: message "6035710000000000", timestamp 2025-11-28T05:20:00Z).
    static let vasLog = """
        > 00 A4 04 00 0A 4F 53 45 2E 56 41 53 2E 30 31 00
        < 6F 1D 50 08 41 70 70 6C 65 50 61 79 9F 21 02 01 00 9F 24 04 01 02 03 04 9F 23 04 00 00 00 08 90 00
        > 80 CA 01 01 36 9F 22 02 01 00 9F 28 04 00 00 00 00 9F 26 04 00 00 00 02 9F 25 20 6B 6C 5D 72 F2 47 4B 8C B2 16 DF 17 4D 8C BF D0 79 96 06 CE F1 56 31 ED 97 A1 CA 5D D9 E5 EA 5C 00
        < 70 4B 9F 27 48 9F AF 97 B3 DF BF 0D 7F 1A 22 63 3F A5 28 A9 F7 7E 2E B2 15 3F 25 5F 92 FC 93 D8 AA D6 15 8F 3F BF FC BD E3 BA 06 8B 50 0E A1 5A 70 F3 2F 48 0C 27 CE 18 7C 7A 75 D0 F8 31 16 79 4A 1E 8D A6 26 B9 35 C3 55 40 41 35 17 90 00

        """
    static let testKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEjRWeJCrze8SNFZ4
        kKvN7xI0VniQq83vEjRWeJCrze+hRANCAARHHD51jEkEKFu6flMRjtD1JK3rB1fS
        W9L457DXbfpxTN1SD3rKiouResw39R3o8Mm7462Fg4LnAtwloS0J96hY
        -----END PRIVATE KEY-----

        """

    @Test func aRecordedVASExchangeIsDecryptedOffline() throws {
        let dir = try TemporaryDirectory()
        try Self.vasLog.write(toFile: dir.file("vas.log"), atomically: true, encoding: .utf8)
        try Self.testKey.write(toFile: dir.file("key.pem"), atomically: true, encoding: .utf8)
        let args = ["--apdu-log", dir.file("vas.log"), "--vas-pass-type-id", "pass.com.example.giftcard", "--vas-key-file", dir.file("key.pem")]
        let (status, lines) = try decode(args)
        #expect(status == 0)
        let out = try #require(lines.first)
        #expect(out["kind"] as? String == "vas")
        #expect(out["passTypeId"] as? String == "pass.com.example.giftcard")
        #expect(out["timestamp"] as? String == "2025-11-28T05:20:00Z")
        #expect(out["messageLength"] as? Int == 16)
        #expect((out["cardInfo"] as? [String: Any])?["appleNfcVasPayload"] as? String == "<24 base64 characters>")
        let text = lines.map { String(describing: $0) }.joined()
        #expect(!text.contains("6035710000000000") && !text.contains(Data("6035710000000000".utf8).base64EncodedString()))
        // Checked against this machine's clock, the recorded pass is stale.
        let (staleStatus, stale) = try decode(args + ["--vas-tolerance", "60"])
        #expect(staleStatus == 1)
        #expect((stale.first?["error"] as? [String: Any])?["code"] as? String == "vas_stale_timestamp")
        // Another pass type identifier: the log's command is not the one the logic sends.
        let (otherStatus, other) = try decode(["--apdu-log", dir.file("vas.log"), "--vas-pass-type-id", "pass.com.example.other", "--vas-key-file", dir.file("key.pem")])
        #expect(otherStatus == 1)
        #expect((other.first?["error"] as? [String: Any])?["code"] as? String == "reader_error")
    }

    @Test func aPaymentCardIsNeverRevealed() throws {
        let (_, lines) = try decode(["--reveal", "--text", "%B4111111111111111^DOE/JOHN^29121010000?;4111111111111111=29121010000?", "--text", "5555555555554444"])
        let text = lines.map { String(describing: $0) }.joined()
        #expect(!text.contains("4111111111111111") && !text.contains("5555555555554444") && !text.contains("DOE") && !text.contains("29121010000"))
        #expect((lines[0]["cardInfo"] as? [String: Any])?["refused"] as? String == "payment_card")
        #expect((lines[1]["cardInfo"] as? [String: Any])?["refused"] as? String == "payment_card")
        // A gift card is still shown in full with --reveal.
        let (_, gift) = try decode(["--reveal", "--text", ";6035710000000000=49121200?"])
        #expect((gift[0]["cardInfo"] as? [String: Any])?["printedCardNumber"] as? String == "6035710000000000")
    }

    @Test func textStdinAndErrors() throws {
        let (status, lines) = try decode(["--text", ";6035710000000000=49121200?", "--text", ";6035710000000000=49121200?3", "--lrc", "present"])
        #expect(status == 1)
        #expect((lines[0]["error"] as? [String: Any])?["code"] as? String == "missing_lrc")
        #expect((lines[1]["error"] as? [String: Any])?["code"] as? String == "lrc_mismatch")
        let (ok, good) = try decode([], stdin: ";6035710000000000=49121200?\n]E05018374827715\n")
        #expect(ok == 0)
        #expect(good[0]["kind"] as? String == "magstripe")
        #expect(good[0]["masked"] as? String == "603571******0000")
        #expect(!String(describing: good[0]).contains("6035710000000000"))
        #expect(good[1]["symbology"] as? String == "ean13")
        for (input, code) in [("", "empty"), (";6035A10000000000=4912?", "bad_character"), (";1111111111111111111=222222222222222222?", "too_long"),
                              (";6035710000000000=4912", "missing_end_sentinel"), ("%E?;E?", "read_error_track")] {
            let (s, l) = try decode(["--kind", "magstripe", "--text", input])
            #expect(s == 1)
            #expect((l.first?["error"] as? [String: Any])?["code"] as? String == code, "\(input)")
        }
    }

    @Test func recordedEvdevStreamsWithLayouts() throws {
        let dir = try TemporaryDirectory()
        try Data(usEvents(";6035710000000000=49121200?")).write(to: URL(fileURLWithPath: dir.file("swipe.evdev")))
        let (ok, lines) = try decode(["--evdev", dir.file("swipe.evdev")])
        #expect(ok == 0)
        #expect((lines.first?["cardInfo"] as? [String: String])?["trackInfo"] == "603571******0000=********")
        let (bad, mismatch) = try decode(["--evdev", dir.file("swipe.evdev"), "--layout", "de"])
        #expect(bad == 1)
        let err = mismatch.first?["error"] as? [String: Any]
        #expect(err?["code"] as? String == "layout_mismatch")
        #expect((err?["message"] as? String)?.contains("'us'") == true)
    }

    @Test func recordedMagTekHIDReports() throws {
        let dir = try TemporaryDirectory()
        let reports = MagTekHIDReport.make(track2: ";6035710000000000=49121200?") + MagTekHIDReport.make(errors: [true, true, false])
        try Data(reports).write(to: URL(fileURLWithPath: dir.file("magtek.bin")))
        let (status, lines) = try decode(["--hidraw-magtek", dir.file("magtek.bin")])
        #expect(status == 1)
        #expect(lines.count == 2)
        #expect(lines[0]["masked"] as? String == "603571******0000")
        #expect((lines[1]["error"] as? [String: Any])?["code"] as? String == "read_error_track")
    }
}

/// US key codes for the characters of a track 2 swipe.
func usEvents(_ text: String) -> [UInt8] {
    let codes: [Character: (UInt16, Bool)] = [
        ";": (39, false), "=": (13, false), "?": (53, true), "1": (2, false), "2": (3, false), "3": (4, false), "4": (5, false),
        "5": (6, false), "6": (7, false), "7": (8, false), "8": (9, false), "9": (10, false), "0": (11, false),
    ]
    var bytes: [UInt8] = []
    var t: Int64 = 0
    func key(_ code: UInt16, _ value: Int32) {
        bytes += InputEvent(seconds: 1, microseconds: t, type: 1, code: code, value: value).bytes
        bytes += InputEvent(seconds: 1, microseconds: t, type: 0, code: 0, value: 0).bytes
    }
    for c in text {
        let (code, shift) = codes[c]!
        if shift { key(42, 1) }
        key(code, 1)
        key(code, 0)
        if shift { key(42, 0) }
        t += 3_000
    }
    key(28, 1)
    key(28, 0)
    return bytes
}

