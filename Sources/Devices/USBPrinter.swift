import CLibUSB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A USB printer driven through libusb (`usb:04b8:0202`, optionally `?serial=…`): for printers
/// whose kernel driver does not fit (no usblp in the kernel, a vendor class interface, or a
/// printer that must be reached by its USB ids). For the length of a connection the printer
/// interface is claimed — usblp is detached from it and attached again when the connection
/// closes, so `/dev/usb/lp*` comes back for other users.
public struct USBPrinter: PrinterTransport {
    public let vendorId: UInt16
    public let productId: UInt16
    public let serial: String?
    public let writeTimeoutMs: Int32

    public var description: String { PrinterTarget.usb(vendorId: vendorId, productId: productId, serial: serial).description }

    public init(vendorId: UInt16, productId: UInt16, serial: String? = nil, writeTimeoutMs: Int32 = 10000) {
        self.vendorId = vendorId
        self.productId = productId
        self.serial = serial
        self.writeTimeoutMs = writeTimeoutMs
    }

    public func connect() throws(SystemError) -> PrinterConnection {
        PrinterConnection(link: try USBPrinterLink(printer: self), description: description)
    }
}

/// The process's libusb context, made on first use and kept: making one scans the bus.
nonisolated(unsafe) private let sharedUSBContext: Result<OpaquePointer?, SystemError> = {
    var ctx: OpaquePointer?
    let rc = libusb_init(&ctx)
    guard rc == 0 else { return .failure(usbError("libusb_init", "libusb", rc)) }
    return .success(ctx)
}()

/// A libusb error as a `SystemError` with the errno closest to it, so callers tell "unplugged"
/// (`isDisconnect`) and "timed out" apart exactly as for descriptors.
func usbError(_ call: String, _ subject: String, _ code: Int32) -> SystemError {
    let errno: Int32 = switch code {
    case LIBUSB_ERROR_NO_DEVICE.rawValue: ENODEV
    case LIBUSB_ERROR_NOT_FOUND.rawValue: ENOENT
    case LIBUSB_ERROR_ACCESS.rawValue: EACCES
    case LIBUSB_ERROR_BUSY.rawValue: EBUSY
    case LIBUSB_ERROR_TIMEOUT.rawValue: ETIMEDOUT
    case LIBUSB_ERROR_PIPE.rawValue: EPIPE
    case LIBUSB_ERROR_INTERRUPTED.rawValue: EINTR
    case LIBUSB_ERROR_NO_MEM.rawValue: ENOMEM
    case LIBUSB_ERROR_NOT_SUPPORTED.rawValue: ENOTSUP
    case LIBUSB_ERROR_INVALID_PARAM.rawValue: EINVAL
    default: EIO
    }
    let name = String(cString: libusb_error_name(code))
    return SystemError(call, "\(subject): \(name)", errno: errno)
}

/// One claimed printer interface: bulk OUT for the job, bulk IN (bidirectional printers) for
/// status replies, class requests for the port status and the IEEE 1284 device id.
final class USBPrinterLink: PrinterLink {
    private let handle: OpaquePointer
    private let interface: Int32
    private let altSetting: Int32
    private let outEndpoint: UInt8
    private let inEndpoint: UInt8?
    private let inPacketSize: Int
    private let description: String
    private let writeTimeoutMs: Int32
    /// Set when auto-detach is not available and usblp was detached by hand.
    private var reattach = false
    private var closed = false

    var canRead: Bool { inEndpoint != nil }

    init(printer: USBPrinter) throws(SystemError) {
        description = printer.description
        writeTimeoutMs = max(1, printer.writeTimeoutMs)
        let ctx = try sharedUSBContext.get()
        let (handle, found) = try Self.open(printer, ctx: ctx)
        self.handle = handle
        interface = found.interface
        altSetting = found.altSetting
        outEndpoint = found.outEndpoint
        inEndpoint = found.inEndpoint
        inPacketSize = max(64, found.inPacketSize)
        do throws(SystemError) {
            try claim()
        } catch {
            // `self` is whole by now, so deinit runs after this throw: it must not close again.
            closed = true
            libusb_close(handle)
            throw error
        }
    }

    deinit { close() }

    struct PrinterInterface {
        var interface: Int32
        var altSetting: Int32
        var outEndpoint: UInt8
        var inEndpoint: UInt8?
        var inPacketSize: Int
    }

