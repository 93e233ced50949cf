#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CUdev
import Foundation

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

/// Device hot-plug events from the kernel (through udevd when it runs, so that by-id links and
/// permissions are in place before anyone is told). One thread sleeps in `poll(2)` on the
/// monitor's netlink socket; nothing runs while nothing is plugged.
public final class UdevMonitor: @unchecked Sendable {
    public struct Event: Sendable, Equatable {
        /// `add`, `remove`, `change`, `bind`, …
        public var action: String
        public var subsystem: String
        public var devnode: String?
        public var sysPath: String
        /// `usb_device`, `usb_interface`, … (nil for most subsystems).
        public var devtype: String?
        /// The uevent's `PRODUCT` of a USB device: `vid/pid/bcdDevice` in hex without leading zeros.
        public var product: String?

        public init(action: String, subsystem: String, devnode: String?, sysPath: String, devtype: String? = nil, product: String? = nil) {
            self.action = action
            self.subsystem = subsystem
            self.devnode = devnode
            self.sysPath = sysPath
            self.devtype = devtype
            self.product = product
        }

        /// Vendor and product ids from ``product``.
        public var usbIds: (vendor: UInt16, product: UInt16)? {
            guard let parts = product?.split(separator: "/"), parts.count >= 2,
                  let v = UInt16(parts[0], radix: 16), let p = UInt16(parts[1], radix: 16) else { return nil }
            return (v, p)
        }
    }

    /// `udev` (after udevd's rules) when udevd runs, else the raw `kernel` events.
    public let source: String
    private let udev: OpaquePointer
    private let monitor: OpaquePointer
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// Subsystems a reader or printer node can belong to.
    public static let subsystems = ["tty", "input", "hidraw", "usbmisc", "usb"]

    public init(subsystems: [String] = UdevMonitor.subsystems, source: String? = nil) throws(SystemError) {
        let src = source ?? (access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel")
        guard let udev = udev_new() else { throw SystemError("udev_new", "libudev", errno: ENOMEM) }
        guard let monitor = udev_monitor_new_from_netlink(udev, src) else {
            let e = errno
            udev_unref(udev)
            throw SystemError("udev_monitor_new_from_netlink", src, errno: e == 0 ? EPERM : e)
        }
        for s in subsystems { udev_monitor_filter_add_match_subsystem_devtype(monitor, s, nil) }
        let rc = udev_monitor_enable_receiving(monitor)
        guard rc >= 0 else {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw SystemError("udev_monitor_enable_receiving", src, errno: -rc)
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            let e = SystemError("pipe2", "udev monitor")
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw e
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        self.source = src
        self.udev = udev
        self.monitor = monitor
        self.wakeFD = fds[0]
        self.wakeWriteFD = fds[1]
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
        Glibc.close(wakeFD)
        Glibc.close(wakeWriteFD)
    }

    /// Calls `handler` on the monitor's thread for every event until ``stop()``.
    public func start(_ handler: @escaping @Sendable (Event) -> Void) {
        let t = Thread { [self] in
            let fd = udev_monitor_get_fd(monitor)
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            while true {
                fds[0].revents = 0
                fds[1].revents = 0
                let n = poll(&fds, 2, -1)
                if n < 0 && errno == EINTR { continue }
                if n < 0 || fds[1].revents != 0 { break }
                while let dev = udev_monitor_receive_device(monitor) {
                    let event = Event(
                        action: udev_device_get_action(dev).map { String(cString: $0) } ?? "",
                        subsystem: udev_device_get_subsystem(dev).map { String(cString: $0) } ?? "",
                        devnode: udev_device_get_devnode(dev).map { String(cString: $0) },
                        sysPath: udev_device_get_syspath(dev).map { String(cString: $0) } ?? "",
                        devtype: udev_device_get_devtype(dev).map { String(cString: $0) },
                        product: udev_device_get_property_value(dev, "PRODUCT").map { String(cString: $0) })
                    udev_device_unref(dev)
                    handler(event)
                }
            }
            finished.signal()
        }
        t.name = "udev-monitor"
        thread = t
        t.start()
    }

    public func stop() {
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
        if thread != nil {
            finished.wait()
            thread = nil
        }
    }
}

/// Which device a reader is: USB vendor and product id (hex), optionally its serial number, in
/// one subsystem. Matching reads sysfs through libudev, so it works with or without udevd.
public struct DeviceMatch: Sendable, Equatable, CustomStringConvertible {
    public var subsystem: String
    public var vendorId: String
    public var productId: String?
    public var serial: String?
    /// For composite devices: the USB interface number (`bInterfaceNumber`, e.g. "00").
    public var interface: String?

    public init(subsystem: String, vendorId: String, productId: String? = nil, serial: String? = nil, interface: String? = nil) {
        self.subsystem = subsystem
        self.vendorId = vendorId.lowercased()
        self.productId = productId?.lowercased()
        self.serial = serial
        self.interface = interface
    }

    public var description: String {
        var s = "\(subsystem) usb \(vendorId):\(productId ?? "*")"
        if let serial { s += " serial \(serial)" }
        if let interface { s += " interface \(interface)" }
        return s
    }

    /// The device nodes that match, sorted.
    public func devices() -> [String] {
        guard let udev = udev_new() else { return [] }
        defer { udev_unref(udev) }
        guard let e = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(e) }
        udev_enumerate_add_match_subsystem(e, subsystem)
        udev_enumerate_scan_devices(e)
        var found: [String] = []
        var entry = udev_enumerate_get_list_entry(e)
        while let item = entry {
            entry = udev_list_entry_get_next(item)
            guard let path = udev_list_entry_get_name(item), let dev = udev_device_new_from_syspath(udev, path) else { continue }
            defer { udev_device_unref(dev) }
            guard let node = udev_device_get_devnode(dev).map({ String(cString: $0) }) else { continue }
            // An input device has several nodes (event, mouse, js): readers are read by event node.
            if subsystem == "input" && !node.hasPrefix("/dev/input/event") { continue }
            if matches(dev) { found.append(node) }
        }
        return found.sorted()
    }

    func matches(_ dev: OpaquePointer) -> Bool {
        // The parent USB device carries the ids; the interface carries its number.
        guard let usb = udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device") else { return false }
        func attr(_ d: OpaquePointer, _ name: String) -> String? {
            udev_device_get_sysattr_value(d, name).map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        guard attr(usb, "idVendor")?.lowercased() == vendorId else { return false }
        if let productId, attr(usb, "idProduct")?.lowercased() != productId { return false }
        if let serial, attr(usb, "serial") != serial { return false }
        if let interface {
            guard let intf = udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_interface"),
                attr(intf, "bInterfaceNumber") == interface
            else { return false }
        }
        return true
    }

    /// The one node that matches, or why there is none.
    public func resolve() throws(SystemError) -> String {
        let nodes = devices()
        guard let first = nodes.first else { throw SystemError("match", "no device matches \(self)", errno: ENODEV) }
        return first
    }
}
