/// A cash drawer on a printer's drawer kick-out connector: which pin fires its solenoid, how long
/// the pulse is, and how its sensor switch reads (`DLE EOT 1` bit 2, connector pin 3).
public struct CashDrawer: Sendable, Equatable {
    /// Connector pin 2 (the usual first drawer) or pin 5 (a second drawer).
    public var pin: Int
    /// The pulse: on for `onMs`, then off for `offMs` before the next command (2 ms steps,
    /// 2–510 ms each).
    public var onMs: Int
    public var offMs: Int
    /// Whether pin 3 high means the drawer is open. Drawers are wired either way (OPOS drivers
    /// have the same setting); Epson's and emupos's default is high = open.
    public var openWhenHigh: Bool

    public init(pin: Int = 2, onMs: Int = 100, offMs: Int = 500, openWhenHigh: Bool = true) {
        self.pin = pin
        self.onMs = onMs
        self.offMs = offMs
        self.openWhenHigh = openWhenHigh
    }

    /// The pins a drawer can be on, and the pulse lengths `ESC p` can say.
    public static let pins = [2, 5]
    public static let pulseRange = 2...510

    /// `ESC p m t1 t2`: the kick.
    public var kick: [UInt8] {
        var w = ESCPOSWriter(profile: .generic80mm)
        w.kickDrawer(pin5: pin == 5, onMs: onMs, offMs: offMs)
        return w.bytes
    }

    /// Open or closed, from a status with a reply to `DLE EOT 1` (nil without one).
    public func isOpen(_ status: PrinterStatus) -> Bool? {
        status.drawerPin3High.map { $0 == openWhenHigh }
    }
}
