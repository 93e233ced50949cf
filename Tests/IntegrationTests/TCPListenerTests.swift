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

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: curlPath)))
    func tokenCORSAndPeerAddress() throws {
        let dir = try TemporaryDirectory()
        let port = Self.freePort()
        try (Self.token + "\n").write(toFile: dir.file("token"), atomically: true, encoding: .utf8)
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
        #expect(try daemon.terminate().status == 0)
    }

    @Test func listenerSettingsAreChecked() throws {
        let dir = try TemporaryDirectory()
        try "short\n".write(toFile: dir.file("short"), atomically: true, encoding: .utf8)
        try (Self.token + "\n").write(toFile: dir.file("token"), atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            ("listen: 0.0.0.0:8765\n    token-file: \(dir.file("token"))", "not a loopback address"),
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
