import Foundation
import GiftbridgeClient
import Testing
import TestSupport

/// The files in systemd/ and udev/, checked with systemd's own tools where they are installed.
@Suite struct DeploymentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let analyze = "/usr/bin/systemd-analyze"

    func run(_ tool: String, _ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    /// The unit with ExecStart pointing at a binary that exists here.
    func stagedUnit() throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory()
        let unit = try String(contentsOfFile: Self.root + "/systemd/giftbridged.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/giftbridged", with: Binaries.daemon)
        try unit.write(toFile: dir.file("giftbridged.service"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.root + "/systemd/giftbridged.socket", toPath: dir.file("giftbridged.socket"))
        return (dir, dir.file("giftbridged.service"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
    func theServiceVerifiesAndScoresAtMost2Point5() throws {
        let (dir, unit) = try stagedUnit()
        _ = dir
        let (verify, verifyOut) = try run(Self.analyze, ["verify", unit, dir.file("giftbridged.socket")])
        #expect(verify == 0, "\(verifyOut)")
        let (_, security) = try run(Self.analyze, ["security", "--offline=true", unit])
        let line = try #require(security.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(score <= 2.5, "\(line)")
    }

    @Test func theUnitAndRulesSayWhatTheyPromise() throws {
        let unit = try String(contentsOfFile: Self.root + "/systemd/giftbridged.service", encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "StateDirectory=giftbridge", "RuntimeDirectory=giftbridge",
                     "User=giftbridge", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                     "RestrictAddressFamilies=", "DeviceAllow=", "CapabilityBoundingSet=\n"] {
            #expect(unit.contains(line), "missing \(line)")
        }
        let rules = try String(contentsOfFile: Self.root + "/udev/70-giftbridge.rules", encoding: .utf8)
        for vendor in ["0801", "0acd", "0c2e", "05e0", "05f9", "1eab", "04b8", "0519", "1504", "1d90"] {
            #expect(rules.contains("ATTRS{idVendor}==\"\(vendor)\""), "no rule for vendor \(vendor)")
        }
        #expect(rules.contains("GROUP=\"giftbridge\", MODE=\"0660\""))
        #expect(rules.contains("ID_MM_DEVICE_IGNORE}=\"1\""))
        #expect(rules.contains("SYMLINK+=\"giftbridge/$env{GIFTBRIDGE_ROLE}-$env{ID_SERIAL_SHORT}\""))
        // Every rule line is KEY op "value" pairs, or a label/goto; no stray syntax.
        for raw in rules.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            #expect(line.range(of: #"^([A-Za-z_{}\$]+(\{[A-Za-z_]+\})?\s*(==|!=|=|\+=|:=)\s*"[^"]*"(,\s*)?)+$"#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test func watchdogPingsReachTheNotifySocket() throws {
        let dir = try TemporaryDirectory()
        let d = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir, environment: ["WATCHDOG_USEC": "200000"])
        try d.waitUntilReady()
        var pings = 0
        let deadline = Date().addingTimeInterval(3)
        while pings < 3 && Date() < deadline {
            if let m = d.notify.receive(timeout: 0.5), m.contains("WATCHDOG=1") { pings += 1 }
        }
        #expect(pings >= 3)
        #expect(try d.terminate().status == 0)
    }

    /// The socket is mode 0660: a client of another uid is refused by the kernel unless it is
    /// in the socket's group (the `giftbridge` group on a till). Needs root to switch users.
    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func theSocketAdmitsOnlyItsGroup() throws {
        let dir = try TemporaryDirectory()
        // Directories anyone may traverse, so only the socket's own mode decides.
        let open = dir.file("open")
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
        chmod(dir.path, 0o755)
        chmod(open, 0o755)
        let socket = open + "/api.sock"
        let daemon = try DaemonProcess(arguments: ["--demo", "--state-dir", dir.file("s"), "--socket", socket], dir: dir)
        try daemon.waitUntilReady()
        var st = stat()
        #expect(stat(socket, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o660)
        let group = st.st_gid
        func asNobody(groups: String) throws -> (Int32, String) {
            try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", groups, Binaries.cli, "health", "--socket", socket, "--json"])
        }
        let (refused, refusedText) = try asNobody(groups: "--clear-groups")
        #expect(refused == 77, "\(refusedText)")
        #expect(refusedText.contains("permission"))
        let (admitted, admittedText) = try asNobody(groups: "--groups=\(group)")
        #expect(admitted == 0, "\(admittedText)")
        #expect(admittedText.contains("\"status\""))
        #expect(try daemon.terminate().status == 0)
    }

    /// `make install` puts these where bash, zsh and fish look: they name every command.
    @Test func completionScriptsCoverTheCommands() throws {
        for shell in ["bash", "zsh", "fish"] {
            let (status, script) = try run(Binaries.cli, ["--generate-completion-script", shell])
            #expect(status == 0)
            for word in ["redeem", "cash-out", "printers", "receipt", "watch", "--json", "--socket"] {
                // fish names long options without their dashes (`-l json`).
                let spelled = shell == "fish" && word.hasPrefix("--") ? "'\(word.dropFirst(2))'" : word
                #expect(script.contains(spelled), "\(shell) completion lacks \(word)")
            }
            if shell == "bash" {
                let dir = try TemporaryDirectory()
                try script.write(toFile: dir.file("c.bash"), atomically: true, encoding: .utf8)
                #expect(try run("/bin/bash", ["-n", dir.file("c.bash")]).0 == 0)
            }
        }
    }

    /// Socket activation: started by systemd-socket-activate (as systemd would, with
    /// LISTEN_FDS/LISTEN_PID), the daemon serves on the socket it was given, including the
    /// connection that woke it, and makes no socket of its own.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-socket-activate")))
    func theDaemonServesOnTheSocketSystemdPasses() throws {
        let dir = try TemporaryDirectory()
        let socket = dir.file("activated.sock")
        let daemon = try DaemonProcess(
            arguments: ["--demo", "--state-dir", dir.file("s")], dir: dir,
            launcher: ["/usr/bin/systemd-socket-activate", "-l", socket, "-E", "NOTIFY_SOCKET", "-E", "HOME", "-E", "PATH"])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
        // The first request is what starts the daemon; it waits in the socket's backlog meanwhile.
        let reply = try UnixHTTPClient(socketPath: socket, timeoutMs: 20_000).get("/v1/health")
        #expect(reply.status == 200, "\(daemon.log)")
        try daemon.waitUntilReady()
        #expect(daemon.log.contains("socket systemd passed"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("s/api.sock")))
        let second = try UnixHTTPClient(socketPath: socket).get("/v1/devices")
        #expect(second.status == 200)
        #expect(try daemon.terminate().status == 0)
    }
}
