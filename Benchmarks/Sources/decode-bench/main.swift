import CardReading
import Foundation

// Decoded card reads per second: each case goes from what a reader delivers to a `CardInfo`.
// Benchmarks/decode builds this in release and runs it; figures go to BENCHMARKS.md.
//
// Usage: decode-bench [rounds]
//   rounds  timed rounds of at least one second per case (default 5); the median is reported
//
// Prints a markdown table: case, reads/s, ns/read.

var rounds = 5
if CommandLine.arguments.count > 1 {
    guard let n = Int(CommandLine.arguments[1]), n > 0 else {
        FileHandle.standardError.write(Data("usage: decode-bench [rounds]\n".utf8))
        exit(2)
    }
    rounds = n
}

// MARK: - Inputs

let track2Swipe = ";6035710000000000=49121200?"
let twoTrackSwipe = "%B6035710000000000^GIFT/CARD^4912120000000000000?;6035710000000000=49121200?"
/// Code 128 with its AIM identifier `]C0`.
let code128Scan = "]C06006491000000000018"
/// GS1-128 (`]C1`): GTIN (AI 01, fixed length) then the card's serial (AI 21).
let gs1Scan = "]C1010950600013435221GC48217F3A"
let us = KeyboardLayout.named("us")!

/// A US keyboard as a wedge reader drives it: Linux key code, Shift, and the HID usage the
/// kernel reports beforehand in an `EV_MSC`/`MSC_SCAN` event. Only the keys a track 2 swipe uses.
let usKeys: [Character: (code: UInt16, shift: Bool, usage: Int32)] = [
    "1": (2, false, 0x1E), "2": (3, false, 0x1F), "3": (4, false, 0x20), "4": (5, false, 0x21),
    "5": (6, false, 0x22), "6": (7, false, 0x23), "7": (8, false, 0x24), "8": (9, false, 0x25),
    "9": (10, false, 0x26), "0": (11, false, 0x27), ";": (39, false, 0x33), "=": (13, false, 0x2E),
    "?": (53, true, 0x38),
]

/// The evdev stream (24-byte `input_event` records) a US-layout reader sends for `text` then
/// Enter: per key MSC_SCAN, EV_KEY press, SYN_REPORT, MSC_SCAN, EV_KEY release, SYN_REPORT, with
/// Left Shift around shifted characters, one key every 2 ms — what a recording from the device
/// node holds.
func evdevStream(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var time: Int64 = 1_763_700_000_000_000
    func key(_ code: UInt16, usage: Int32, _ value: Int32) {
        let (s, us) = (time / 1_000_000, time % 1_000_000)
        bytes += InputEvent(seconds: s, microseconds: us, type: 4, code: 4, value: 0x70000 | usage).bytes
        bytes += InputEvent(seconds: s, microseconds: us, type: InputEvent.evKey, code: code, value: value).bytes
        bytes += InputEvent(seconds: s, microseconds: us, type: InputEvent.evSyn, code: InputEvent.synReport, value: 0).bytes
    }
    func stroke(_ code: UInt16, usage: Int32, shift: Bool) {
        if shift { key(42, usage: 0xE1, 1) }
        key(code, usage: usage, 1)
        key(code, usage: usage, 0)
        if shift { key(42, usage: 0xE1, 0) }
        time += 2_000
    }
    for character in text {
        guard let k = usKeys[character] else { fatalError("no US key for \(character)") }
        stroke(k.code, usage: k.usage, shift: k.shift)
    }
    stroke(28, usage: 0x28, shift: false)  // Enter ends the read
    return bytes
}

let evdevRecording = evdevStream(track2Swipe)
let magTekReport = MagTekHIDReport.make(
    track1: "%B6035710000000000^GIFT/CARD^4912120000000000000?", track2: track2Swipe)

/// A shop rule for the GS1 case: the serial (AI 21) is the printed card number.
let gs1Normalizer: Normalizer = {
    do {
        return Normalizer(rules: [
            try NormalizationRule(symbologies: [.gs1_128], pattern: "^01[0-9]{14}21(.+)$", field: .printedCardNumber)
        ])
    } catch { fatalError("\(error)") }
}()

// MARK: - The pipelines

func fromSwipe(_ text: String) -> CardInfo? {
    guard case .success(let swipe) = MagstripeDecoder().decode(text) else { return nil }
    return try? swipe.cardInfo().get()
}

func fromBarcode(_ text: String, _ normalizer: Normalizer) -> CardInfo? {
    guard case .success(let read) = BarcodeDecoder().decode(text) else { return nil }
    return normalizer.cardInfo(for: read)
}

