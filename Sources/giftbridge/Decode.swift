import ArgumentParser
import CardReading
import Foundation
import NFC

/// `giftbridge decode`: runs the daemon's decoders on raw reader output, offline.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode raw reader output into CardInfo (offline; no daemon needed).",
        discussion: """
            Input: --text STRING (repeatable), --evdev FILE (a recorded stream of 24-byte input_event \
            records), --hidraw-magtek FILE (337-byte MagTek HID reports), --apdu-log FILE (a recorded \
            exchange with a contactless card or phone, docs/nfc.md), or standard input (one read per line). Prints one JSON object per read; a bad read \
            prints {"error": {"code", "message"}} and the exit code is 1. Card numbers, track data and \
            pass payloads are masked unless --reveal is given.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case auto, magstripe, barcode, vas }

    @Option(name: .long, help: "A read as text (repeatable).") var text: [String] = []
    @Option(name: .long, help: "A recorded evdev stream (24-byte input_event records).") var evdev: String?
    @Option(name: .customLong("hidraw-magtek"), help: "Recorded MagTek HID reports (337 bytes each).") var hidrawMagtek: String?
    @Option(name: .long, help: "The keyboard layout the reader types: \(KeyboardLayout.names.joined(separator: ", ")).") var layout = "us"
    @Option(name: .long, help: "What the reads are: auto (magstripe when they start with %, ; or +, else barcode), magstripe, barcode, vas.") var kind: Kind = .auto
    @Option(name: .long, help: "Whether the reader sends an LRC: absent, present, auto.") var lrc = "absent"
    @Option(name: .customLong("apdu-log"), help: "A recorded contactless exchange: lines '> APDU', '< answer', 'atr HEX', '!removed' (docs/nfc.md).") var apduLog: String?
    @Option(name: .customLong("vas-pass-type-id"), help: "With --apdu-log: the Apple pass type identifier asked for.") var vasPassTypeId: String?
    @Option(name: .customLong("vas-key-file"), help: "With --apdu-log: the merchant's PEM P-256 private key.") var vasKeyFile: String?
    @Option(name: .customLong("vas-url"), help: "With --apdu-log: the URL the terminal sent (URL-only mode, or with the pass request).") var vasURL: String?
    @Option(name: .customLong("vas-tolerance"), help: "With --apdu-log: check the pass timestamp against this machine's clock, allowing this many seconds (default: not checked).") var vasTolerance: Int64?
    @Flag(name: .long, help: "Print card numbers, track data and payloads in full (a technician's screen only).") var reveal = false

    func run() throws {
        guard let keyboard = KeyboardLayout.named(layout) else { throw ValidationError("--layout must be one of \(KeyboardLayout.names.joined(separator: ", "))") }
        guard let lrcMode = LRCMode(rawValue: lrc) else { throw ValidationError("--lrc must be absent, present or auto") }
        let magstripe = MagstripeDecoder(lrc: lrcMode)
        var failed = false
        func emit(_ object: [String: Any]) {
            if object["error"] != nil { failed = true }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if let path = apduLog {
            emit(try decodeAPDULog(path))
        } else if let path = hidrawMagtek {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("error: cannot read \(path)")
                throw ExitCode(66)
            }
            let bytes = Array(data)
            if bytes.count % MagTekHIDReport.size != 0 {
                emit(error("too_long", "the file is not a whole number of 337-byte reports"))
            }
            for start in stride(from: 0, to: bytes.count - bytes.count % MagTekHIDReport.size, by: MagTekHIDReport.size) {
                switch MagTekHIDReport.decode(Array(bytes[start..<(start + MagTekHIDReport.size)])) {
                case .success(let swipe): emit(describe(swipe, warnings: []))
                case .failure(let e): emit(error(e.reasonCode, e.description))
                }
            }
        } else if let evdev {
            guard let data = FileManager.default.contents(atPath: evdev) else {
                printError("error: cannot read \(evdev)")
                throw ExitCode(66)
            }
            var assembler = WedgeAssembler()
            var reads: [WedgeRead] = []
            for output in assembler.feed(InputEvent.parse(Array(data)).events) {
                switch output {
                case .read(let r): reads.append(r)
                case .overflow: emit(error("too_long", "a read was longer than 512 key presses"))
                case .keysLost: emit(error("keys_lost", "the recording has SYN_DROPPED: key events were lost; that read is dropped"))
                }
            }
            if let last = assembler.flush() { reads.append(last) }
            for read in reads {
                var warnings: [String] = []
                if read.looksTypedByHand() { warnings.append("typed_by_hand: keys came slower than a reader types") }
                let text = read.text(keyboard)
                // A swipe typed on another layout is still a swipe (reported as layout_mismatch).
                let swipeLike = KeyboardLayout.names.contains { name in
                    KeyboardLayout.named(name).map { MagstripeDecoder.looksLikeSwipe(read.text($0)) } ?? false
                }
                if kind == .barcode || (kind == .auto && !swipeLike) {
                    emit(decodeBarcode(text, warnings: warnings))
                } else {
                    switch magstripe.decode(read, layout: keyboard) {
                    case .success(let swipe): emit(describe(swipe, warnings: warnings))
                    case .failure(let e): emit(error(e.reasonCode, e.description))
                    }
                }
            }
        } else {
            var inputs = text
            if inputs.isEmpty {
                while let line = Swift.readLine(strippingNewline: true) { inputs.append(line) }
            }
            for input in inputs {
                switch kind {
                case .vas:
                    switch WalletPassDecoder().decode(Array(input.utf8)) {
                    case .success(let pass):
                        emit(["kind": "vas", "walletKind": pass.kind.rawValue, "cardInfo": cardInfoJSON(pass.cardInfo), "warnings": [String]()])
                    case .failure(let e): emit(error(e.reasonCode, "not a wallet pass read (\(e))"))
                    }
                case .barcode: emit(decodeBarcode(input, warnings: []))
                case .magstripe, .auto:
                    if kind == .auto && !MagstripeDecoder.looksLikeSwipe(input) {
                        emit(decodeBarcode(input, warnings: []))
                        continue
                    }
                    switch magstripe.decode(input) {
                    case .success(let swipe): emit(describe(swipe, warnings: []))
                    case .failure(let e): emit(error(e.reasonCode, e.description))
                    }
                }
            }
        }
        if failed { throw ExitCode(1) }
    }

    func error(_ code: String, _ message: String) -> [String: Any] { ["error": ["code": code, "message": message]] }

    /// Replays a recorded exchange through the reading logic the daemon runs on a PC/SC reader.
    func decodeAPDULog(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("error: cannot read \(path)")
            throw ExitCode(66)
        }
        let log: APDULog
        switch APDULog.parse(String(decoding: data, as: UTF8.self)) {
        case .success(let l): log = l
        case .failure(let e): return error("bad_apdu_log", "\(path): \(e)")
        }
        var merchants: [VASMerchant] = []
        if let id = vasPassTypeId {
            guard let keyFile = vasKeyFile, let pem = FileManager.default.contents(atPath: keyFile) else {
                throw ValidationError("--vas-pass-type-id needs --vas-key-file with a readable PEM P-256 private key")
            }
            do { merchants.append(try VASMerchant(passTypeId: id, pem: String(decoding: pem, as: UTF8.self))) } catch {
                throw ValidationError("--vas-key-file: \(error)")
            }
        }
        let reader = ContactlessReader(merchants: merchants, vasURL: vasURL, timestampToleranceSeconds: vasTolerance ?? Int64.max / 2)
        let channel = ReplayChannel(log)
        let read: NFCRead
        switch reader.read(atr: log.atr, channel: channel, now: Date()) {
        case .success(let r): read = r
        case .failure(let e): return error(e.reasonCode, e.description)
        }
        var out: [String: Any] = ["summary": NFCCard.summary(read)]
        switch read {
        case .tag(let tag):
            out["kind"] = "nfc"
            out["tagType"] = tag.kind.rawValue
            out["uid"] = tag.uid.map { reveal ? Hex.string($0) : NFCCard.maskedUID($0) } ?? NSNull()
            out["records"] = tag.records.map { r -> [String: Any] in
                switch r {
                case .text(let t, let lang): ["type": "text", "language": lang, "text": reveal ? t : "<\(t.count) characters>"]
                case .uri(let u): ["type": "uri", "uri": reveal ? u : "<\(u.count) characters>"]
                }
            }
        case .vasPass(let id, let message):
            out["kind"] = "vas"
            out["passTypeId"] = id
            out["timestamp"] = ISO8601DateFormatter().string(from: message.date)
            out["messageLength"] = message.message.count
        case .vasURLOnly: out["kind"] = "vas.url-only"
        case .vasNoPass: out["kind"] = "vas.no-pass"
        }
        if let card = NFCCard.cardInfo(read, normalizer: Normalizer()) {
            var json = cardInfoJSON(card)
            // An NFC record's URI or text carries the number: masked like one.
            if let v = card.barcode, !reveal || json["refused"] != nil { json["barcode"] = PAN.mask(v) }
            out["cardInfo"] = json
            out["masked"] = NFCCard.maskedNumber(card) ?? NSNull()
        }
        if !channel.isExhausted { out["warnings"] = ["the log has exchanges after the read was complete"] }
        return out
    }

    func describe(_ swipe: Swipe, warnings: [String]) -> [String: Any] {
        var out: [String: Any] = ["kind": "magstripe", "tracks": swipe.goodTracks]
        var w = warnings
        if swipe.track1 == .unreadable { w.append("track 1 unreadable") }
        if swipe.track2 == .unreadable { w.append("track 2 unreadable") }
        if case .ok(let t2) = swipe.track2, !t2.luhnValid { w.append("luhn: the account number fails the Luhn check (common for gift cards)") }
        switch swipe.cardInfo() {
        case .success(let card):
            out["cardInfo"] = cardInfoJSON(card)
            out["masked"] = card.maskedCardNumber ?? NSNull()
        case .failure(let e):
            return error(e.reasonCode, e.description)
        }
        out["warnings"] = w
        return out
    }

    func decodeBarcode(_ text: String, warnings: [String]) -> [String: Any] {
        switch BarcodeDecoder().decode(text) {
        case .success(let read):
            let card = Normalizer().cardInfo(for: read)
            var out: [String: Any] = ["kind": "barcode", "symbology": read.symbology.rawValue, "cardInfo": cardInfoJSON(card), "warnings": warnings]
            out["aim"] = read.aim ?? NSNull()
            if let gs1 = read.gs1 { out["gs1"] = gs1.map { ["ai": $0.ai, "value": $0.value] } }
            out["masked"] = read.data.count >= 12 && read.data.allSatisfy(\.isNumber) ? PAN.mask(read.data) : NSNull()
            return out
        case .failure(let e):
            return error(e.reasonCode, e.description)
        }
    }

    /// CardInfo as JSON; card data masked unless --reveal.
    func cardInfoJSON(_ c: CardInfo) -> [String: String] {
        var out: [String: String] = [:]
        // A payment card is never shown in full, not even on a technician's screen.
        let reveal: Bool
        do throws(CardRefusal) {
            try PaymentCardGuard().check(c)
            reveal = self.reveal
        } catch {
            reveal = false
            out["refused"] = error.code
        }
        func hide(_ s: String) -> String { reveal ? s : PAN.mask(s) }
        if let v = c.printedCardNumber { out["printedCardNumber"] = hide(v) }
        if let v = c.trackInfo {
            if reveal {
                out["trackInfo"] = v
            } else {
                let pan = v.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                out["trackInfo"] = PAN.mask(pan) + "=" + String(repeating: "*", count: max(0, v.count - pan.count - 1))
            }
        }
        if let v = c.barcode { out["barcode"] = v.count >= 12 && v.allSatisfy(\.isNumber) ? hide(v) : v }
        if let v = c.phoneNumber { out["phoneNumber"] = v }
        if let v = c.accountToken { out["accountToken"] = reveal ? v : "<\(v.count) characters>" }
        if let v = c.appleNfcVasPayload { out["appleNfcVasPayload"] = reveal ? v : "<\(v.count) base64 characters>" }
        if let v = c.googleNfcVasPayload { out["googleNfcVasPayload"] = reveal ? v : "<\(v.count) base64 characters>" }
        return out
    }
}
