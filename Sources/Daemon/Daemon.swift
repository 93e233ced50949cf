#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CardReading
import Connectors
import Devices
import Foundation
import Hummingbird
import Ledger
import LedgerPostgres
import LedgerSQLite
import PostgresNIO
import LocalAPI
import PrintQueue
import Logging
import NFC
import ServiceLifecycle

/// A start-up failure with the exit code that tells systemd not to restart in a loop
/// (sysexits: 78 configuration, 73 cannot create, 69 unavailable).
public struct StartupError: Error, CustomStringConvertible {
    public var exitCode: Int32
    public var message: String
    public var description: String { message }

    static func cannotCreate(_ message: String) -> StartupError { StartupError(exitCode: 73, message: message) }
    static func configuration(_ message: String) -> StartupError { StartupError(exitCode: 78, message: message) }
    static func unavailable(_ message: String) -> StartupError { StartupError(exitCode: 69, message: message) }
}

/// Wires the parts together and runs them until SIGTERM or SIGINT.
public enum Daemon {
    public static func run(config: DaemonConfig, environment: [String: String], logger: Logger) async throws {
        let started = ContinuousClock.now
        try prepareDirectories(config)
        let keyer = CardKeyer(key: try loadOrCreateKey(config.keyFile))
        let ledger: any LedgerStore
        var remote: (any RemoteLedger)?
        var postgres: Task<Void, Never>?
        defer { postgres?.cancel() }
        switch config.ledgerBackend {
        case .sqlite:
            do { ledger = try SQLiteLedger(path: config.ledgerPath, keyer: keyer, holdLifetime: TimeInterval(config.holdLifetimeSeconds)) } catch {
                throw StartupError.unavailable("\(error)")
            }
        case .postgresql(let host, let port, let socket, let user, let database, let passwordFile):
            var password: String?
            if let passwordFile {
                guard let data = FileManager.default.contents(atPath: passwordFile) else {
                    throw StartupError.unavailable("cannot read the PostgreSQL password file \(passwordFile)")
                }
                password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            var pg: PostgresClient.Configuration
            if let socket {
                pg = .init(unixSocketPath: socket.hasSuffix(".s.PGSQL.\(port)") ? socket : socket + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
            } else {
                pg = .init(host: host ?? "localhost", port: port, username: user, password: password, database: database, tls: .prefer(.makeClientConfiguration()))
            }
            pg.options.connectTimeout = .seconds(5)
            let client = PostgresClient(configuration: pg, backgroundLogger: logger)
            postgres = Task { await client.run() }
            let store = PostgresLedger(client: client, keyer: keyer, holdLifetime: TimeInterval(config.holdLifetimeSeconds), logger: logger)
            do { try await store.migrate() } catch {
                throw StartupError.unavailable("PostgreSQL ledger \(user)@\(host ?? socket ?? "")/\(database): \(error)")
            }
            ledger = store
        case .remote(let r):
            remote = try remoteLedger(r, config: config, environment: environment)
            ledger = remote!
        }
        if config.demo && remote == nil { try await seedDemoCards(ledger, currency: config.currency, logger: logger) }
        DaemonMetrics.bootstrap()
        let measured = MeasuredLedger(base: ledger)
        let inherited: Int32?
        do { inherited = try SocketActivation.listeningSocket(environment: environment) } catch {
            throw StartupError.cannotCreate(error.description)
        }
        if inherited == nil {
            try checkSocketPath(config.socketPath)
            try refuseIfSocketInUse(config.socketPath)
        }

        let events = EventBus()
        var spooler: PrintSpooler?
        if let printer = config.printer {
            let queuePath = config.stateDirectory + "/print-queue.sqlite"
            do {
                spooler = PrintSpooler(config: printer, store: try PrintJobStore(path: queuePath), events: events, logger: logger)
            } catch {
                throw StartupError.cannotCreate("print queue \(queuePath): \(error)")
            }
        }
        let pipeline = CardPipeline(config: config, ledger: measured, spooler: spooler, events: events, reads: RecentReads(), logger: logger)
        let readers = ReaderService(configs: config.readers, pipeline: pipeline, events: events, logger: logger)
        let holdTimer = HoldExpiryService(ledger: measured, events: events, logger: logger, locale: config.shop.locale)
        let backend = DaemonBackend(
            config: config, ledger: measured, keyer: keyer, pipeline: pipeline, readers: readers.statuses, events: events, holdTimer: holdTimer,
            started: started)
        let notifier = SystemdNotifier(environment: environment)

        let where_ = inherited.map { "the socket systemd passed (fd \($0))" } ?? config.socketPath
        let onReady: @Sendable () async -> Void = {
            notifier.notify("READY=1\nSTATUS=listening on \(where_)")
            let ms = (ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000 + (ContinuousClock.now - started).components.seconds * 1000
            logger.info("ready", metadata: [
                "socket": "\(where_)", "ledger": "\(ledger.backendName)", "demo": "\(config.demo)",
                "printer": "\(config.printer.map { $0.target.description } ?? "none")", "readers": "\(config.readers.count)",
                "startup_ms": "\(ms)",
            ])
        }
        let idle = Duration.seconds(config.idleTimeoutSeconds)
        let deadline = Duration.seconds(config.requestDeadlineSeconds)
        let apiSocket: Int32
        if let inherited {
            apiSocket = inherited
        } else {
            do { apiSocket = try APIListener.bindUnix(path: config.socketPath) } catch { throw socketError(error) }
        }
        let limits = MoneyLimits(
            maximumPerOperation: config.maximumAmount, invalidAmountVendorCodes: LedgerError.invalidAmount("").zmyleCode.map { ["zmyle": $0] })
        let api = APIListener(
            descriptor: apiSocket, what: inherited == nil ? config.socketPath : "the socket systemd passed (fd \(apiSocket))",
            idleTimeout: idle, requestDeadline: deadline, backend: backend, events: events, limits: limits, logger: logger, onReady: onReady)
        let shutdown = ShutdownService(notifier: notifier, events: events, logger: logger)
        // Graceful shutdown runs from the last service to the first: first the shutdown service
        // (STOPPING=1, event streams end), then the printer, the API (its open streams are
        // over now), and the readers.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: holdTimer), .init(service: readers), .init(service: api)]
        if let tcp = config.tcpListener {
            let fd: Int32
            do { fd = try APIListener.bindTCP(host: tcp.host, port: tcp.port) } catch {
                throw StartupError.cannotCreate("api.tcp.listen: \(error)")
            }
            services.append(.init(service: APIListener(
                descriptor: fd, what: "tcp \(tcp.host):\(tcp.port) (bearer token)", access: tcp.access, idleTimeout: idle, requestDeadline: deadline,
                backend: backend, events: events, limits: limits, logger: logger)))
        }
        if let spooler { services.append(.init(service: spooler)) }
        if let remote { services.append(.init(service: OutboxWorker(ledger: remote, logger: logger))) }
        services.append(.init(service: WatchdogService(environment: environment, notifier: notifier), successTerminationBehavior: .ignore))
        services.append(.init(service: shutdown, successTerminationBehavior: .ignore))
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        do { try await group.run() } catch {
            await remote?.transport.shutdown()
            throw error
        }
        await remote?.transport.shutdown()
        logger.info("stopped")
    }

    /// Creates the state directory (mode 0750) and checks that the socket's directory is usable.
    ///
    /// Everything the daemon creates is for its user and group only (umask 027: files 0640 at
    /// most, the card key 0600), and a state file an earlier version left readable by others is
    /// made private.
    static func prepareDirectories(_ config: DaemonConfig) throws(StartupError) {
        umask(0o027)
        defer { makeStateFilesPrivate(config.stateDirectory) }
        do {
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw .cannotCreate("cannot create the state directory \(config.stateDirectory): \(error.localizedDescription)")
        }
        guard access(config.stateDirectory, W_OK | X_OK) == 0 else {
            throw .cannotCreate("the state directory \(config.stateDirectory) is not writable by this user")
        }
        let socketDir = (config.socketPath as NSString).deletingLastPathComponent
        if config.demo || socketDir.hasPrefix(config.stateDirectory) {
            try? FileManager.default.createDirectory(atPath: socketDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        var st = stat()
        guard stat(socketDir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw .cannotCreate("the socket directory \(socketDir) does not exist (systemd's RuntimeDirectory= creates /run/giftbridge; or set api.socket)")
        }
        guard access(socketDir, W_OK | X_OK) == 0 else {
            throw .cannotCreate("the socket directory \(socketDir) is not writable by this user")
        }
    }

    /// Takes the permissions of others off the regular files in the state directory.
    static func makeStateFilesPrivate(_ directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            let path = directory + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o007 != 0 else { continue }
            _ = chmod(path, st.st_mode & 0o770)
        }
    }

    /// The secret that keys card numbers in the ledger: 32 random bytes, created once, mode 0600.
    static func loadOrCreateKey(_ path: String) throws(StartupError) -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 16 else { throw .unavailable("the card key file \(path) is shorter than 16 bytes") }
            return Array(data)
        }
        if FileManager.default.fileExists(atPath: path) { throw .unavailable("cannot read the card key file \(path)") }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreate("cannot create the card key file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == key.count, fsync(fd) == 0 else { throw .cannotCreate("cannot write the card key file \(path)") }
        return key
    }

    /// Refuses a socket path where something other than a socket is (exit 78: the setting is
    /// wrong, and the file stays as it is).
    static func checkSocketPath(_ path: String) throws(StartupError) {
        do { try APIListener.checkSocketPath(path) } catch { throw socketError(error) }
    }

    static func socketError(_ error: APIListener.BindError) -> StartupError {
        if case .notASocket = error { return .configuration("api.socket: \(error)") }
        return .cannotCreate("API socket: \(error)")
    }

    /// Refuses to take over the socket of a daemon that is still running.
    static func refuseIfSocketInUse(_ path: String) throws(StartupError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8).prefix($0.count - 1)) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc == 0 { throw .cannotCreate("another giftbridged is already listening on \(path)") }
    }

    /// Demo cards, created once in an empty demo ledger. Their numbers are printed in README.
    public static let demoCards: [(number: String, form: CardForm, status: CardStatus, minor: Int64, regCode: String?)] = [
        ("6035710000000000", .physical, .active, 2500, nil),
        ("6006491000000000018", .physical, .active, 4000, "1234"),
        ("6035710000000028", .digital, .active, 1550, nil),
        ("6035710000000048", .physical, .inactive, 0, nil),
        ("6035710000000068", .physical, .blocked, 1000, nil),
    ]

    static func seedDemoCards(_ ledger: any LedgerStore, currency: Currency, logger: Logger) async throws(StartupError) {
        do {
            guard try await ledger.cardCount() == 0 else { return }
            for c in demoCards {
                try await ledger.addCard(
                    number: c.number, form: c.form, status: c.status, balance: Money(minorUnits: c.minor, currency: currency),
                    maximumBalance: nil, expiresOn: nil, registrationCode: c.regCode)
            }
            // A shop and two contacts for Piggy-style prepaid balances.
            try await ledger.addShop(Shop(uuid: "demo-shop", name: "giftbridge demo shop"))
            try await ledger.addContact(Contact(uuid: "demo-contact-1", email: "ann@example.com", identifierValue: "MEMBER-0001", identifierName: "Demo membership", prepaidBalance: .zero(currency)))
            try await ledger.addContact(Contact(uuid: "demo-contact-2", email: "bob@example.com", identifierValue: "MEMBER-0002", identifierName: "Demo membership", prepaidBalance: .zero(currency)))
            _ = try await ledger.prepaidTransaction(contactUuid: "demo-contact-1", identifierValue: nil, shopUuid: "demo-shop", amount: 1500, context: OperationContext())
        } catch {
            throw .unavailable("cannot seed the demo ledger: \(error)")
        }
        logger.info("demo ledger seeded", metadata: ["cards": "\(demoCards.count)"])
    }
}

/// Announces the shutdown (STOPPING=1) and ends the event streams so open clients do not hold
/// the server.
struct ShutdownService: Service {
    let notifier: SystemdNotifier
    let events: EventBus
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down")
        notifier.notify("STOPPING=1")
        events.close()
    }
}

