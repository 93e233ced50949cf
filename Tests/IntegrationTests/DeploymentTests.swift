import Foundation
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
        return (dir, dir.file("giftbridged.service"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
    func theServiceVerifiesAndScoresAtMost2Point5() throws {
        let (dir, unit) = try stagedUnit()
        _ = dir
        let (verify, verifyOut) = try run(Self.analyze, ["verify", unit])
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
}
