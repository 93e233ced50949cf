#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CUdev

/// What udev knows about a device node: USB ids, serial number, the by-id name.
public struct UdevInfo: Sendable, Equatable, Codable {
    public var subsystem: String?
    public var sysPath: String?
    public var vendorId: String?
    public var productId: String?
    public var vendor: String?
    public var model: String?
    public var serial: String?
    public var driver: String?

    /// Looks up the device behind a character device node, or nil when udev has no record of it
    /// (pseudo-terminals, for one, are not in sysfs).
    public static func lookup(devicePath: String) -> UdevInfo? {
        var st = stat()
        guard stat(devicePath, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR else { return nil }
        guard let udev = udev_new() else { return nil }
        defer { udev_unref(udev) }
        guard let dev = udev_device_new_from_devnum(udev, Int8(UInt8(ascii: "c")), st.st_rdev) else { return nil }
        defer { udev_device_unref(dev) }
        func property(_ name: String) -> String? {
            udev_device_get_property_value(dev, name).map { String(cString: $0) }
        }
        return UdevInfo(
            subsystem: udev_device_get_subsystem(dev).map { String(cString: $0) },
            sysPath: udev_device_get_syspath(dev).map { String(cString: $0) },
            vendorId: property("ID_VENDOR_ID"), productId: property("ID_MODEL_ID"),
            vendor: property("ID_VENDOR"), model: property("ID_MODEL"),
            serial: property("ID_SERIAL_SHORT"), driver: property("ID_USB_DRIVER"))
    }
}
