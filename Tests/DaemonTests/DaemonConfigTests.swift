import Devices
import ESCPOS
import Foundation
import Logging
import Testing
import TestSupport

@testable import Daemon

@Suite struct DaemonConfigTests {
    func load(_ yaml: String?, env: [String: String] = [:], flags: [String: String] = [:], demo: Bool = false) async throws -> DaemonConfig {
        let dir = try TemporaryDirectory()
        var file: String?
        if let yaml {
            file = dir.file("config.yaml")
            try yaml.write(toFile: file!, atomically: true, encoding: .utf8)
        }
        return try await DaemonConfig.load(configFile: file, flags: flags, environment: env, demo: demo)
    }

    func error(_ yaml: String, env: [String: String] = [:]) async -> ConfigError? {
        do {
            _ = try await load(yaml, env: env)
            return nil
        } catch let e as ConfigError {
            return e
        } catch {
            return ConfigError(key: nil, "unexpected \(error)")
        }
    }

    @Test func aFullFileIsRead() async throws {
        let c = try await load("""
            api:
              socket: /run/gb/api.sock
            state:
              directory: /var/lib/gb
            shop:
              name: Café Zürich
              header: [Bahnhofstrasse 1, 8001 Zürich]
              terminal: T1
            printer:
              target: tcp://192.168.1.50:9100
              profile: epson-tm-t88v
            swipe:
              action: balance
            readers:
              counter:
                path: /dev/ttyUSB0
                baud: 19200
                parity: even
                lrc: present
              back-office:
                type: serial-msr
                path: /dev/ttyACM0
            """)
        #expect(c.socketPath == "/run/gb/api.sock")
        #expect(c.stateDirectory == "/var/lib/gb")
        #expect(c.ledgerPath == "/var/lib/gb/ledger.sqlite")
        #expect(c.shop.name == "Café Zürich")
        #expect(c.shop.header == ["Bahnhofstrasse 1", "8001 Zürich"])
        #expect(c.printer?.target == .tcp(host: "192.168.1.50", port: 9100))
        #expect(c.printer?.profile == .epsonTMT88V)
        #expect(c.swipeAction == .balance)
        #expect(c.readers.map(\.id) == ["back-office", "counter"])
        let counter = c.readers[1]
        #expect(counter.serial.baud == 19200)
        #expect(counter.serial.parity == .even)
        #expect(counter.lrc == .present)
        #expect(counter.idleTimeoutMs == 100)
        #expect(!c.allowSimulate)
    }

    @Test func defaultsWithoutAFile() async throws {
        let c = try await DaemonConfig.load(configFile: nil, flags: [:], environment: [:], demo: false)
        // /etc/giftbridge/config.yaml does not exist on a test machine.
        #expect(c.socketPath == "/run/giftbridge/api.sock")
        #expect(c.stateDirectory == "/var/lib/giftbridge")
        #expect(c.printer == nil)
        #expect(c.readers.isEmpty)
        #expect(c.swipeAction == .balanceReceipt)
    }

    @Test func demoDefaultsLiveInTheDemoStateDirectory() async throws {
        let c = try await load(nil, env: ["HOME": "/home/shop"], demo: true)
        #expect(c.stateDirectory == "/home/shop/.local/state/giftbridge-demo")
        #expect(c.socketPath == "/home/shop/.local/state/giftbridge-demo/api.sock")
        #expect(c.printer?.target == .path("/home/shop/.local/state/giftbridge-demo/receipts.escpos"))
        #expect(c.allowSimulate)
    }

