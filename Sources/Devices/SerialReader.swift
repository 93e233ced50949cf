#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CardReading

/// A reader on a serial line (magstripe or barcode over RS-232, USB serial or CDC-ACM): raw bytes
/// cut into reads by terminator or by the line going idle.
public final class SerialReadSession: DeviceLoop.Session {
    public let fd: Int32
    private let port: SerialPort
    private var framer: ReadFramer
    private let idleMs: Int32
    private let deliver: (ReadFramer.Output) -> Void

    public init(path: String, settings: SerialSettings, idleTimeoutMilliseconds: Int32, framer: ReadFramer, deliver: @escaping (ReadFramer.Output) -> Void) throws(SystemError) {
        port = try SerialPort(path: path, settings: settings)
        fd = port.fd
        self.framer = framer
        self.idleMs = idleTimeoutMilliseconds
        self.deliver = deliver
    }

    public var idleTimeoutMilliseconds: Int32? { framer.hasPartialRead ? idleMs : nil }

    public func consume(_ bytes: UnsafeRawBufferPointer) {
        for output in framer.feed(bytes) { deliver(output) }
    }

    public func idle() {
        if let output = framer.flush() { deliver(output) }
    }

    public func close() {
        _ = framer.flush()
    }
}