    /// Finds the device by ids (and serial number) and its printer class interface, preferring
    /// a bidirectional alternate setting (protocol 2) so status can come back.
    private static func open(_ printer: USBPrinter, ctx: OpaquePointer?) throws(SystemError) -> (OpaquePointer, PrinterInterface) {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(ctx, &list)
        guard count >= 0, let list else { throw usbError("libusb_get_device_list", printer.description, Int32(count)) }
        defer { libusb_free_device_list(list, 1) }
        var lastError = SystemError("open", "\(printer.description): no such USB device", errno: ENOENT)
        for i in 0..<Int(count) {
            guard let dev = list[i] else { continue }
            var desc = libusb_device_descriptor()
            guard libusb_get_device_descriptor(dev, &desc) == 0,
                  desc.idVendor == printer.vendorId, desc.idProduct == printer.productId else { continue }
            guard let found = printerInterface(dev) else {
                lastError = SystemError("open", "\(printer.description): the device has no printer interface with a bulk OUT endpoint", errno: ENODEV)
                continue
            }
            var handle: OpaquePointer?
            let rc = libusb_open(dev, &handle)
            guard rc == 0, let handle else {
                lastError = usbError("libusb_open", printer.description, rc)
                continue
            }
            if let wanted = printer.serial {
                guard desc.iSerialNumber != 0, stringDescriptor(handle, index: desc.iSerialNumber) == wanted else {
                    libusb_close(handle)
                    lastError = SystemError("open", "\(printer.description): no device with that serial number", errno: ENOENT)
                    continue
                }
            }
            return (handle, found)
        }
        throw lastError
    }

    private static func printerInterface(_ dev: OpaquePointer) -> PrinterInterface? {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(dev, &config) == 0 || libusb_get_config_descriptor(dev, 0, &config) == 0,
              let config else { return nil }
        defer { libusb_free_config_descriptor(config) }
        var best: (PrinterInterface, UInt8)?
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let iface = config.pointee.interface[i]
            for a in 0..<Int(iface.num_altsetting) {
                let alt = iface.altsetting[a]
                guard alt.bInterfaceClass == 7 else { continue }
                var out: UInt8?
                var inEP: UInt8?
                var inSize = 64
                for e in 0..<Int(alt.bNumEndpoints) {
                    let ep = alt.endpoint[e]
                    guard ep.bmAttributes & 0x03 == 0x02 else { continue }   // bulk
                    if ep.bEndpointAddress & 0x80 != 0 {
                        if inEP == nil { inEP = ep.bEndpointAddress; inSize = Int(ep.wMaxPacketSize) }
                    } else if out == nil {
                        out = ep.bEndpointAddress
                    }
                }
                guard let out else { continue }
                // Protocol 2 (bidirectional) beats 1 (unidirectional); vendor protocols last.
                let rank: UInt8 = switch alt.bInterfaceProtocol { case 2: 3; case 1: 2; default: 1 }
                let candidate = PrinterInterface(
                    interface: Int32(alt.bInterfaceNumber), altSetting: Int32(alt.bAlternateSetting),
                    outEndpoint: out, inEndpoint: alt.bInterfaceProtocol == 1 ? nil : inEP, inPacketSize: inSize)
                if best == nil || rank > best!.1 { best = (candidate, rank) }
            }
        }
        return best?.0
    }

    private static func stringDescriptor(_ handle: OpaquePointer, index: UInt8) -> String? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = libusb_get_string_descriptor_ascii(handle, index, &buf, Int32(buf.count))
        guard n > 0 else { return nil }
        return String(decoding: buf[..<Int(n)], as: UTF8.self)
    }

    private func claim() throws(SystemError) {
        if libusb_set_auto_detach_kernel_driver(handle, 1) != 0 {
            // No auto-detach on this platform: detach usblp by hand and attach it again on close.
            if libusb_kernel_driver_active(handle, interface) == 1 {
                let rc = libusb_detach_kernel_driver(handle, interface)
                guard rc == 0 else { throw usbError("libusb_detach_kernel_driver", description, rc) }
                reattach = true
            }
        }
        let rc = libusb_claim_interface(handle, interface)
        guard rc == 0 else {
            if reattach { _ = libusb_attach_kernel_driver(handle, interface) }
            throw usbError("libusb_claim_interface", description, rc)
        }
        if altSetting != 0 {
            let rc = libusb_set_interface_alt_setting(handle, interface, altSetting)
            guard rc == 0 else {
                release()
                throw usbError("libusb_set_interface_alt_setting", description, rc)
            }
        }
    }

    func write(_ bytes: [UInt8]) throws(SystemError) {
        // Chunks of 16 KiB; each must move within the write deadline (a printer that stalls
        // on paper-out NAKs until the deadline).
        var offset = 0
        while offset < bytes.count {
            let length = min(16384, bytes.count - offset)
            var moved: Int32 = 0
            var chunk = Array(bytes[offset..<offset + length])
            let rc = libusb_bulk_transfer(handle, outEndpoint, &chunk, Int32(length), &moved, UInt32(writeTimeoutMs))
            offset += Int(moved)
            if rc == LIBUSB_ERROR_PIPE.rawValue {
                // A halted endpoint: clear it once and go on with what is left.
                guard libusb_clear_halt(handle, outEndpoint) == 0 else { throw usbError("libusb_bulk_transfer", description, rc) }
                continue
            }
            guard rc == 0 else { throw usbError("libusb_bulk_transfer", description, rc) }
        }
    }

    func read(timeoutMs: Int32) throws(SystemError) -> [UInt8] {
        guard let inEndpoint else { return [] }
        // libusb takes 0 as "forever": "what is there now" is a short wait instead.
        let wait = UInt32(max(5, timeoutMs))
        var buf = [UInt8](repeating: 0, count: inPacketSize)
        var got: Int32 = 0
        let rc = libusb_bulk_transfer(handle, inEndpoint, &buf, Int32(buf.count), &got, wait)
        if rc == 0 || rc == LIBUSB_ERROR_TIMEOUT.rawValue { return Array(buf[..<Int(got)]) }
        throw usbError("libusb_bulk_transfer(in)", description, rc)
    }

    /// GET_PORT_STATUS (class request 1): one byte, IEEE 1284 status lines.
    func portStatus() -> UInt8? {
        var byte: UInt8 = 0
        let n = libusb_control_transfer(handle, 0xA1, 1, 0, UInt16(interface), &byte, 1, 1000)
        return n == 1 ? byte : nil
    }

    /// GET_DEVICE_ID (class request 0): a big-endian length, then the id text.
    func deviceID() -> String? {
        var buf = [UInt8](repeating: 0, count: 1024)
        let index = UInt16(interface) << 8 | UInt16(altSetting)
        let n = libusb_control_transfer(handle, 0xA1, 0, 0, index, &buf, UInt16(buf.count), 1000)
        guard n >= 2 else { return nil }
        return IEEE1284DeviceID.text(fromReply: Array(buf[..<Int(n)]))
    }

    func finish() throws(SystemError) {}

    private func release() {
        // Releasing re-attaches usblp when auto-detach detached it.
        _ = libusb_release_interface(handle, interface)
        if reattach { _ = libusb_attach_kernel_driver(handle, interface) }
    }

    func close() {
        guard !closed else { return }
        closed = true
        release()
        libusb_close(handle)
    }
}

