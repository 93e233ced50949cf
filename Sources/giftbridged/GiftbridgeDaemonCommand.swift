import ArgumentParser
import Daemon
import Foundation
import Logging

/// `giftbridged`: the gift-card bridge daemon.
@main
struct GiftbridgeDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "giftbridged",
        abstract: "The giftbridge daemon: card readers and printers at the counter, a gift ledger, a local API.",
        discussion: """
            Settings come from flags, then GIFTBRIDGE_* environment variables (api.socket is \
            GIFTBRIDGE_API_SOCKET), then the YAML file, then the defaults. See README.md.
            Exit codes: 0 stopped cleanly, 78 configuration error, 73 cannot create state or socket, \
            69 ledger unavailable.
            """)

    @Option(name: .long, help: "Configuration file (default /etc/giftbridge/config.yaml, optional).")
    var config: String?

    @Flag(name: .long, help: "Demo mode: a state directory with a seeded SQLite ledger, the socket inside it, receipts to a file, simulated reads allowed.")
    var demo = false

    @Option(name: .long, help: "State directory (state.directory).")
    var stateDir: String?

    @Option(name: .long, help: "API socket path (api.socket).")
    var socket: String?

    @Option(name: .long, help: "Printer target: tcp://HOST:PORT, file:/PATH or a device path (printer.target).")
    var printer: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (log.level).")
    var logLevel: String?

    @Flag(name: .long, help: "Check the configuration, print it, and exit.")
    var checkConfig = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var flags: [String: String] = [:]
        flags["state.directory"] = stateDir
        flags["api.socket"] = socket
        flags["printer.target"] = printer
        flags["log.level"] = logLevel
        let journal = environment["JOURNAL_STREAM"] != nil
        let bootLogger = Logger(label: "giftbridged") { JournalLogHandler(label: $0, level: .info, journal: journal) }

        let loaded: DaemonConfig
        do {
            loaded = try await DaemonConfig.load(configFile: config, flags: flags, environment: environment, demo: demo)
        } catch {
            bootLogger.critical("\(error)")
            throw ExitCode(78)
        }
        if checkConfig {
            print("configuration ok: \(loaded.configFile ?? "(no file, defaults)")")
            print("  socket \(loaded.socketPath), state \(loaded.stateDirectory), ledger \(loaded.ledgerPath)")
            print("  printer \(loaded.printer.map { "\($0.target) (\($0.profile.name))" } ?? "none"), readers \(loaded.readers.map { "\($0.id)=\($0.path)" }.joined(separator: ", "))")
            return
        }
        LoggingSystem.bootstrap { JournalLogHandler(label: $0, level: loaded.logLevel, journal: journal) }
        let logger = Logger(label: "giftbridged")
        do {
            try await Daemon.run(config: loaded, environment: environment, logger: logger)
        } catch let error as StartupError {
            logger.critical("\(error.message)")
            throw ExitCode(error.exitCode)
        } catch {
            logger.critical("stopped on error: \(error)")
            throw ExitCode(1)
        }
    }
}
