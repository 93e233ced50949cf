import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// `api.idle-timeout-seconds`: a connection that sends half a request, or sits idle between
/// requests, is closed; the event stream (a response in progress) is not.
@Suite struct ConnectionTimeoutTests {
    /// A raw connection to the socket.
    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard rc == 0 else { throw TestFailure("connect: errno \(errno)") }
        return fd
    }

    /// Seconds until the server closes `fd` (reads and drops what comes), nil if it stays open.
    static func secondsUntilClosed(_ fd: Int32, within limit: Double) -> Double? {
        let start = Date()
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(start) < limit {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            if read(fd, &buf, buf.count) <= 0 { return Date().timeIntervalSince(start) }
        }
        return nil
    }

    @Test func halfRequestsAndIdleConnectionsAreClosedStreamsAreNot() throws {
        let dir = try TemporaryDirectory()
        try "api:\n  idle-timeout-seconds: 1\nswipe:\n  action: none\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        try daemon.waitUntilReady()
        let socket = dir.file("s/api.sock")
        let stream = EventRecorder(socket: socket)
        try stream.waitUntilOpen()

        // Half a request head, then nothing.
        let half = try Self.connect(socket)
        defer { close(half) }
        _ = "GET /v1/health HTTP/1.1\r\nHost: giftbridge\r\n".withCString { write(half, $0, strlen($0)) }
        // A whole request, answered, then the connection left idle.
        let idle = try Self.connect(socket)
        defer { close(idle) }
        _ = "GET /v1/health HTTP/1.1\r\nHost: giftbridge\r\n\r\n".withCString { write(idle, $0, strlen($0)) }

        let halfClosed = Self.secondsUntilClosed(half, within: 5)
        let idleClosed = Self.secondsUntilClosed(idle, within: 5)
        #expect(halfClosed != nil, "a half-sent request kept its connection")
        #expect(idleClosed != nil, "an idle connection was kept")

        // The event stream has been quiet for longer than the timeout and still delivers.
        #expect(try UnixHTTPClient(socketPath: socket).post("/v1/simulate/swipe", json: Array(#"{"text":";6035710000000000=49121200?"}"#.utf8)).status == 202)
        let event = try stream.next("card.read")
        #expect(event.data.contains("603571"))
        #expect(try daemon.terminate().status == 0)
    }

    /// Both timeouts: the idle one and the request deadline (HTTPFramingTests).
    @Test(arguments: ["api.idle-timeout-seconds", "api.request-deadline-seconds"])
    func theTimeoutIsChecked(key: String) throws {
        let dir = try TemporaryDirectory()
        try "api:\n  \(key.dropFirst("api.".count)): 0\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let (status, log) = try DaemonProcess.runToExit(arguments: ["--demo", "--config", dir.file("c.yaml"), "--state-dir", dir.file("s")], dir: dir)
        #expect(status == 78)
        #expect(log.contains(key))
    }
}
