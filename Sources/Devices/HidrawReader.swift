#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CardReading

/// A reader on a `/dev/hidrawN` node: MagTek swipe readers in HID mode (one 337-byte report per
/// swipe, vendor page 0xFF00) and bar code scanners in HID POS mode (usage page 0x8C, laid out
/// by the device's report descriptor).
///
/// On a hidraw node every `read(2)` returns one report. A FIFO may stand in for the node
/// (recorded reports in tests); its bytes are cut into reports by the lengths the descriptor
/// gives, and the descriptor then comes from a file.
public final class HidrawReadSession: DeviceLoop.Session {
    public enum Kind: Sendable {
        case magtek
        /// A HID POS scanner; `descriptor` overrides the one the device reports (a file's bytes).
        case posScanner(descriptor: [UInt8]?)
    }

    public enum Output: Sendable, Equatable {
        /// A MagTek swipe report, 337 bytes.
        case magtekReport([UInt8])
        /// A whole scan as a keyboard-mode scanner would type it: AIM identifier, then data.
        case scan([UInt8])
        /// A report that fits no layout, or a scan over the length limit.
        case badReport(String)
    }

    public let fd: Int32
    private let isDevice: Bool
    private let path: String
    private let layout: Layout
    private var pending: [UInt8] = []
    private var assembler = HIDPOSAssembler()
    private let idleMs: Int32
    private let deliver: (Output) -> Void

    enum Layout {
        case magtek
        case pos(HIDPOSScanner, lengths: [UInt8: Int])
    }

    /// `_IOR('H', 0x01, int)`, `_IOR('H', 0x02, struct hidraw_report_descriptor)` (4 + 4096 bytes).
    static let HIDIOCGRDESCSIZE: UInt = 0x8004_4801
    static let HIDIOCGRDESC: UInt = 0x9004_4802

    public init(path: String, kind: Kind, idleTimeoutMilliseconds: Int32, deliver: @escaping (Output) -> Void) throws(SystemError) {
        let (fd, isDevice, rdev) = try openReaderNode(path, what: "a hidraw device")
        if isDevice && !Self.isHidraw(rdev) {
            Glibc.close(fd)
            throw SystemError("open", "\(path): not a hidraw device", errno: ENODEV)
        }
        switch kind {
        case .magtek:
            layout = .magtek
        case .posScanner(let override):
            let descriptor: [UInt8]
            if let override {
                descriptor = override
            } else if isDevice {
                do throws(SystemError) {
                    descriptor = try Self.reportDescriptor(fd: fd, path: path)
                } catch {
                    Glibc.close(fd)
                    throw error
                }
            } else {
                Glibc.close(fd)
                throw SystemError("open", "\(path): not a hidraw device and no report descriptor configured", errno: ENODEV)
            }
            do {
                let scanner = try HIDPOSScanner(descriptor: descriptor)
                let lengths = try HIDReportDescriptor.parse(descriptor).map(\.inputReportLengths).get()
                layout = .pos(scanner, lengths: lengths)
            } catch {
                Glibc.close(fd)
                throw SystemError("open", "\(path): \(error)", errno: ENODEV)
            }
        }
        self.fd = fd
        self.path = path
        self.isDevice = isDevice
        self.idleMs = idleTimeoutMilliseconds
        self.deliver = deliver
    }

    /// Whether a character device number belongs to the hidraw subsystem (sysfs says so).
    static func isHidraw(_ rdev: dev_t) -> Bool {
        // glibc's major()/minor() are macros: the same bit layout, spelled out.
        let dev = UInt64(rdev)
        let major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~UInt64(0xFFF))
        let minor = (dev & 0xFF) | ((dev >> 12) & ~UInt64(0xFF))
        let link = "/sys/dev/char/\(major):\(minor)/subsystem"
        var buffer = [CChar](repeating: 0, count: 512)
        let n = readlink(link, &buffer, buffer.count - 1)
        guard n > 0 else { return false }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self).hasSuffix("/hidraw")
    }

    /// The report descriptor the kernel holds for the device (`HIDIOCGRDESC`).
    static func reportDescriptor(fd: Int32, path: String) throws(SystemError) -> [UInt8] {
        var size: Int32 = 0
        guard ioctl(fd, HIDIOCGRDESCSIZE, &size) == 0 else { throw SystemError("ioctl(HIDIOCGRDESCSIZE)", path) }
        // struct hidraw_report_descriptor { __u32 size; __u8 value[4096]; }
        var buffer = [UInt8](repeating: 0, count: 4 + 4096)
        let n = UInt32(max(0, min(Int(size), 4096)))
        withUnsafeBytes(of: n) { buffer.replaceSubrange(0..<4, with: $0) }
        let rc = buffer.withUnsafeMutableBytes { ioctl(fd, HIDIOCGRDESC, $0.baseAddress!) }
        guard rc == 0 else { throw SystemError("ioctl(HIDIOCGRDESC)", path) }
        return Array(buffer[4..<(4 + Int(n))])
    }

    public var idleTimeoutMilliseconds: Int32? { assembler.hasPartialScan || !pending.isEmpty ? idleMs : nil }

    public func consume(_ bytes: UnsafeRawBufferPointer) {
        if isDevice {
            report(Array(bytes))
            return
        }
        pending += bytes
        while let length = nextReportLength(), pending.count >= length {
            report(Array(pending[0..<length]))
            pending.removeFirst(length)
        }
    }

    /// The length of the report at the head of `pending` (FIFO input), nil when unknown yet.
    private func nextReportLength() -> Int? {
        switch layout {
        case .magtek: return MagTekHIDReport.size
        case .pos(let scanner, let lengths):
            guard let first = pending.first else { return nil }
            if !scanner.usesReportIds { return lengths[0] }
            if let length = lengths[first] { return length }
            // An id the descriptor does not know: the rest cannot be cut; drop it.
            deliver(.badReport("report id \(first) is not in the report descriptor"))
            pending.removeAll()
            return nil
        }
    }

    private func report(_ bytes: [UInt8]) {
        switch layout {
        case .magtek:
            // Some firmware prefixes a report id 0; anything else of the wrong size is noise.
            if bytes.count == MagTekHIDReport.size {
                deliver(.magtekReport(bytes))
            } else if bytes.count == MagTekHIDReport.size + 1 {
                deliver(.magtekReport(Array(bytes.dropFirst())))
            } else {
                deliver(.badReport("a \(bytes.count)-byte report is not a MagTek swipe report (\(MagTekHIDReport.size) bytes)"))
            }
        case .pos(let scanner, _):
            guard let part = scanner.part(of: bytes) else { return }  // other reports (triggers, status)
            switch assembler.feed(part) {
            case .scan(let text): deliver(.scan(text))
            case .overflow: deliver(.badReport("a scan longer than \(HIDPOSAssembler.maximumLength) bytes"))
            case nil: break
            }
        }
    }

    public func idle() {
        if !pending.isEmpty {
            deliver(.badReport("a truncated report (\(pending.count) bytes)"))
            pending.removeAll()
        }
        switch assembler.flush() {
        case .scan(let text): deliver(.scan(text))
        case .overflow: deliver(.badReport("a scan longer than \(HIDPOSAssembler.maximumLength) bytes"))
        case nil: break
        }
    }

    public func close() {
        // Reports are card data: clear what is left.
        for i in pending.indices { pending[i] = 0 }
        pending.removeAll()
        _ = assembler.flush()
        Glibc.close(fd)
    }
}
