import ESCPOS
import Foundation

// Receipts encoded per second with ESCPOSWriter: the reference balance receipt of research note
// §4.4, the same one Benchmarks/python-escpos-receipt.py builds with python-escpos 3.1 (keep the
// two in step). Benchmarks/receipt-vs-python-escpos runs both and prints the comparison.
//
// Usage: escpos-bench [--out FILE] [--template] [rounds]
//   --out FILE   write one receipt's bytes to FILE
//   --template   instead, the daemon's balance receipt (giftbridge-bench's) through its built-in
//                template (docs/receipt-templates.md): what the template engine costs
//   rounds       timed rounds of at least one second each (default 5); the median is reported
//
// Prints one line: tool=giftbridge config=ESCPOSWriter receipts_per_s=… us_per_receipt=… bytes=…

/// The 14 lines between the title and the balance, and the 10 after it.
let headerLines = [
    "12 Market Street, 10115 Berlin",
    "Tel +49 30 1234567",
    "Date: 2026-11-21  Time: 14:32",
    "Terminal: T1  Clerk: Anna",
    "Receipt no. 000482",
    "Card: **** **** **** 4821",
    "Card type: Gift card",
    "Status: Active",
    "Currency: EUR",
    "Previous balance: €60.00",
    "Redeemed: -€20.00",
    "Not redeemable for cash.",
    "Lost cards cannot be replaced.",
    "Valid in all our stores.",
]
let footerLines = [
    "Valid until: 2029-11-21",
    "Last used: 2026-11-21 14:32",
    "Thank you for shopping with us!",
    "VAT ID DE123456789",
    "Returns within 30 days with receipt.",
    "Gift cards are not refundable.",
    "Balance online: example.com/gc",
    "Questions? help@example.com",
    "Opening hours: Mon-Sat 9-20",
    "Scan the code to check your balance:",
]
let balance = "BALANCE:  €40.00"
let underlined = "Balance in EUR incl. VAT"
let qrURL = "https://example.com/gc/4821?b=40.00"
let cardID = "GC-4821-7F3A-9B2C"

/// One receipt on a fresh writer, as the daemon encodes one receipt per print request.
func receipt() -> [UInt8] {
    var w = ESCPOSWriter(profile: .epsonTMT88V)
    w.initialize()
    w.align(.center)
    w.bold(true)
    w.size(width: 2, height: 2)
    w.line("GIFT SHOP")
    w.size()
    w.bold(false)
    w.line("Gift Card Balance")
    w.align(.left)
    for line in headerLines { w.line(line) }
    w.bold(true)
    w.size(width: 1, height: 2)
    w.line(balance)
    w.size()
    w.bold(false)
    w.underline(1)
    w.line(underlined)
    w.underline(0)
    for line in footerLines { w.line(line) }
    w.align(.center)
    // python-escpos's default error correction is L; the same here, so both store the same symbol.
    do { try w.qr(qrURL, size: 6, errorCorrection: .low) } catch { fatalError("QR: \(error)") }
    w.line(cardID)
    w.line()
    w.line()
    // python-escpos's cut() is ESC d 6 then GS V 0; the same paper here is ESC d 6 then
    // GS V 65 0 (cut with no extra feed), the writer's only cut command.
    w.feed(lines: 6)
    w.cut(.full, feedDots: 0)
    return w.bytes
}

/// The balance receipt giftbridge-bench encodes, laid out by the built-in balance template.
let templated = BalanceReceipt(
    shopName: "GIFT SHOP", headerLines: ["1 Example Street", "Springfield", "Tel 555-0100"], footerLines: ["Thank you!", "VAT ID DE123456789"],
    maskedCardNumber: "603571******0000", balance: "€40.00", cardStatus: nil, printedAt: "2026-11-21 10:00", terminal: "T1")

// MARK: - Arguments

var outPath: String?
var rounds = 5
var templateFlag = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--out", let path = arguments.popFirst() {
        outPath = path
    } else if argument == "--template" {
        templateFlag = true
    } else if let n = Int(argument), n > 0 {
        rounds = n
    } else {
        FileHandle.standardError.write(Data("usage: escpos-bench [--out FILE] [--template] [rounds]\n".utf8))
        exit(2)
    }
}

// MARK: - Measurement

let template = templateFlag
func encode() -> [UInt8] { template ? templated.encode(profile: .epsonTMT88V) : receipt() }

let one = encode()
if let outPath {
    guard FileManager.default.createFile(atPath: outPath, contents: Data(one)) else {
        FileHandle.standardError.write(Data("cannot write \(outPath)\n".utf8))
        exit(1)
    }
}

/// Every receipt feeds this, and it is printed at the end, so the optimiser cannot drop the work.
var checksum = 0

/// Encodes `count` receipts, folding each into `checksum`, and returns the seconds it took.
func timed(_ count: Int, _ checksum: inout Int) -> Double {
    let start = ContinuousClock.now
    for _ in 0..<count {
        let bytes = encode()
        checksum &+= bytes.count &+ Int(bytes[bytes.count / 2])
    }
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

// Calibrate: double the batch until it runs for 0.1 s (this also warms caches and the
// allocator), then size every round to last at least one second.
var calibration = 1_000
while timed(calibration, &checksum) < 0.1 { calibration *= 2 }
let perReceipt = timed(calibration, &checksum) / Double(calibration)
let iterations = max(calibration, Int((1.1 / perReceipt).rounded(.up)))

var rates: [Double] = []
for _ in 0..<rounds {
    rates.append(Double(iterations) / timed(iterations, &checksum))
}
let median = rates.sorted()[rates.count / 2]

print(
    "tool=giftbridge config=\(template ? "BalanceReceipt-template" : "ESCPOSWriter") receipts_per_s=\(String(format: "%.1f", median))"
        + " us_per_receipt=\(String(format: "%.2f", 1e6 / median)) bytes=\(one.count)"
        + " runs=\(rates.map { String(format: "%.0f", $0) }.joined(separator: ","))"
        + " iterations=\(iterations) checksum=\(checksum)")
