// libFuzzer entry point for the card decoders (CardReading is pure Swift with no dependencies,
// so scripts/fuzz compiles its sources straight into one fuzzer binary). Every input goes
// through every decoder; any crash, hang or sanitizer report is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    for mode in LRCMode.allCases { _ = MagstripeDecoder(lrc: mode).decode(text) }
    _ = BarcodeDecoder(prefix: "@", suffix: "!").decode(text)
    _ = WalletPassDecoder(separator: "|").decode(bytes)
    if bytes.count >= MagTekHIDReport.size { _ = MagTekHIDReport.decode(Array(bytes.prefix(MagTekHIDReport.size))) }
    var framer = ReadFramer(maximumLength: 64)
    _ = framer.feed(bytes)
    _ = framer.flush()
    var wedge = WedgeAssembler(maximumStrokes: 64)
    for output in wedge.feed(InputEvent.parse(bytes).events) {
        if case .read(let read) = output {
            for name in KeyboardLayout.names { _ = MagstripeDecoder().decode(read, layout: KeyboardLayout.named(name)!) }
        }
    }
    _ = wedge.flush()
    // The input as a HID report descriptor, and as reports for a known scanner layout.
    if let scanner = try? HIDPOSScanner(descriptor: bytes) { _ = scanner.part(of: bytes) }
    if let part = posScanner?.part(of: bytes) {
        var assembler = HIDPOSAssembler()
        _ = assembler.feed(part)
        _ = assembler.flush()
    }
    _ = CardInfo(printedCardNumber: text).maskedCardNumber
    _ = PAN.luhnValid(text)
    return 0
}

/// A scanner layout like Honeywell's (report 2: length, AIM, 56 data bytes, code id, flags).
let posScanner = try? HIDPOSScanner(descriptor: [
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
    0x95, 0x01, 0x09, 0x00, 0x81, 0x02, 0x95, 0x03, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,
    0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01, 0x06, 0x66, 0xFF, 0x95, 0x02, 0x09, 0x04, 0x09, 0x00, 0x81, 0x02,
    0x05, 0x8C, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x09, 0xFF, 0x81, 0x02, 0xC0, 0xC0,
])
