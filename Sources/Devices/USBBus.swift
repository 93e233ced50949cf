import CLibUSB

/// A USB device as libusb sees it on the bus.
public struct USBDeviceSummary: Sendable, Equatable, Codable {
    public var bus: Int
    public var address: Int
    public var vendorId: String
    public var productId: String
    /// Interface classes of the first configuration (7 = printer, 3 = HID, 2/10 = CDC).
    public var interfaceClasses: [Int]

    public var isPrinter: Bool { interfaceClasses.contains(7) }
}

/// Lists USB devices through libusb (used where no kernel driver fits, and to show what is
/// plugged in).
public enum USBBus {
    public static func devices() -> [USBDeviceSummary] {
        var ctx: OpaquePointer?
        guard libusb_init(&ctx) == 0 else { return [] }
        defer { libusb_exit(ctx) }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(ctx, &list)
        guard count >= 0, let list else { return [] }
        defer { libusb_free_device_list(list, 1) }
        var out: [USBDeviceSummary] = []
        for i in 0..<Int(count) {
            guard let dev = list[i] else { continue }
            var desc = libusb_device_descriptor()
            guard libusb_get_device_descriptor(dev, &desc) == 0 else { continue }
            var classes: [Int] = []
            var config: UnsafeMutablePointer<libusb_config_descriptor>?
            if libusb_get_config_descriptor(dev, 0, &config) == 0, let config {
                for j in 0..<Int(config.pointee.bNumInterfaces) {
                    let iface = config.pointee.interface[j]
                    if iface.num_altsetting > 0 { classes.append(Int(iface.altsetting[0].bInterfaceClass)) }
                }
                libusb_free_config_descriptor(config)
            }
            out.append(USBDeviceSummary(
                bus: Int(libusb_get_bus_number(dev)), address: Int(libusb_get_device_address(dev)),
                vendorId: hex4(desc.idVendor), productId: hex4(desc.idProduct), interfaceClasses: classes))
        }
        return out
    }

    static func hex4(_ v: UInt16) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}