/// The wedge path as the daemon runs it: bytes from the device node → events → one assembler per
/// device (kept across reads) → decode on the configured layout.
var assembler = WedgeAssembler()
func fromEvdev(_ bytes: [UInt8], _ assembler: inout WedgeAssembler) -> CardInfo? {
    let (events, _) = InputEvent.parse(bytes)
    for output in assembler.feed(events) {
        guard case .read(let read) = output,
            case .success(let swipe) = MagstripeDecoder().decode(read, layout: us)
        else { continue }
        return try? swipe.cardInfo().get()
    }
    return nil
}

func fromMagTek(_ report: [UInt8]) -> CardInfo? {
    guard case .success(let swipe) = MagTekHIDReport.decode(report) else { return nil }
    return try? swipe.cardInfo().get()
}

struct Case {
    var name: String
    var read: () -> CardInfo?
}

let cases: [Case] = [
    Case(name: "track 2 string → MagstripeDecoder → Swipe → CardInfo") { fromSwipe(track2Swipe) },
    Case(name: "tracks 1 + 2 string → MagstripeDecoder → Swipe → CardInfo") { fromSwipe(twoTrackSwipe) },
    Case(name: "Code 128 with AIM `]C0` → BarcodeDecoder → Normalizer → CardInfo") { fromBarcode(code128Scan, Normalizer()) },
    Case(name: "GS1-128 `]C1` (AI 01 + 21) → BarcodeDecoder → Normalizer (1 regex rule) → CardInfo") { fromBarcode(gs1Scan, gs1Normalizer) },
    Case(name: "evdev stream, track 2 on US layout (\(evdevRecording.count / InputEvent.size) events) → InputEvent.parse → WedgeAssembler → MagstripeDecoder → CardInfo") {
        fromEvdev(evdevRecording, &assembler)
    },
    Case(name: "MagTek HID report (337 bytes, tracks 1 + 2) → MagTekHIDReport.decode → CardInfo") { fromMagTek(magTekReport) },
]

// Each case must give the card before it is timed.
let expected: [CardInfo] = [
    CardInfo(printedCardNumber: "6035710000000000", trackInfo: "6035710000000000=49121200"),
    CardInfo(printedCardNumber: "6035710000000000", trackInfo: "6035710000000000=49121200"),
    CardInfo(barcode: "6006491000000000018"),
    CardInfo(printedCardNumber: "GC48217F3A"),
    CardInfo(printedCardNumber: "6035710000000000", trackInfo: "6035710000000000=49121200"),
    CardInfo(printedCardNumber: "6035710000000000", trackInfo: "6035710000000000=49121200"),
]
for (c, card) in zip(cases, expected) {
    let got = c.read()
    guard got == card else {
        FileHandle.standardError.write(Data("\(c.name): got \(String(describing: got?.presentFields)), want \(card.presentFields)\n".utf8))
        exit(1)
    }
}

// MARK: - Measurement

/// Folds a result into the checksum, which is printed, so the optimiser cannot drop the work.
func fold(_ card: CardInfo?) -> Int {
    guard let card else { return 1 }
    return (card.trackInfo?.utf8.count ?? 0) &+ (card.printedCardNumber?.utf8.count ?? 0) &+ (card.barcode?.utf8.count ?? 0)
}

/// Runs `count` reads, folding each into `checksum`, and returns the seconds it took.
func timed(_ c: Case, _ count: Int, _ checksum: inout Int) -> Double {
    let start = ContinuousClock.now
    for _ in 0..<count { checksum &+= fold(c.read()) }
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

var checksum = 0
print("| read → CardInfo | reads/s | ns/read |")
print("|---|---:|---:|")
for c in cases {
    // Calibrate (and warm up): double until a batch takes 0.1 s, then rounds of at least 1 s.
    var calibration = 1_000
    while timed(c, calibration, &checksum) < 0.1 { calibration *= 2 }
    let perRead = timed(c, calibration, &checksum) / Double(calibration)
    let iterations = max(calibration, Int((1.1 / perRead).rounded(.up)))
    var rates: [Double] = []
    for _ in 0..<rounds { rates.append(Double(iterations) / timed(c, iterations, &checksum)) }
    let median = rates.sorted()[rates.count / 2]
    let readsPerSecond = Int(median.rounded()).formatted(.number.grouping(.automatic))
    print("| \(c.name) | \(readsPerSecond) | \(String(format: "%.0f", 1e9 / median)) |")
}
FileHandle.standardError.write(Data("decode-bench: \(rounds) rounds of ≥ 1 s per case, median; checksum \(checksum)\n".utf8))