/// The IEEE 1284 device id a printer reports: `KEY:value;` pairs such as
/// `MFG:EPSON;CMD:ESC/POS;MDL:TM-T88V;CLS:PRINTER;SN:…;`.
public struct IEEE1284DeviceID: Sendable, Equatable {
    public var fields: [(key: String, value: String)]

    public static func == (a: Self, b: Self) -> Bool { a.fields.elementsEqual(b.fields, by: { $0 == $1 }) }

    /// Parses the text; keys are case-insensitive in lookups. Malformed pairs are skipped.
    public init(_ text: String) {
        fields = text.split(separator: ";").compactMap { pair in
            guard let colon = pair.firstIndex(of: ":") else { return nil }
            let key = pair[..<colon].trimmingWhitespace()
            guard !key.isEmpty else { return nil }
            return (key, pair[pair.index(after: colon)...].trimmingWhitespace())
        }
    }

    public subscript(key: String) -> String? {
        let wanted = key.uppercased()
        return fields.first { $0.key.uppercased() == wanted }?.value
    }

    /// Manufacturer (`MFG` or `MANUFACTURER`).
    public var manufacturer: String? { self["MFG"] ?? self["MANUFACTURER"] }
    /// Model (`MDL` or `MODEL`).
    public var model: String? { self["MDL"] ?? self["MODEL"] }
    /// Command sets (`CMD` or `COMMAND SET`), e.g. `ESC/POS`.
    public var commandSets: [String] {
        (self["CMD"] ?? self["COMMAND SET"] ?? "").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// The text of a GET_DEVICE_ID reply: a two-byte big-endian length that counts itself, then
    /// the id. A length past the reply is cut to what came; nil when nothing printable is left.
    public static func text(fromReply reply: [UInt8]) -> String? {
        guard reply.count >= 2 else { return nil }
        let declared = Int(reply[0]) << 8 | Int(reply[1])
        let end = min(reply.count, max(2, declared))
        let body = reply[2..<end].prefix { $0 != 0 }
        guard !body.isEmpty, body.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: body, as: UTF8.self)
    }
}

private extension Substring {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
