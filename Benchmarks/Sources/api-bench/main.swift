#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GiftbridgeClient
import Synchronization

// The daemon as POS software sees it: a real `giftbridged --demo` process, driven over its Unix
// socket. Benchmarks/api builds the release daemon and this bench and runs it; figures go to
// BENCHMARKS.md.
//
// Usage: api-bench --daemon PATH [--swipes N] [--stalled-swipes N] [--stalled K] [--rate R]
//                  [--seconds S] [--threads T] [--starts N] [--idle-seconds S] [--expiry-wait S]
//
// 1. ready time (process start → READY=1 on our NOTIFY_SOCKET), idle RSS, idle CPU and wakeups;
// 2. swipe → card.read at an SSE subscriber, and the bare GET /v1/health round trip;
// 3. (2) again with K subscribers that never read, next to a run of the same length without
//    them (each run after the previous run's read ids expired);
// 4. open-loop redeems at R requests/s for S seconds on a pool of keep-alive connections.
//
// Prints one markdown table; details go to stderr.

// MARK: - Options

struct Options {
    var daemon = ""
    var swipes = 2000
    var stalledSwipes = 5000
    var stalled = 5
    var rate = 500.0
    var seconds = 10.0
    var threads = 8
    var starts = 5
    var idleSeconds = 10.0
    var expiryWait = 31.0

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 1
        func value() -> String {
            i += 1
            guard i < args.count else { usage() }
            return args[i]
        }
        func int() -> Int { if let v = Int(value()) { return v }; usage() }
        func double() -> Double { if let v = Double(value()) { return v }; usage() }
        while i < args.count {
            switch args[i] {
            case "--daemon": o.daemon = value()
            case "--swipes": o.swipes = int()
            case "--stalled-swipes": o.stalledSwipes = int()
            case "--stalled": o.stalled = int()
            case "--rate": o.rate = double()
            case "--seconds": o.seconds = double()
            case "--threads": o.threads = int()
            case "--starts": o.starts = int()
            case "--idle-seconds": o.idleSeconds = double()
            case "--expiry-wait": o.expiryWait = double()
            default: usage()
            }
            i += 1
        }
        if o.daemon.isEmpty { usage() }
        return o
    }
}

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: api-bench --daemon PATH [--swipes N] [--stalled-swipes N] [--stalled K] [--rate R]
                         [--seconds S] [--threads T] [--starts N] [--idle-seconds S] [--expiry-wait S]

        """.utf8))
    exit(2)
}

func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

func fail(_ text: String) -> Never {
    note("api-bench: " + text)
    exit(1)
}

// MARK: - Time and statistics

/// CLOCK_MONOTONIC in nanoseconds.
@inline(__always) func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func sleep(until t: UInt64) {
    var ts = timespec(tv_sec: Int(t / 1_000_000_000), tv_nsec: Int(t % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
}

/// Nearest-rank percentile of sorted nanosecond samples.
func percentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

func ms(_ ns: UInt64) -> String { String(format: "%.3f", Double(ns) / 1e6) }

struct Latencies {
    var sorted: [UInt64]
    init(_ samples: [UInt64]) { sorted = samples.sorted() }
    var p50: UInt64 { percentile(sorted, 50) }
    var p99: UInt64 { percentile(sorted, 99) }
    var p999: UInt64 { percentile(sorted, 99.9) }
    var max: UInt64 { sorted.last ?? 0 }
    var summary: String { "p50 \(ms(p50)) · p99 \(ms(p99)) · max \(ms(max)) ms" }
}

// MARK: - Raw Unix-socket HTTP/1.1 with keep-alive

/// Calls `body` (connect or bind) with the `sockaddr_un` of `path`.
func withUnixAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { fail("socket path too long: \(path)") }
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}

/// One keep-alive connection to the daemon. `UnixHTTPClient` opens a connection per call and
/// parses generously; here the client's own cost must be small next to what is measured.
final class RawConnection {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var start = 0
    private var end = 0
    private(set) var bytesRead = 0

    init(path: String) {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { fail("socket: \(String(cString: strerror(errno)))") }
        let rc = withUnixAddress(path) { connect(fd, $0, $1) }
        guard rc == 0 else { fail("connect \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                fail("write: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Reads more into the buffer; false on end of stream or timeout.
    private func fill(timeoutMs: Int32) -> Bool {
        if start > 0 && start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            } else {
                buffer += [UInt8](repeating: 0, count: buffer.count)
            }
        }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&p, 1, timeoutMs)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { return false }
            break
        }
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
        if n <= 0 { return false }
        end += n
        bytesRead += n
        return true
    }

    private func findCRLF(from: Int, double: Bool) -> Int? {
        var i = from
        let need = double ? 4 : 2
        while i + need <= end {
            if buffer[i] == 13 && buffer[i + 1] == 10 && (!double || (buffer[i + 2] == 13 && buffer[i + 3] == 10)) { return i }
            i += 1
        }
        return nil
    }

    /// Reads one response (Content-Length or chunked); returns its status and body.
    func response(timeoutMs: Int32 = 10_000) -> (status: Int, body: [UInt8])? {
        var headEnd: Int?
        while true {
            headEnd = findCRLF(from: start, double: true)
            if headEnd != nil { break }
            if !fill(timeoutMs: timeoutMs) { return nil }
        }
        let head = String(decoding: buffer[start..<headEnd!], as: UTF8.self).lowercased()
        start = headEnd! + 4
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            if line.hasPrefix("content-length:") { length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) }
            if line.hasPrefix("transfer-encoding:") && line.contains("chunked") { chunked = true }
        }
        var body: [UInt8] = []
        if let length {
            while end - start < length { if !fill(timeoutMs: timeoutMs) { return nil } }
            body = Array(buffer[start..<(start + length)])
            start += length
        } else if chunked {
            while true {
                var lineEnd: Int?
                while true {
                    lineEnd = findCRLF(from: start, double: false)
                    if lineEnd != nil { break }
                    if !fill(timeoutMs: timeoutMs) { return nil }
                }
                let sizeText = String(decoding: buffer[start..<lineEnd!], as: UTF8.self)
                guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return nil }
                start = lineEnd! + 2
                while end - start < size + 2 { if !fill(timeoutMs: timeoutMs) { return nil } }
                body += buffer[start..<(start + size)]
                start += size + 2
                if size == 0 { break }
            }
        }
        return (status, body)
    }

    /// Reads the head of a streaming response (the event stream).
    func streamHead(timeoutMs: Int32 = 10_000) -> Int? {
        while true {
            if let headEnd = findCRLF(from: start, double: true) {
                let head = String(decoding: buffer[start..<headEnd], as: UTF8.self)
                start = headEnd + 4
                return Int(head.dropFirst(9).prefix(3))
            }
            if !fill(timeoutMs: timeoutMs) { return nil }
        }
    }

    /// Reads whatever arrives within `timeoutMs` and hands it over (already buffered bytes
    /// first); nil on end of stream or timeout.
    func nextBytes(timeoutMs: Int32) -> ArraySlice<UInt8>? {
        if start == end && !fill(timeoutMs: timeoutMs) { return nil }
        let out = buffer[start..<end]
        start = end
        return out
    }
}

func request(_ method: String, _ path: String, body: String? = nil, extra: String = "") -> [UInt8] {
    var text = "\(method) \(path) HTTP/1.1\r\nHost: giftbridge\r\n\(extra)"
    if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)" } else { text += "\r\n" }
    return Array(text.utf8)
}

/// Follows `GET /v1/events` on its own connection, counting `event: TYPE` lines as they arrive;
/// the caller polls it. Also remembers the last `id:` seen.
final class EventWatcher {
    let conn: RawConnection
    private let needle: [UInt8]
    private var matched = 0
    private(set) var count = 0
    private(set) var ended = false
    private var idDigits: [UInt8] = []
    private var idState = 0  // matched prefix of "\nid: ", then 5 = reading digits
    private(set) var lastId: UInt64 = 0
    private static let idNeedle = Array("\nid: ".utf8)

    /// Over a connection whose response head has been read already.
    init(conn: RawConnection, type: String) {
        self.conn = conn
        needle = Array("\nevent: \(type)\n".utf8)
    }

    convenience init(socket: String, type: String) {
        let conn = RawConnection(path: socket)
        conn.send(request("GET", "/v1/events", extra: "Accept: text/event-stream\r\n"))
        guard conn.streamHead() == 200 else { fail("GET /v1/events did not answer 200") }
        self.init(conn: conn, type: type)
    }

    /// Reads until `count` reaches `target`; false if it did not within `timeoutMs`.
    func wait(for target: Int, timeoutMs: Int32 = 10_000) -> Bool {
        while count < target {
            guard let bytes = conn.nextBytes(timeoutMs: timeoutMs) else { return false }
            scan(bytes)
        }
        return true
    }

    /// Reads what comes until `quietMs` passes without bytes or the stream ends (the final
    /// chunk `0\r\n\r\n`, or end of file).
    func drain(quietMs: Int32) {
        var tail: [UInt8] = []
        while let bytes = conn.nextBytes(timeoutMs: quietMs) {
            scan(bytes)
            tail = Array((tail + bytes).suffix(7))
            if tail.count >= 7 && Array(tail.suffix(7)) == Array("\r\n0\r\n\r\n".utf8) { ended = true; return }
        }
    }

    private func scan(_ bytes: ArraySlice<UInt8>) {
        for b in bytes {
            if b == needle[matched] {
                matched += 1
                if matched == needle.count { count += 1; matched = 0 }
            } else {
                matched = b == needle[0] ? 1 : 0
            }
            if idState == 5 {
                if b >= 48 && b <= 57 { idDigits.append(b) } else {
                    lastId = UInt64(String(decoding: idDigits, as: UTF8.self)) ?? lastId
                    idDigits = []
                    idState = 0
                }
            } else if b == Self.idNeedle[idState] {
                idState += 1
            } else {
                idState = b == Self.idNeedle[0] ? 1 : 0
            }
        }
    }
}

// MARK: - The daemon process

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifySocket {
    let fd: Int32
    let path: String

    init(path: String) {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        let rc = withUnixAddress(path) { bind(fd, $0, $1) }
        guard fd >= 0 && rc == 0 else { fail("notify socket \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    func receive(timeoutMs: Int32) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMs) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }
}

final class Daemon {
    let process = Process()
    let notify: NotifySocket
    let stateDir: String
    let socket: String
    let log: String
    /// Process start → READY=1, nanoseconds.
    private(set) var readyNs: UInt64 = 0

    var pid: Int32 { process.processIdentifier }

    init(binary: String, stateDir: String, home: String) {
        self.stateDir = stateDir
        socket = stateDir + "/api.sock"
        log = home + "/daemon.log"
        notify = NotifySocket(path: home + "/notify")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--demo", "--state-dir", stateDir, "--socket", socket]
        process.environment = [
            "HOME": home, "PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": notify.path,
            "GIFTBRIDGE_SWIPE_ACTION": "none",
        ]
        let out = FileHandle(forWritingAtPath: log)
        process.standardOutput = out
        process.standardError = out
        let t0 = now()
        do { try process.run() } catch { fail("cannot start \(binary): \(error)") }
        while true {
            guard let message = notify.receive(timeoutMs: 15_000) else {
                fail("giftbridged not ready in 15 s; its log:\n" + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
            }
            if message.split(separator: "\n").contains("READY=1") { break }
        }
        readyNs = now() - t0
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = now() + 10_000_000_000
        while process.isRunning && now() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

// MARK: - /proc

func readText(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

func statusField(_ status: String, _ name: String) -> Int {
    for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
        return Int(line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
    }
    return 0
}

/// utime + stime of the whole process (all threads), in clock ticks.
func cpuTicks(_ pid: Int32) -> Int {
    let stat = readText("/proc/\(pid)/stat")
    guard let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // fields[0] is field 3 (state); utime is field 14, stime 15.
    return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
}

/// Context switches (voluntary + involuntary) per thread: /proc/PID/status counts only the
/// main thread, so every task is read.
func contextSwitches(_ pid: Int32) -> [String: (name: String, switches: Int)] {
    var out: [String: (String, Int)] = [:]
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    for tid in tasks {
        let status = readText("/proc/\(pid)/task/\(tid)/status")
        let name = readText("/proc/\(pid)/task/\(tid)/comm").trimmingCharacters(in: .whitespacesAndNewlines)
        out[tid] = (name, statusField(status, "voluntary_ctxt_switches") + statusField(status, "nonvoluntary_ctxt_switches"))
    }
    return out
}

func rssKiB(_ pid: Int32) -> Int { statusField(readText("/proc/\(pid)/status"), "VmRSS") }

// MARK: - Measurements

func makeTemp(_ prefix: String) -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { fail("mkdtemp") }
    return String(cString: p)
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// One table row.
struct Row {
    var measure: String
    var value: String
    var budget: String
}

nonisolated(unsafe) var rows: [Row] = []

func row(_ measure: String, _ value: String, _ budget: String = "") {
    rows.append(Row(measure: measure, value: value, budget: budget))
    note("  \(measure): \(value)")
}

func median(_ xs: [UInt64]) -> UInt64 { xs.sorted()[xs.count / 2] }

/// Ready times: fresh state directories (the first start seeds the demo ledger and creates
/// the card key), then restarts on one existing state directory.
func measureReady(_ o: Options) {
    note("ready time: \(o.starts) starts on fresh state directories, \(o.starts) on an existing one")
    var fresh: [UInt64] = []
    for _ in 0..<o.starts {
        let home = makeTemp("gb-ready")
        let d = Daemon(binary: o.daemon, stateDir: home + "/state", home: home)
        fresh.append(d.readyNs)
        d.stop()
        removeTree(home)
    }
    let home = makeTemp("gb-ready")
    Daemon(binary: o.daemon, stateDir: home + "/state", home: home).stop()
    var again: [UInt64] = []
    for _ in 0..<o.starts {
        let d = Daemon(binary: o.daemon, stateDir: home + "/state", home: home)
        again.append(d.readyNs)
        d.stop()
    }
    removeTree(home)
    let range = { (xs: [UInt64]) in "\(ms(xs.min()!))–\(ms(xs.max()!))" }
    row("ready: process start → READY=1, existing state dir (median of \(o.starts); min–max)", "\(ms(median(again))) ms (\(range(again)) ms)", "≤ 200 ms")
    row("ready: first start, fresh state dir, seeds the demo ledger (median of \(o.starts); min–max)", "\(ms(median(fresh))) ms (\(range(fresh)) ms)", "")
}

func measureIdle(_ d: Daemon, _ o: Options) {
    note("idle: 3 s settle, then \(o.idleSeconds) s with nothing happening")
    usleep(3_000_000)
    let rss = rssKiB(d.pid)
    let t0 = cpuTicks(d.pid)
    let s0 = contextSwitches(d.pid)
    usleep(UInt32(o.idleSeconds * 1_000_000))
    let t1 = cpuTicks(d.pid)
    let s1 = contextSwitches(d.pid)
    var total = 0
    var byName: [String: Int] = [:]
    for (tid, after) in s1 {
        let delta = after.switches - (s0[tid]?.switches ?? 0)
        total += delta
        if delta > 0 { byName[after.name, default: 0] += delta }
    }
    let detail = byName.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    row("idle RSS (VmRSS after 3 s idle)", String(format: "%.1f MB (%d KiB), %d threads", Double(rss) / 1024, rss, s1.count), "≤ 20 MB")
    row("idle CPU over \(Int(o.idleSeconds)) s (utime+stime, all threads)", "\(t1 - t0) ticks (1 tick = \(1000 / sysconf(Int32(_SC_CLK_TCK))) ms)", "0")
    row("idle wakeups over \(Int(o.idleSeconds)) s (context switches, all threads)", total == 0 ? "0" : "\(total) (\(detail))", "0")
}

let swipeBody = #"{"text":";6035710000000000=49121200?"}"#

/// Swipe → card.read at `watcher`, one at a time on a keep-alive connection.
func swipeLatencies(_ socket: String, _ watcher: EventWatcher, count: Int) -> [UInt64] {
    let conn = RawConnection(path: socket)
    let req = request("POST", "/v1/simulate/swipe", body: swipeBody)
    var out: [UInt64] = []
    out.reserveCapacity(count)
    for i in 0..<count {
        let target = watcher.count + 1
        let t0 = now()
        conn.send(req)
        guard watcher.wait(for: target) else { fail("no card.read event for swipe \(i + 1) (subscriber ended: \(watcher.ended))") }
        let t1 = now()
        guard let r = conn.response(), r.status == 202 else { fail("simulate/swipe \(i + 1) did not answer 202") }
        out.append(t1 - t0)
    }
    return out
}

/// Round trips of `GET path` on a keep-alive connection, one at a time.
func roundTrips(_ socket: String, _ path: String, expect: Int, count: Int) -> [UInt64] {
    let conn = RawConnection(path: socket)
    let req = request("GET", path)
    var out: [UInt64] = []
    for _ in 0..<count {
        let t0 = now()
        conn.send(req)
        guard let r = conn.response(), r.status == expect else { fail("GET \(path) did not answer \(expect)") }
        out.append(now() - t0)
    }
    return out
}

func subscribers(_ socket: String) -> Int? {
    guard let r = try? UnixHTTPClient(socketPath: socket, timeoutMs: 5000).get("/v1/health"),
        let obj = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
    else { return nil }
    return obj["eventSubscribers"] as? Int
}

func measureSwipes(_ d: Daemon, _ o: Options) {
    note("swipe → event: \(o.swipes) swipes, 1 subscriber; GET /v1/health round trips")
    let watcher = EventWatcher(socket: d.socket, type: "card.read")
    // Warm-up (first-use costs: code paths, ledger pages, the connection).
    _ = swipeLatencies(d.socket, watcher, count: 200)
    _ = roundTrips(d.socket, "/v1/health", expect: 200, count: 200)
    _ = roundTrips(d.socket, "/v1/none", expect: 404, count: 200)
    let health = Latencies(roundTrips(d.socket, "/v1/health", expect: 200, count: o.swipes))
    let notFound = Latencies(roundTrips(d.socket, "/v1/none", expect: 404, count: o.swipes))
    let before = watcher.conn.bytesRead
    let swipeSamples = swipeLatencies(d.socket, watcher, count: o.swipes)
    let swipes = Latencies(swipeSamples)
    let eventBytes = (watcher.conn.bytesRead - before) / o.swipes
    row("HTTP round trip, keep-alive: `GET /v1/none` → 404, no handler (n=\(o.swipes))", notFound.summary, "")
    row("HTTP round trip, keep-alive: `GET /v1/health` (counts the ledger's cards in SQLite) (n=\(o.swipes))", health.summary, "")
    row("swipe → card.read at the subscriber (client-observed), 1 subscriber (n=\(o.swipes))", swipes.summary, "p99 ≤ 0.5 ms")
    let w = min(200, o.swipes / 2)
    row("… the same run, first \(w) / last \(w) swipes (read ids of the last 30 s pile up in `RecentReads`)",
        "\(Latencies(Array(swipeSamples.prefix(w))).summary) / \(Latencies(Array(swipeSamples.suffix(w))).summary)", "")

    // The comparison with and without stalled subscribers: two runs of the same length, each
    // after the read ids of the previous one expired (30 s), so both start from the same state.
    note("baseline for the stalled run: \(o.stalledSwipes) swipes, no stalled subscribers (after \(o.expiryWait) s for read ids to expire)")
    usleep(UInt32(o.expiryWait * 1_000_000))
    let baselineSamples = swipeLatencies(d.socket, watcher, count: o.stalledSwipes)
    row("swipe → card.read (client-observed), 1 subscriber, same length as the stalled run (n=\(o.stalledSwipes))", Latencies(baselineSamples).summary, "")
    usleep(UInt32(o.expiryWait * 1_000_000))

    note("swipe → event with \(o.stalled) stalled subscribers: \(o.stalledSwipes) swipes")
    let stalled = (0..<o.stalled).map { _ in
        let c = RawConnection(path: d.socket)
        c.send(request("GET", "/v1/events", extra: "Accept: text/event-stream\r\n"))
        return c
    }
    usleep(200_000)
    let subsBefore = subscribers(d.socket)
    let firstId = watcher.lastId + 1
    let bytes0 = watcher.conn.bytesRead
    let stalledSamples = swipeLatencies(d.socket, watcher, count: o.stalledSwipes)
    let withStalled = Latencies(stalledSamples)
    let published = watcher.conn.bytesRead - bytes0
    let lastId = watcher.lastId
    let subsAfter = subscribers(d.socket)
    row("swipe → card.read at the subscriber (client-observed), + \(o.stalled) stalled subscribers (n=\(o.stalledSwipes))", withStalled.summary, "p99 ≤ 0.5 ms; no worse than without")
    // What each stalled subscriber got: read it now.
    var fates: [String] = []
    var cutOff = 0
    var lastDelivered: UInt64 = 0
    for c in stalled {
        guard c.streamHead(timeoutMs: 2000) == 200 else { fates.append("no stream"); continue }
        let w = EventWatcher(conn: c, type: "card.read")
        w.drain(quietMs: 1000)
        if w.ended { cutOff += 1 }
        lastDelivered = max(lastDelivered, w.lastId)
        let into = w.lastId >= firstId ? " (event \(w.lastId - firstId + 1) of the run)" : ""
        fates.append(w.ended ? "stream ended after id \(w.lastId)\(into)" : "still open, last id \(w.lastId)\(into)")
    }
    row("event bytes published during the stalled run (per subscriber, SSE framing)",
        String(format: "%d events (ids %llu–%llu), %.2f MB, %d bytes/event", o.stalledSwipes, firstId, lastId, Double(published) / 1_048_576, eventBytes), "")
    if cutOff > 0 && lastDelivered >= firstId {
        let k = Int(lastDelivered - firstId + 1)
        let worst = stalledSamples.indices.max { stalledSamples[$0] < stalledSamples[$1] }!
        row("… stalled run split: swipes 1–\(k) (stalled subscribers still on the bus) / \(k + 1)–\(o.stalledSwipes) (after they were cut off)",
            "\(Latencies(Array(stalledSamples[..<k])).summary) / \(Latencies(Array(stalledSamples[k...])).summary); slowest was swipe \(worst + 1)", "")
        row("… baseline run split the same way: swipes 1–\(k) / \(k + 1)–\(o.stalledSwipes)",
            "\(Latencies(Array(baselineSamples[..<k])).summary) / \(Latencies(Array(baselineSamples[k...])).summary)", "")
    }
    let subs = "subscribers (health) before \(subsBefore.map(String.init) ?? "?") → after \(subsAfter.map(String.init) ?? "?")"
    row("stalled subscribers cut off by the daemon", "\(cutOff) of \(o.stalled) (\(Set(fates).sorted().joined(separator: "; "))); \(subs)", "")
}

/// Open-loop redeems: send i is scheduled at start + i / rate; `threads` client threads, each
/// with its own keep-alive connection, take the next slot, sleep until its time, send, and wait
/// for the answer. Latency is counted from the scheduled time, so a stall that delays later
/// sends shows in their latency (no coordinated omission).
final class RedeemRun: @unchecked Sendable {
    let socket: String
    let total: Int
    let interval: UInt64
    let next = Atomic<Int>(0)
    var start: UInt64 = 0
    var latency: [UInt64]
    var sendLag: [UInt64]
    var status: [Int]
    var finished: [UInt64]

    init(socket: String, total: Int, interval: UInt64) {
        self.socket = socket
        self.total = total
        self.interval = interval
        latency = [UInt64](repeating: 0, count: total)
        sendLag = [UInt64](repeating: 0, count: total)
        status = [Int](repeating: 0, count: total)
        finished = [UInt64](repeating: 0, count: total)
    }

    func worker(card: String) {
        let conn = RawConnection(path: socket)
        let body = #"{"cardInfo":{"printedCardNumber":"\#(card)"},"amount":1}"#
        let req = request("POST", "/v1/gift/redeem", body: body)
        latency.withUnsafeMutableBufferPointer { lat in
            sendLag.withUnsafeMutableBufferPointer { lag in
                status.withUnsafeMutableBufferPointer { st in
                    finished.withUnsafeMutableBufferPointer { fin in
                        while true {
                            let i = next.add(1, ordering: .relaxed).oldValue
                            if i >= total { return }
                            let scheduled = start + UInt64(i) * interval
                            sleep(until: scheduled)
                            let sent = now()
                            conn.send(req)
                            let r = conn.response()
                            let done = now()
                            lat[i] = done - scheduled
                            lag[i] = sent - scheduled
                            st[i] = r?.status ?? -1
                            fin[i] = done
                        }
                    }
                }
            }
        }
    }
}

func measureRedeem(_ d: Daemon, _ o: Options) {
    let card = "7777000000000001"
    let created = try? UnixHTTPClient(socketPath: d.socket).post("/v1/cards", json: Array(#"{"number":"\#(card)","balance":100000000,"status":"active"}"#.utf8))
    guard created?.status == 201 || created?.status == 200 else { fail("POST /v1/cards: \(created.map { "\($0.status) \($0.text)" } ?? "no answer")") }
    let total = Int(o.rate * o.seconds)
    note("redeem: \(total) redeems of 1 cent, open loop at \(o.rate)/s, \(o.threads) threads with a keep-alive connection each")
    // Warm-up, closed loop.
    let warm = RedeemRun(socket: d.socket, total: 200, interval: 0)
    warm.start = now()
    warm.worker(card: card)

    let run = RedeemRun(socket: d.socket, total: total, interval: UInt64(1e9 / o.rate))
    let done = DispatchGroup()
    run.start = now() + 50_000_000
    for _ in 0..<o.threads {
        done.enter()
        let t = Thread {
            run.worker(card: card)
            done.leave()
        }
        t.start()
    }
    done.wait()
    let errors = run.status.filter { $0 != 200 }
    let lat = Latencies(run.latency)
    let elapsed = Double(run.finished.max()! - run.start) / 1e9
    let lag = Latencies(run.sendLag)
    row("API redeem, open loop \(Int(o.rate))/s for \(Int(o.seconds)) s, \(o.threads) keep-alive connections (n=\(total))",
        "p50 \(ms(lat.p50)) · p99 \(ms(lat.p99)) · p99.9 \(ms(lat.p999)) · max \(ms(lat.max)) ms", "p99 ≤ 2 ms at 500/s")
    var errorText = "\(errors.count)"
    if !errors.isEmpty {
        let byStatus = Dictionary(grouping: errors, by: { $0 }).map { "\($0.value.count)× \($0.key == -1 ? "no answer" : String($0.key))" }
        errorText += " (\(byStatus.joined(separator: ", ")))"
    }
    row("API redeem: achieved rate, errors", String(format: "%.1f/s (%d in %.2f s); errors %@", Double(total) / elapsed, total, elapsed, errorText), "")
    row("API redeem: client send lag behind schedule", "p50 \(ms(lag.p50)) · p99 \(ms(lag.p99)) · max \(ms(lag.max)) ms", "")
    row("RSS after the runs", String(format: "%.1f MB", Double(rssKiB(d.pid)) / 1024), "")
}

func loadAverage() -> String { readText("/proc/loadavg").split(separator: " ").prefix(3).joined(separator: " ") }

// MARK: - Main

func main() {
    let o = Options.parse(CommandLine.arguments)
    signal(SIGPIPE, SIG_IGN)
    note("api-bench: daemon \(o.daemon)")
    let startLoad = loadAverage()
    measureReady(o)
    let home = makeTemp("gb-bench")
    let d = Daemon(binary: o.daemon, stateDir: home + "/state", home: home)
    note("daemon pid \(d.pid), socket \(d.socket)")
    measureIdle(d, o)
    measureSwipes(d, o)
    measureRedeem(d, o)
    d.stop()
    removeTree(home)

    row("load average (1/5/15 min) at start → at end", "\(startLoad) → \(loadAverage())", "")
    print("| measure | value | budget |")
    print("|---|---|---|")
    for r in rows { print("| \(r.measure) | \(r.value) | \(r.budget) |") }
}

main()
