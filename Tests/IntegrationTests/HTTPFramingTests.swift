#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// Raw bytes on a real connection to the daemon: requests that are not well-formed HTTP/1.1
/// are answered 400 `malformed_request` and the connection closed (never a 5xx); a body that
/// trickles in is cut off at `api.request-deadline-seconds` with 408 `request_timeout`, while
/// the event stream lives on.
@Suite struct HTTPFramingTests {
    /// What came back on a raw connection until the server closed it (or `limit` passed).
    struct Exchange {
        var text: String
        var closed: Bool
        var seconds: Double

        var status: Int { Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0 }
        var headers: String { (text.components(separatedBy: "\r\n\r\n").first ?? "").lowercased() }
        var code: String? {
            let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            return (json(body)["error"] as? [String: Any])?["code"] as? String
        }
    }

    /// Sends `parts` with `pause` seconds between them (stopping early if the server closes),
    /// half-closes when `halfClose`, and reads until the server closes.
    static func exchange(_ socket: String, _ parts: [String], pause: Double = 0, halfClose: Bool = false, limit: Double = 10) throws -> Exchange {
        try exchange(on: ConnectionTimeoutTests.connect(socket), parts, pause: pause, halfClose: halfClose, limit: limit)
    }

    /// A raw loopback TCP connection to `port`.
    static func connectTCP(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw TestFailure("connect 127.0.0.1:\(port): errno \(errno)") }
        return fd
    }

    /// The exchange on a connected `fd`, which it closes.
    static func exchange(on fd: Int32, _ parts: [String], pause: Double = 0, halfClose: Bool = false, limit: Double = 10) throws -> Exchange {
        defer { close(fd) }
        let start = Date()
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var closed = false
        /// Reads what is there within `seconds`; true once the server has closed.
        func drain(_ seconds: Double) -> Bool {
            let until = Date().addingTimeInterval(seconds)
            repeat {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 20) > 0 else { continue }
                let n = read(fd, &buf, buf.count)
                if n <= 0 { return true }
                received += buf[0..<n]
            } while Date() < until
            return false
        }
        for (i, part) in parts.enumerated() {
            if i > 0 && pause > 0, drain(pause) { closed = true; break }
            let sent = part.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            if sent < 0 { break }
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        if !closed { closed = drain(limit) }
        return Exchange(text: String(decoding: received, as: UTF8.self), closed: closed, seconds: Date().timeIntervalSince(start))
    }

    static let post = "POST /v1/gift/balance HTTP/1.1\r\nHost: giftbridge\r\nContent-Type: application/json\r\n"
    static let chunked = post + "Transfer-Encoding: chunked\r\n\r\n"

    @Test func framingErrorsAreAnswered400AndTheConnectionClosed() throws {
        let dir = try TemporaryDirectory()
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let socket = dir.file("s/api.sock")
        let body = #"{"cardInfo":{"printedCardNumber":"6035710000000000"}}"#
        let cases: [(String, [String], Bool)] = [
            ("a chunk size that is not hex", [Self.chunked + "zz\r\n" + body + "\r\n0\r\n\r\n"], false),
            ("a chunk without its CRLF", [Self.chunked + "5\r\n{\"car" + "XX" + "0\r\n\r\n"], false),
            ("junk in a chunk extension", [Self.chunked + "5;\u{01}\u{7f}=\"\r\n{\"car\r\n0\r\n\r\n"], false),
            ("a body shorter than Content-Length, then EOF", [Self.post + "Content-Length: 200\r\n\r\n" + body], true),
            ("half a request head, then EOF", ["GET /v1/health HTTP/1.1\r\nHost: gift"], true),
            ("a bad request line", ["GET /v1/health HTTP/1.1 extra\u{01}\r\nHost: giftbridge\r\n\r\n"], false),
            ("a bad header", ["GET /v1/health HTTP/1.1\r\nHost giftbridge\r\n\r\n"], false),
            ("two Content-Lengths", [Self.post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n{}"], false),
            ("a bad request line after a good request on the same connection", ["GET /v1/health HTTP/1.1\r\nHost: giftbridge\r\n\r\nNOT HTTP\u{01}\r\n\r\n"], false),
            ("a bad chunk after a good request on the same connection", ["GET /v1/health HTTP/1.1\r\nHost: giftbridge\r\n\r\n" + Self.chunked + "zz\r\n"], false),
        ]
        for (what, parts, halfClose) in cases {
            let reply = try Self.exchange(socket, parts, halfClose: halfClose)
            // The last response on the connection is the 400 (a good request before it is
            // answered 200 first).
            let last = Exchange(text: reply.text.components(separatedBy: "HTTP/1.1 ").last.map { "HTTP/1.1 " + $0 } ?? "", closed: reply.closed, seconds: reply.seconds)
            #expect(last.status == 400, "\(what): \(reply.text)")
            #expect(last.code == "malformed_request", "\(what): \(reply.text)")
            #expect(last.headers.contains("content-type: application/json"), "\(what): \(reply.text)")
            #expect(last.headers.contains("connection: close"), "\(what): \(reply.text)")
            #expect(reply.closed, "\(what): the connection stayed open")
            #expect(!reply.text.contains("HTTP/1.1 5"), "\(what): \(reply.text)")
        }
        // A route that does not read its body has answered before the bad chunk comes: no 5xx,
        // and the connection is closed.
        let health = try Self.exchange(socket, ["GET /v1/health HTTP/1.1\r\nHost: giftbridge\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])
        #expect(!health.text.contains("HTTP/1.1 5"), "\(health.text)")
        #expect(health.closed)
        // A half-close after a whole request is not an error.
        let whole = try Self.exchange(socket, [Self.post + "Content-Length: \(body.utf8.count)\r\n\r\n" + body], halfClose: true)
        #expect(whole.status == 200, "\(whole.text)")

        // The daemon is fine, and nothing reached the catch-all.
        #expect(try UnixHTTPClient(socketPath: socket).get("/v1/health").status == 200)
        #expect(!daemon.log.contains("unhandled error"), "\(daemon.log)")
        #expect(try daemon.terminate().status == 0)
    }

    @Test func aTricklingBodyIsCutOffAtTheDeadlineTheEventStreamIsNot() throws {
        let dir = try TemporaryDirectory()
        try "api:\n  request-deadline-seconds: 2\n  idle-timeout-seconds: 5\nswipe:\n  action: none\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let socket = dir.file("s/api.sock")
        let stream = EventRecorder(socket: socket)
        try stream.waitUntilOpen()

        // One byte every 0.5 s: the idle timeout (5 s) never passes, the deadline (2 s) does.
        let body = #"{"cardInfo":{"printedCardNumber":"6035710000000000"}}"#
        let trickle = try Self.exchange(socket, [Self.post + "Content-Length: \(body.utf8.count)\r\n\r\n"] + body.map { String($0) }, pause: 0.5)
        #expect(trickle.status == 408, "\(trickle.text)")
        #expect(trickle.code == "request_timeout", "\(trickle.text)")
        #expect(trickle.headers.contains("connection: close"), "\(trickle.text)")
        #expect(trickle.closed)
        #expect(trickle.seconds >= 1.9 && trickle.seconds < 4, "cut off after \(trickle.seconds) s")
        // The same over chunks.
        let chunks = try Self.exchange(socket, [Self.chunked] + body.map { "1\r\n\($0)\r\n" }, pause: 0.5)
        #expect(chunks.status == 408, "\(chunks.text)")
        #expect(chunks.closed)

        // A body that comes at once is not affected, and the event stream, open for longer than
        // the deadline, still delivers.
        #expect(try UnixHTTPClient(socketPath: socket).post("/v1/gift/balance", json: Array(body.utf8)).status == 200)
        #expect(try UnixHTTPClient(socketPath: socket).post("/v1/simulate/swipe", json: Array(#"{"text":";6035710000000000=49121200?"}"#.utf8)).status == 202)
        #expect(try stream.next("card.read").data.contains("603571"))
        #expect(!daemon.log.contains("unhandled error"), "\(daemon.log)")
        #expect(try daemon.terminate().status == 0)
    }
}