    @Test func flagsOverEnvironmentOverFile() async throws {
        let yaml = "api:\n  socket: /from/file.sock\nprinter:\n  target: tcp://file:9100\n"
        let fromFile = try await load(yaml)
        #expect(fromFile.socketPath == "/from/file.sock")
        let fromEnv = try await load(yaml, env: ["GIFTBRIDGE_API_SOCKET": "/from/env.sock", "GIFTBRIDGE_PRINTER_TARGET": "tcp://env:9100"])
        #expect(fromEnv.socketPath == "/from/env.sock")
        #expect(fromEnv.printer?.target == .tcp(host: "env", port: 9100))
        let fromFlag = try await load(yaml, env: ["GIFTBRIDGE_API_SOCKET": "/from/env.sock"], flags: ["api.socket": "/from/flag.sock"])
        #expect(fromFlag.socketPath == "/from/flag.sock")
        // Reader settings too, with dashes in the key.
        let reader = try await load("readers:\n  r1:\n    path: /dev/ttyS0\n", env: ["GIFTBRIDGE_READERS_R1_IDLE_TIMEOUT_MS": "250"])
        #expect(reader.readers.first?.idleTimeoutMs == 250)
    }

    @Test func badValuesNameTheirKey() async {
        #expect(await error("readers:\n  r1:\n    path: /dev/ttyS0\n    baud: 9601\n")?.key == "readers.r1.baud")
        #expect(await error("readers:\n  r1:\n    baud: 9600\n")?.key == "readers.r1.path")
        #expect(await error("readers:\n  r1:\n    path: dev/ttyS0\n")?.key == "readers.r1.path")
        #expect(await error("readers:\n  r1:\n    path: /dev/ttyS0\n    parity: mark\n")?.key == "readers.r1.parity")
        #expect(await error("printer:\n  target: lp0\n")?.key == "printer.target")
        #expect(await error("printer:\n  target: tcp://p:9100\n  profile: tm-9000\n")?.key == "printer.profile")
        #expect(await error("swipe:\n  action: refund\n")?.key == "swipe.action")
        #expect(await error("ledger:\n  currency: EURO\n")?.key == "ledger.currency")
        #expect(await error("api:\n  simulate: maybe\n")?.key == "api.simulate")
        #expect(await error("log:\n  level: loud\n")?.key == "log.level")
        #expect(await error("api:\n  socket: relative.sock\n")?.key == "api.socket")
        #expect(await error("", env: ["GIFTBRIDGE_API_SOCKET": "/" + String(repeating: "s", count: 120)])?.key == "api.socket")
        #expect(await error("readers:\n  r1:\n    path: /dev/hidraw0\n    type: hidraw-magtek\n    content: barcode\n")?.key == "readers.r1.content")
        #expect(await error("readers:\n  r1:\n    path: /dev/ttyS0\n    content: smoke-signals\n")?.key == "readers.r1.content")
        #expect(await error("readers:\n  r1:\n    path: /dev/ttyS0\n    vas-unmarked: samsung\n")?.key == "readers.r1.vas-unmarked")
        #expect(await error("readers:\n  r1:\n    path: /dev/ttyS0\n    report-descriptor: /etc/hostname\n")?.key == "readers.r1.report-descriptor")
        #expect(await error("readers:\n  r1:\n    path: /dev/hidraw0\n    type: hidraw-pos\n    report-descriptor: /etc/hostname\n")?.message.contains("0x8C") == true)
    }

    @Test func readersMatchedByUSBIds() async throws {
        let config = try await load("readers:\n  msr:\n    type: hidraw-magtek\n    usb-id: 0801:0011\n    usb-serial: B123\n  kbd:\n    type: evdev\n    usb-id: 0C2E\n")
        let msr = try #require(config.readers.first { $0.id == "msr" })
        #expect(msr.match == DeviceMatch(subsystem: "hidraw", vendorId: "0801", productId: "0011", serial: "B123"))
        #expect(config.readers.first { $0.id == "kbd" }?.match == DeviceMatch(subsystem: "input", vendorId: "0c2e"))
        #expect(await error("readers:\n  r:\n    usb-id: 801:1\n")?.key == "readers.r.usb-id")
        #expect(await error("readers:\n  r:\n    usb-id: 0801:0001\n    path: /dev/ttyACM0\n")?.key == "readers.r.usb-id")
        #expect(await error("readers:\n  r:\n    path: /dev/ttyACM0\n    usb-serial: x\n")?.key == "readers.r.usb-id")
        // Nothing on this machine has these ids: a typed error naming the match.
        #expect(throws: SystemError.self) { try DeviceMatch(subsystem: "tty", vendorId: "ffff", productId: "fffe").resolve() }
        #expect(DeviceMatch(subsystem: "tty", vendorId: "ffff").description == "tty usb ffff:*")
    }

