import Foundation
import Testing
import TestSupport

/// The optional loopback TCP listener for browser-based POS: bearer token, CORS for the
/// configured origins, `access_token` for `EventSource`, the peer recorded as its address.
@Suite(.serialized) struct TCPListenerTests {
    static let token = String(repeating: "7f3a9c", count: 8)
    static let curlPath = "/usr/bin/curl"

    /// A port nobody listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// curl's status line, headers and body.
    func curl(_ args: [String]) throws -> (status: Int, headers: String, body: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.curlPath)
        p.arguments = ["-s", "-i", "--max-time", "5"] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head.lowercased(), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// A token file as the daemon wants it: readable by its owner only (0600) or `mode`.
    static func writeToken(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        guard chmod(path, mode) == 0 else { throw TestFailure("chmod \(path): errno \(errno)") }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: curlPath)))
    func tokenCORSAndPeerAddress() throws {
        let dir = try TemporaryDirectory()
        let port = Self.freePort()
        try Self.writeToken(Self.token + "\n", to: dir.file("token"))
        try """
        api:
          tcp:
            listen: 127.0.0.1:\(port)
            token-file: \(dir.file("token"))
            cors-origins: [http://localhost:3000]
        """.write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let base = "http://127.0.0.1:\(port)"
        // The TCP listener comes up beside the socket; give it a moment.
        var health = try curl(["-H", "Authorization: Bearer \(Self.token)", base + "/v1/health"])
        for _ in 0..<50 where health.status == 0 {
            usleep(100_000)
            health = try curl(["-H", "Authorization: Bearer \(Self.token)", base + "/v1/health"])
        }
        #expect(health.status == 200)
        #expect(json(health.body)["status"] != nil)

        let none = try curl([base + "/v1/health"])
        #expect(none.status == 401)
        #expect(none.headers.contains("www-authenticate: bearer"))
        #expect((json(none.body)["error"] as? [String: Any])?["code"] as? String == "unauthorized")
        let wrong = try curl(["-H", "Authorization: Bearer \(Self.token.dropLast())x", base + "/v1/health"])
        #expect(wrong.status == 401)

        // A page from an allowed origin: preflight without a token, then the call.
        let preflight = try curl(["-X", "OPTIONS", "-H", "Origin: http://localhost:3000", "-H", "Access-Control-Request-Method: POST", base + "/v1/gift/balance"])
        #expect(preflight.status == 204)
        #expect(preflight.headers.contains("access-control-allow-origin: http://localhost:3000"))
        #expect(preflight.headers.contains("access-control-allow-headers: authorization"))
        #expect(!preflight.headers.contains("access-control-allow-private-network"))
        // Chrome's Private Network Access preflight (a public page calling loopback): allowed
        // origins get the permission, others nothing but the refusal.
        let pna = try curl([
            "-X", "OPTIONS", "-H", "Origin: http://localhost:3000", "-H", "Access-Control-Request-Method: GET",
            "-H", "Access-Control-Request-Private-Network: true", base + "/v1/events",
        ])
        #expect(pna.status == 204)
        #expect(pna.headers.contains("access-control-allow-private-network: true"))
        let foreignPNA = try curl([
            "-X", "OPTIONS", "-H", "Origin: https://evil.example", "-H", "Access-Control-Request-Method: GET",
            "-H", "Access-Control-Request-Private-Network: true", base + "/v1/events",
        ])
        #expect(foreignPNA.status == 403)
        #expect(!foreignPNA.headers.contains("access-control-allow-private-network"))
        let fromPage = try curl(["-H", "Origin: http://localhost:3000", "-H", "Authorization: Bearer \(Self.token)", base + "/v1/health"])
        #expect(fromPage.status == 200)
        #expect(fromPage.headers.contains("access-control-allow-origin: http://localhost:3000"))
        // Any other origin is refused, token or not.
        let foreign = try curl(["-H", "Origin: https://evil.example", "-H", "Authorization: Bearer \(Self.token)", base + "/v1/health"])
        #expect(foreign.status == 403)
        #expect((json(foreign.body)["error"] as? [String: Any])?["code"] as? String == "origin_not_allowed")

        // EventSource cannot send headers: the token may come as a query parameter there only.
        let events = try curl(["--max-time", "1", base + "/v1/events?access_token=\(Self.token)"])
        #expect(events.status == 200)
        #expect(events.headers.contains("content-type: text/event-stream"))
        #expect(try curl([base + "/v1/health?access_token=\(Self.token)"]).status == 401)

        // A booking over TCP records the peer's address.
        let redeem = try curl([
            "-H", "Authorization: Bearer \(Self.token)", "-H", "Content-Type: application/json",
            "-d", #"{"cardInfo":{"printedCardNumber":"6035710000000000"},"amount":100}"#, base + "/v1/gift/redeem",
        ])
        #expect(redeem.status == 200)
        let id = try #require(json(redeem.body)["transactionId"] as? Int)
        let fetched = try curl(["-H", "Authorization: Bearer \(Self.token)", base + "/v1/transactions/\(id)"])
        #expect((json(fetched.body)["requestedBy"] as? String)?.hasPrefix("tcp 127.0.0.1:") == true)

        // Framing errors on the TCP listener too: 400 with the JSON error, then closed.
        let garbage = try HTTPFramingTests.exchange(on: HTTPFramingTests.connectTCP(port), ["NOT HTTP\u{01}\r\n\r\n"])
        #expect(garbage.status == 400 && garbage.code == "malformed_request" && garbage.closed, "\(garbage.text)")
        let badChunk = try HTTPFramingTests.exchange(on: HTTPFramingTests.connectTCP(port), [
            "POST /v1/gift/balance HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.token)\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ])
        #expect(badChunk.status == 400 && badChunk.code == "malformed_request" && badChunk.closed, "\(badChunk.text)")
        #expect(try daemon.terminate().status == 0)
    }

    @Test func listenerSettingsAreChecked() throws {
        let dir = try TemporaryDirectory()
        try Self.writeToken("short\n", to: dir.file("short"))
        try Self.writeToken(Self.token + "\n", to: dir.file("token"))
        try Self.writeToken(Self.token + "\n", to: dir.file("token-0644"), mode: 0o644)
        try Self.writeToken(Self.token + "\n", to: dir.file("token-0620"), mode: 0o620)
        let cases: [(String, String)] = [
            ("listen: 0.0.0.0:8765\n    token-file: \(dir.file("token"))", "not a loopback address"),
            // Only IP literals, read with inet_pton: no short forms, no host names.
            ("listen: 127.1:8765\n    token-file: \(dir.file("token"))", "configuration key 'api.tcp.listen': '127.1' is not an IP address"),
            ("listen: 127.evil.example:8765\n    token-file: \(dir.file("token"))", "configuration key 'api.tcp.listen': '127.evil.example' is not an IP address"),
            ("listen: localhost:8765\n    token-file: \(dir.file("token"))", "configuration key 'api.tcp.listen'"),
            ("listen: '[::ffff:127.0.0.1]:8765'\n    token-file: \(dir.file("token"))", "not a loopback address"),
            ("listen: 127.0.0.1:http\n    token-file: \(dir.file("token"))", "configuration key 'api.tcp.listen'"),
            // The token file: not world-readable, not group- or world-writable.
            ("listen: 127.0.0.1:8765\n    token-file: \(dir.file("token-0644"))", "\(dir.file("token-0644")) has mode 0644"),
            ("listen: 127.0.0.1:8765\n    token-file: \(dir.file("token-0620"))", "\(dir.file("token-0620")) has mode 0620"),
            ("listen: 127.0.0.1:8765", "api.tcp.token-file"),
            ("listen: 127.0.0.1:8765\n    token-file: \(dir.file("short"))", "at least 32"),
            ("listen: 127.0.0.1\n    token-file: \(dir.file("token"))", "HOST:PORT"),
            ("listen: 127.0.0.1:8765\n    token-file: \(dir.file("token"))\n    cors-origins: [http://x.example/path]", "api.tcp.cors-origins"),
        ]
        for (i, (settings, message)) in cases.enumerated() {
            try "api:\n  tcp:\n    \(settings)\n".write(toFile: dir.file("c\(i).yaml"), atomically: true, encoding: .utf8)
            let (status, log) = try DaemonProcess.runToExit(arguments: ["--demo", "--config", dir.file("c\(i).yaml"), "--state-dir", dir.file("s\(i)")], dir: dir)
            #expect(status == 78, "\(settings): \(log)")
            #expect(log.contains(message), "\(settings): \(log)")
            #expect(!log.contains(Self.token))
        }
    }
}
