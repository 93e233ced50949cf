#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CardReading

/// A keyboard-wedge reader on its own evdev node (`/dev/input/event*`, or the
/// `/dev/giftbridge/...` name udev gives it): the node is grabbed (EVIOCGRAB), so its key
/// presses go to giftbridge only and never into whatever window has the focus; 24-byte
/// `input_event` records are assembled into reads.
///
/// A FIFO may stand in for the node (recorded event streams in tests); only character devices
/// are grabbed.
public final class EvdevReadSession: DeviceLoop.Session {
    public let fd: Int32
    private var assembler: WedgeAssembler
    private var pending: [UInt8] = []
    private let idleMs: Int32
    private let grabbed: Bool
    private let deliver: (WedgeAssembler.Output) -> Void

    /// `_IOW('E', 0x90, int)`.
    static let EVIOCGRAB: UInt = 0x4004_4590

    public init(path: String, idleTimeoutMilliseconds: Int32, assembler: WedgeAssembler = WedgeAssembler(), deliver: @escaping (WedgeAssembler.Output) -> Void) throws(SystemError) {
        let (fd, isDevice, _) = try openReaderNode(path, what: "an input device")
        if isDevice {
            var one: Int32 = 1
            guard ioctl(fd, Self.EVIOCGRAB, &one) == 0 else {
                // EBUSY: another program (an X server, a second giftbridged) holds the grab.
                let e = SystemError("ioctl(EVIOCGRAB)", path)
                Glibc.close(fd)
                throw e
            }
        }
        self.fd = fd
        self.grabbed = isDevice
        self.assembler = assembler
        self.idleMs = idleTimeoutMilliseconds
        self.deliver = deliver
    }

    public var idleTimeoutMilliseconds: Int32? { assembler.hasPartialRead ? idleMs : nil }

    public func consume(_ bytes: UnsafeRawBufferPointer) {
        pending += bytes
        let (events, used) = InputEvent.parse(pending)
        pending.removeFirst(used)
        for output in assembler.feed(events) { deliver(output) }
    }

    public func idle() {
        if let read = assembler.flush() { deliver(.read(read)) }
    }

    public func close() {
        _ = assembler.flush()  // a half read at unplug is dropped, never guessed at
        if grabbed {
            var zero: Int32 = 0
            _ = ioctl(fd, Self.EVIOCGRAB, &zero)
        }
        Glibc.close(fd)
    }
}