    @Test func normalizationRulesAreReadInOrderAndCheckedOneByOne() async throws {
        let config = try await load("""
            normalization:
              rules:
                - symbologies: [code128, ean13]
                  pattern: '^GC(\\d+)$'
                  field: printedCardNumber
                - pattern: '^tok-'
                  field: accountToken
            """)
        #expect(config.normalizationRules.map(\.field) == [.printedCardNumber, .accountToken])
        #expect(config.normalizationRules[0].symbologies == [.code128, .ean13])
        #expect(config.normalizationRules[1].symbologies.isEmpty)
        #expect(await error("normalization:\n  rules:\n    - pattern: '(['\n      field: barcode\n")?.key == "normalization.rules[0].pattern")
        #expect(await error("normalization:\n  rules:\n    - pattern: x\n      field: pan\n")?.key == "normalization.rules[0].field")
        #expect(await error("normalization:\n  rules:\n    - pattern: x\n      field: barcode\n      symbologies: [morse]\n")?.key == "normalization.rules[0].symbologies")
        #expect(await error("normalization:\n  rules:\n    - field: barcode\n")?.key == "normalization.rules[0].pattern")
        #expect(await error("normalization:\n  rules:\n    - pattern: x\n      field: barcode\n      colour: red\n")?.key == "normalization.rules[0].colour")
        #expect(await error("normalization:\n  rules:\n    - just text\n")?.key == "normalization.rules[0]")
        // A value is read as written: no YAML guessing turns a terminal "007" into 7.
        #expect(try await load("shop:\n  terminal: 007\n").shop.terminal == "007")
    }

    @Test func unknownKeysAndWrongShapesAreRefused() async {
        let typo = await error("printer:\n  tagret: tcp://p:9100\n")
        #expect(typo?.key == "printer.tagret")
        #expect(typo?.message.contains("printer.target") == true)
        #expect(await error("readers:\n  r1:\n    path: /dev/ttyS0\n    speed: 9600\n")?.key == "readers.r1.speed")
        #expect(await error("shop:\n  header: one line\n")?.key == "shop.header")
        #expect(await error("shop:\n  name: [a, b]\n")?.key == "shop.name")
        #expect(await error("readers:\n  r1: /dev/ttyS0\n")?.key == "readers.r1")
        #expect(await error("readers:\n  'bad id!':\n    path: /dev/ttyS0\n")?.key == "readers.bad id!")
        #expect(await error("- just\n- a list\n")?.message.contains("mapping") == true)
        #expect(await error("api: {socket: [unclosed\n")?.message.contains("not valid YAML") == true)
    }

    @Test func theRequestDeadlineIsRead() async throws {
        #expect(try await load(nil).requestDeadlineSeconds == 10)
        let c = try await load("api:\n  request-deadline-seconds: 3\n  idle-timeout-seconds: 20\n")
        #expect(c.requestDeadlineSeconds == 3)
        #expect(c.idleTimeoutSeconds == 20)
        #expect(try await load(nil, env: ["GIFTBRIDGE_API_REQUEST_DEADLINE_SECONDS": "7"]).requestDeadlineSeconds == 7)
        #expect(await error("api:\n  request-deadline-seconds: 0\n")?.key == "api.request-deadline-seconds")
        #expect(await error("api:\n  request-deadline-seconds: soon\n")?.key == "api.request-deadline-seconds")
    }

