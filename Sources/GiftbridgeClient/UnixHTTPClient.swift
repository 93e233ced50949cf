#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Why a call to the daemon failed before an HTTP answer came.
public enum ClientError: Error, Equatable, CustomStringConvertible {
    /// No daemon listens on the socket (missing file, or refused).
    case daemonNotRunning(socket: String, why: String)
    /// The socket exists but this user may not use it.
    case permissionDenied(socket: String)
    case timedOut
    case protocolError(String)

    public var description: String {
        switch self {
        case .daemonNotRunning(let socket, let why): "giftbridged is not reachable at \(socket) (\(why)); is it running? (--socket or GIFTBRIDGE_SOCKET choose another socket)"
        case .permissionDenied(let socket): "permission denied on \(socket); the socket is for the giftbridge group"
        case .timedOut: "the daemon did not answer in time"
        case .protocolError(let why): "unexpected answer from the daemon: \(why)"
        }
    }
}

/// An HTTP response: status, lower-cased headers, body.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The `{"error": {"code", "message"}}` of a failed call, if the body has that shape.
    public var apiError: (code: String, message: String)? {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let err = obj["error"] as? [String: Any], let code = err["code"] as? String
        else { return nil }
        return (code, err["message"] as? String ?? "")
    }
}

/// A Server-Sent Event as received.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String
    public var data: String

    public init(id: String?, event: String, data: String) {
        self.id = id
        self.event = event
        self.data = data
    }
}

/// A small blocking HTTP/1.1 client for the daemon's Unix socket, with no dependencies, so the
/// command-line client starts fast. One connection per call.
public struct UnixHTTPClient: Sendable {
    public var socketPath: String
    public var timeoutMs: Int32

    public init(socketPath: String, timeoutMs: Int32 = 30_000) {
        self.socketPath = socketPath
        self.timeoutMs = timeoutMs
    }

    public func get(_ path: String) throws(ClientError) -> HTTPReply { try request("GET", path) }

    public func post(_ path: String, json: [UInt8]) throws(ClientError) -> HTTPReply {
        try request("POST", path, body: json, headers: ["Content-Type": "application/json"])
    }

    public func request(_ method: String, _ path: String, body: [UInt8] = [], headers: [String: String] = [:]) throws(ClientError) -> HTTPReply {
        let conn = try Connection(socketPath: socketPath)
        try conn.send(head(method, path, headers: headers, bodyLength: body.count) + body, timeoutMs: timeoutMs)
        var reader = ResponseReader(connection: conn, timeoutMs: timeoutMs)
        let (status, hdrs) = try reader.readHead()
        var out: [UInt8] = []
        try reader.readBody(headers: hdrs) { chunk in
            out += chunk
            return true
        }
        return HTTPReply(status: status, headers: hdrs, body: out)
    }

    /// Follows `GET /v1/events`, calling `onEvent` for each event until it returns false, the
    /// stream ends, or `deadline` (if any) passes. Returns the HTTP status of the stream.
    @discardableResult
    public func events(lastEventId: String? = nil, deadline: ContinuousClock.Instant? = nil, onOpen: () -> Void = {}, onEvent: (ServerSentEvent) -> Bool) throws(ClientError) -> Int {
        let conn = try Connection(socketPath: socketPath)
        var headers = ["Accept": "text/event-stream"]
        if let lastEventId { headers["Last-Event-ID"] = lastEventId }
        try conn.send(head("GET", "/v1/events", headers: headers, bodyLength: 0), timeoutMs: timeoutMs)
        var reader = ResponseReader(connection: conn, timeoutMs: timeoutMs, deadline: deadline, idleWaitForever: true)
        let (status, hdrs) = try reader.readHead()
        guard status == 200 else { return status }
        onOpen()
        var parser = SSEParser()
        do {
            try reader.readBody(headers: hdrs) { chunk in
                for event in parser.feed(chunk) where !onEvent(event) { return false }
                return true
            }
        } catch .timedOut where deadline != nil {
            return status
        }
        return status
    }

    private func head(_ method: String, _ path: String, headers: [String: String], bodyLength: Int) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: giftbridge\r\nConnection: close\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { text += "\(k): \(v)\r\n" }
        if bodyLength > 0 || method == "POST" { text += "Content-Length: \(bodyLength)\r\n" }
        return Array((text + "\r\n").utf8)
    }
}

/// A connected Unix stream socket.
final class Connection {
    let fd: Int32
    let socketPath: String

