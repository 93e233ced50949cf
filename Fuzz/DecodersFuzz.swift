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
    _ = CardInfo(printedCardNumber: text).maskedCardNumber
    _ = PAN.luhnValid(text)
    return 0
}