    /// `api.tcp.listen`: IP literals on loopback only, read with inet_pton.
    @Test func listenAddressesAreLoopbackIPLiterals() throws {
        func parsed(_ listen: String) -> String? {
            (try? DaemonConfig.loopbackAddress(listen)).map { "\($0.host) \($0.port)" }
        }
        #expect(parsed("127.0.0.1:8765") == "127.0.0.1 8765")
        #expect(parsed("127.42.0.9:1") == "127.42.0.9 1")
        #expect(parsed("[::1]:65535") == "::1 65535")
        #expect(parsed("[0:0:0:0:0:0:0:1]:8765") == "0:0:0:0:0:0:0:1 8765")
        for bad in ["127.1:8765", "127.0.1:8765", "127.evil.example:8765", "localhost:8765", "::1:8765", "[::1]", "127.0.0.1",
                    "0.0.0.0:8765", "10.0.0.1:8765", "[::]:8765", "[::ffff:127.0.0.1]:8765", "[127.0.0.1]:8765", "[]:8765",
                    "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:８０", " 127.0.0.1:80", ":8765"] {
            do {
                _ = try DaemonConfig.loopbackAddress(bad)
                Issue.record("\(bad) was taken")
            } catch {
                #expect(error.key == "api.tcp.listen", "\(bad)")
            }
        }
    }

    /// The token file: a regular file, mode & 0o026 == 0.
    @Test func theTokenFileModeIsChecked() async throws {
        let dir = try TemporaryDirectory()
        let token = String(repeating: "ab12", count: 10)
        func config(mode: mode_t) throws -> String {
            let path = dir.file("token-\(String(mode, radix: 8))")
            try token.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(chmod(path, mode) == 0)
            return "api:\n  tcp:\n    listen: 127.0.0.1:8765\n    token-file: \(path)\n"
        }
        for mode: mode_t in [0o600, 0o640, 0o400, 0o440] {
            #expect(try await load(config(mode: mode)).tcpListener?.access.token == token, "mode \(String(mode, radix: 8))")
        }
        for mode: mode_t in [0o644, 0o604, 0o620, 0o602, 0o666, 0o660] {
            let e = await error(try config(mode: mode))
            #expect(e?.key == "api.tcp.token-file", "mode \(String(mode, radix: 8))")
            #expect(e?.message.contains("\(dir.file("token-\(String(mode, radix: 8))")) has mode 0\(String(mode, radix: 8))") == true, "\(String(describing: e))")
        }
        try FileManager.default.createDirectory(atPath: dir.file("token-dir"), withIntermediateDirectories: false)
        #expect(await error("api:\n  tcp:\n    listen: 127.0.0.1:8765\n    token-file: \(dir.file("token-dir"))\n")?.message.contains("not a regular file") == true)
    }

    @Test func anExplicitFileMustExist() async {
        do {
            _ = try await DaemonConfig.load(configFile: "/nonexistent/giftbridge.yaml", flags: [:], environment: [:], demo: false)
            Issue.record("loaded a missing file")
        } catch let e as ConfigError {
            #expect(e.description.contains("/nonexistent/giftbridge.yaml"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite struct SystemdNotifierTests {
    @Test func sendsDatagramsToNotifySocket() throws {
        let dir = try TemporaryDirectory()
        let sock = try NotifySocket(path: dir.file("notify"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": sock.path])
        #expect(notifier.notify("READY=1"))
        #expect(sock.receive(timeout: 2) == "READY=1")
        #expect(notifier.notify("STOPPING=1"))
        #expect(sock.receive(timeout: 2) == "STOPPING=1")
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
    }
}

@Suite struct JournalLogHandlerTests {
    @Test func prioritiesFollowSyslog() {
        #expect(JournalLogHandler.priority(.error) == 3)
        #expect(JournalLogHandler.priority(.info) == 6)
        #expect(JournalLogHandler.priority(.debug) == 7)
        #expect(JournalLogHandler.quote("a b") == "\"a b\"")
        #expect(JournalLogHandler.quote("ab") == "ab")
    }
}