    init(socketPath: String) throws(ClientError) {
        self.socketPath = socketPath
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw .daemonNotRunning(socket: socketPath, why: "socket path too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .daemonNotRunning(socket: socketPath, why: String(cString: strerror(errno))) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            if e == EACCES { throw .permissionDenied(socket: socketPath) }
            throw .daemonNotRunning(socket: socketPath, why: String(cString: strerror(e)))
        }
        // Only a connected socket becomes the object's: deinit closes exactly what it owns.
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8], timeoutMs: Int32) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .protocolError("write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Reads what is there, waiting up to `timeoutMs` (-1: forever). Empty means end of stream.
    func receive(timeoutMs: Int32) throws(ClientError) -> [UInt8] {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&p, 1, timeoutMs)
            if r < 0 && errno == EINTR { continue }
            if r == 0 { throw .timedOut }
            break
        }
        var buf = [UInt8](repeating: 0, count: 16384)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw .protocolError("read: \(String(cString: strerror(errno)))") }
        return Array(buf[0..<n])
    }
}

/// Reads a response head and a body (Content-Length, chunked, or until close).
struct ResponseReader {
    let connection: Connection
    let timeoutMs: Int32
    var deadline: ContinuousClock.Instant?
    var idleWaitForever = false
    private var buffer: [UInt8] = []
    private var eof = false

    init(connection: Connection, timeoutMs: Int32, deadline: ContinuousClock.Instant? = nil, idleWaitForever: Bool = false) {
        self.connection = connection
        self.timeoutMs = timeoutMs
        self.deadline = deadline
        self.idleWaitForever = idleWaitForever
    }

    private mutating func fill(body: Bool) throws(ClientError) {
        var wait = timeoutMs
        if body && idleWaitForever { wait = -1 }
        if let deadline {
            let left = deadline - ContinuousClock.now
            let ms = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            if ms <= 0 { throw .timedOut }
            wait = wait < 0 ? ms : min(wait, ms)
        }
        let data = try connection.receive(timeoutMs: wait)
        if data.isEmpty { eof = true }
        buffer += data
    }

    mutating func readHead() throws(ClientError) -> (Int, [String: String]) {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw .protocolError("bad status line") }
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return (status, headers)
            }
            if eof { throw .protocolError("connection closed before the response head") }
            try fill(body: false)
        }
    }

    /// Hands body bytes to `sink` as they arrive; `sink` returns false to stop early.
    mutating func readBody(headers: [String: String], sink: ([UInt8]) -> Bool) throws(ClientError) {
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                guard let lineEnd = try line() else { throw .protocolError("truncated chunk") }
                let sizeText = String(decoding: lineEnd, as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw .protocolError("bad chunk size") }
                if size == 0 { return }
                while buffer.count < size + 2 {
                    if eof { throw .protocolError("truncated chunk") }
                    try fill(body: true)
                }
                let chunk = Array(buffer[0..<size])
                buffer.removeFirst(size + 2)
                if !sink(chunk) { return }
            }
        } else if let lengthText = headers["content-length"], let length = Int(lengthText) {
            while buffer.count < length {
                if eof { throw .protocolError("truncated body") }
                try fill(body: true)
            }
            _ = sink(Array(buffer[0..<length]))
        } else {
            while !eof { try fill(body: true) }
            _ = sink(buffer)
        }
    }

    private mutating func line() throws(ClientError) -> [UInt8]? {
        while true {
            if let end = find([13, 10]) {
                let l = Array(buffer[0..<end])
                buffer.removeFirst(end + 2)
                return l
            }
            if eof { return nil }
            try fill(body: true)
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] && Array(buffer[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}

/// Incremental `text/event-stream` parser.
struct SSEParser {
    private var pending: [UInt8] = []
    private var id: String?
    private var event = "message"
    private var data: [String] = []

    mutating func feed(_ bytes: [UInt8]) -> [ServerSentEvent] {
        pending += bytes
        var out: [ServerSentEvent] = []
        while let nl = pending.firstIndex(of: 10) {
            var line = String(decoding: pending[0..<nl], as: UTF8.self)
            pending.removeFirst(nl + 1)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty { out.append(ServerSentEvent(id: id, event: event, data: data.joined(separator: "\n"))) }
                event = "message"
                data = []
                continue
            }
            if line.hasPrefix(":") { continue }
            let (field, value): (Substring, Substring)
            if let colon = line.firstIndex(of: ":") {
                field = line[..<colon]
                var v = line[line.index(after: colon)...]
                if v.hasPrefix(" ") { v = v.dropFirst() }
                value = v
            } else {
                (field, value) = (Substring(line), "")
            }
            switch field {
            case "id": id = String(value)
            case "event": event = String(value)
            case "data": data.append(String(value))
            default: break
            }
        }
        return out
    }
}