/// Runs one device loop per configured reader and feeds their reads, in order, to the pipeline.
final class ReaderService: Service, Sendable {
    enum Input: Sendable {
        case read(ReaderInput, reader: String), overflow(reader: String), badReport(String, reader: String), keysLost(reader: String)
        /// A contactless read that failed (the card left the field, a bad cryptogram …).
        case nfcError(NFCReadError, reader: String)
    }

    let statuses: [ReaderStatus]
    private let pipeline: CardPipeline
    private let events: EventBus
    private let logger: Logger

    init(configs: [ReaderConfig], pipeline: CardPipeline, events: EventBus, logger: Logger) {
        self.statuses = configs.map(ReaderStatus.init)
        self.pipeline = pipeline
        self.events = events
        self.logger = logger
    }

    struct LinkEvent: Encodable { var reader: String; var path: String; var reason: String? }

    func run() async throws {
        let (inputs, sink) = AsyncStream.makeStream(of: Input.self, bufferingPolicy: .bufferingOldest(256))
        let loops: [any ReaderLoop] = statuses.compactMap { status -> (any ReaderLoop)? in
            let c = status.config
            let onLink = linkHandler(status)
            if c.kind == .pcsc, let pcsc = c.pcsc {
                do {
                    return try PCSCReader(
                        name: c.id, settings: .init(namePattern: pcsc.namePattern, exclusive: pcsc.exclusive),
                        reader: pcsc.contactlessReader, onLink: onLink,
                        deliver: { [logger] event in
                            // From pcscd's word that a card is in the field to the end of its read.
                            let d = (ContinuousClock.now - event.placed).components
                            logger.debug("contactless exchange done", metadata: ["reader": "\(c.id)", "ms": "\(d.seconds * 1000 + d.attoseconds / 1_000_000_000_000_000)"])
                            switch event.result {
                            case .success(let read): sink.yield(.read(.nfc(read), reader: c.id))
                            case .failure(let error): sink.yield(.nfcError(error, reader: c.id))
                            }
                        })
                } catch {
                    status.update { $0.state = "detached"; $0.detail = "\(error)" }
                    logger.error("PC/SC reader not started", metadata: ["reader": "\(c.id)", "error": "\(error)"])
                    return nil
                }
            }
            return DeviceLoop(
                name: c.id,
                open: { () throws -> any DeviceLoop.Session in
                    // A reader matched by USB ids: whichever node it has now.
                    let path = try c.match?.resolve() ?? c.path
                    switch c.kind {
                    case .serial, .serialMSR:
                        return try SerialReadSession(path: path, settings: c.serial, idleTimeoutMilliseconds: c.idleTimeoutMs, framer: ReadFramer()) { output in
                            switch output {
                            case .read(let bytes): sink.yield(.read(.bytes(bytes), reader: c.id))
                            case .overflow: sink.yield(.overflow(reader: c.id))
                            }
                        }
                    case .evdev:
                        return try EvdevReadSession(path: path, idleTimeoutMilliseconds: c.idleTimeoutMs) { output in
                            switch output {
                            case .read(let keys): sink.yield(.read(.keys(keys), reader: c.id))
                            case .overflow: sink.yield(.overflow(reader: c.id))
                            case .keysLost: sink.yield(.keysLost(reader: c.id))
                            }
                        }
                    case .hidrawMagtek, .hidrawPOS:
                        let kind: HidrawReadSession.Kind = c.kind == .hidrawMagtek ? .magtek : .posScanner(descriptor: c.reportDescriptor)
                        return try HidrawReadSession(path: path, kind: kind, idleTimeoutMilliseconds: c.idleTimeoutMs) { output in
                            switch output {
                            case .magtekReport(let report): sink.yield(.read(.magtekReport(report), reader: c.id))
                            case .scan(let text): sink.yield(.read(.bytes(text), reader: c.id))
                            case .badReport(let why): sink.yield(.badReport(why, reader: c.id))
                            }
                        }
                    case .pcsc:
                        throw SystemError("open", "a pcsc reader has no device node", errno: ENODEV)
                    }
                },
                onLink: onLink)
        }
        // Hot-plug: udev (or the kernel) says when a node appears, and every waiting reader tries
        // at once; without a monitor, a missing reader is tried every 5 s at most.
        var monitor: UdevMonitor?
        if !loops.isEmpty {
            do {
                let m = try UdevMonitor()
                for case let loop as DeviceLoop in loops { loop.maximumBackoffMs = 60_000 }
                m.start { [logger] event in
                    guard event.action == "add" || event.action == "change" || event.action == "bind" else { return }
                    logger.debug("hot-plug", metadata: ["action": "\(event.action)", "subsystem": "\(event.subsystem)", "node": "\(event.devnode ?? "-")"])
                    for loop in loops { loop.retryNow() }
                }
                monitor = m
                logger.info("watching for hot-plugged readers", metadata: ["source": "\(m.source)"])
            } catch {
                logger.notice("no udev monitor; missing readers are retried every 5 s", metadata: ["error": "\(error)"])
            }
        }
        for loop in loops { loop.start() }
        for await input in inputs.cancelOnGracefulShutdown() {
            switch input {
            case .read(let input, let reader):
                let published = await pipeline.handleRead(input, reader: reader)
                let failed = published.contains { $0.type == "card.error" }
                statuses.first { $0.config.id == reader }?.update {
                    $0.reads += 1
                    if failed { $0.errors += 1 }
                }
            case .overflow(let reader):
                statuses.first { $0.config.id == reader }?.update { $0.errors += 1 }
                pipeline.reportError(reader: reader, reason: "read_too_long", message: "the reader sent more than 1024 bytes without a terminator")
            case .badReport(let why, let reader):
                statuses.first { $0.config.id == reader }?.update { $0.errors += 1 }
                pipeline.reportError(reader: reader, reason: "bad_report", message: why)
            case .nfcError(let error, let reader):
                statuses.first { $0.config.id == reader }?.update {
                    $0.reads += 1
                    $0.errors += 1
                }
                pipeline.reportError(reader: reader, reason: error.reasonCode, message: error.description)
            case .keysLost(let reader):
                statuses.first { $0.config.id == reader }?.update { $0.errors += 1 }
                pipeline.reportError(reader: reader, reason: "keys_lost", message: "the kernel dropped key events (the reader typed faster than they were read); swipe again")
            }
        }
        monitor?.stop()
        for loop in loops { loop.stop() }
    }

    /// What a reader's link events do: its status, `device.added` / `device.removed` /
    /// `device.error`, and the log.
    private func linkHandler(_ status: ReaderStatus) -> @Sendable (DeviceLinkEvent) -> Void {
        let c = status.config
        return { [events, logger] link in
            switch link {
            case .attached:
                status.update { $0.state = "attached"; $0.detail = nil }
                events.publish("device.added", LinkEvent(reader: c.id, path: c.path))
                logger.info("reader attached", metadata: ["reader": "\(c.id)", "path": "\(c.path)"])
            case .detached(let reason):
                // Unplugged after working: device.removed; cannot be opened: device.error.
                var wasAttached = false
                status.update {
                    wasAttached = $0.state == "attached"
                    $0.state = "detached"
                    $0.detail = reason
                }
                events.publish(wasAttached ? "device.removed" : "device.error", LinkEvent(reader: c.id, path: c.path, reason: reason))
                logger.warning("reader not available; retrying", metadata: ["reader": "\(c.id)", "path": "\(c.path)", "reason": "\(reason)"])
            }
        }
    }
}
