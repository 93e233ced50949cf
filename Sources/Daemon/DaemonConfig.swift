import CardReading
import Configuration
import Devices
import ESCPOS
import Foundation
import GiftbridgeClient
import Ledger
import LocalAPI
import Logging
import NFC
import SystemPackage
import Yams

/// A configuration problem, naming the key and where its value came from.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var key: String?
    public var message: String

    public init(key: String?, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String {
        if let key { return "configuration key '\(key)': \(message)" }
        return "configuration: \(message)"
    }
}

/// What to do with a swipe on a reader.
public enum SwipeAction: String, Sendable, CaseIterable {
    /// Look up the balance and print a balance receipt.
    case balanceReceipt = "balance-receipt"
    /// Look up the balance and report it on the event stream only.
    case balance
    /// Only report the read; the POS decides.
    case none
}

public struct ReaderConfig: Sendable, Equatable {
    /// `serial`: a tty (USB serial, CDC-ACM, RS-232) sending text; `evdev`: a keyboard-wedge
    /// reader or scanner on its own input event node, grabbed. Either may send swipes or barcodes.
    public enum Kind: String, Sendable, CaseIterable {
        case serial
        case serialMSR = "serial-msr"
        case evdev
        /// A MagTek swipe reader in HID mode on `/dev/hidrawN` (337-byte reports).
        case hidrawMagtek = "hidraw-magtek"
        /// A bar code scanner in HID POS mode on `/dev/hidrawN`.
        case hidrawPOS = "hidraw-pos"
        /// A contactless reader driven by pcscd, picked by a pattern on its PC/SC name.
        case pcsc
    }
    /// What a reader sends: `auto` tells swipes from barcodes by their shape; an NFC reader
    /// that decodes wallet passes on board sends `vas`.
    public enum Content: String, Sendable, CaseIterable {
        case auto, magstripe, barcode, vas
    }
    public var id: String
    public var kind: Kind
    public var path: String
    public var serial: SerialSettings
    public var idleTimeoutMs: Int32
    public var lrc: LRCMode
    /// The keyboard layout an evdev reader is set up for.
    public var layout: KeyboardLayout
    public var content: Content = .auto
    /// Text the scanner is set to put before / after each barcode, removed before decoding.
    public var barcodePrefix = ""
    public var barcodeSuffix = ""
    /// Wallet pass reads: characters between the A/G marker and the payload, and the kind of a
    /// read without a marker (nil: a marker is required).
    public var vasSeparator = ""
    public var vasUnmarked: WalletKind?
    /// A `hidraw-pos` scanner's report descriptor from a file instead of from the device.
    public var reportDescriptor: [UInt8]?
    /// The reader found by USB ids instead of a fixed path (`usb-id`, `usb-serial`, `usb-interface`).
    public var match: DeviceMatch?
    /// A `pcsc` reader's settings.
    public var pcsc: PCSCReaderConfig?
}

/// A PC/SC contactless reader: which reader, how the card is shared, and what is asked of phones.
public struct PCSCReaderConfig: Sendable, Equatable {
    /// `readers.<id>.reader-name`: a regular expression on the PC/SC reader name.
    public var namePattern: String
    /// `readers.<id>.share`: `exclusive` or `shared`.
    public var exclusive: Bool
    /// `readers.<id>.vas.merchants`: pass type identifiers and their keys, asked in this order.
    public var merchants: [VASMerchant]
    /// `readers.<id>.vas.url`: URL-only mode (alone), or the URL sent with the pass request.
    public var vasURL: String?
    /// `readers.<id>.vas.timestamp-tolerance-seconds`.
    public var timestampToleranceSeconds: Int64

    public static func == (a: PCSCReaderConfig, b: PCSCReaderConfig) -> Bool {
        a.namePattern == b.namePattern && a.exclusive == b.exclusive && a.vasURL == b.vasURL
            && a.timestampToleranceSeconds == b.timestampToleranceSeconds
            && a.merchants.map(\.passTypeId) == b.merchants.map(\.passTypeId) && a.merchants.map(\.keyId) == b.merchants.map(\.keyId)
    }

    public var contactlessReader: ContactlessReader {
        ContactlessReader(merchants: merchants, vasURL: vasURL, timestampToleranceSeconds: timestampToleranceSeconds)
    }
}

/// Where the embedded ledger lives.
public enum LedgerBackend: Sendable, Equatable {
    case sqlite
    /// A PostgreSQL server shared by several tills: TCP host and port, or a Unix socket path.
    case postgresql(host: String?, port: Int, socket: String?, user: String, database: String, passwordFile: String?)
    /// A provider's cloud (`ledger.paytronix.*`, `ledger.piggy.*`, `ledger.zmyle.*`).
    case remote(RemoteLedgerConfig)

    public enum Kind: String, CaseIterable, Sendable { case sqlite, postgresql, paytronix, piggy, zmyle }
}

/// A remote ledger's settings. The credentials themselves are not here: only where to read
/// them (a file, or an environment variable), at start-up.
public struct RemoteLedgerConfig: Sendable, Equatable {
    public var provider: LedgerBackend.Kind
    public var baseURL: String
    public var credentialsFile: String?
    public var credentialsEnv: String?
    public var connectTimeoutMs: Int
    public var readTimeoutMs: Int
    /// Paytronix: `merchant-id`, `store-code`.
    public var merchantId: Int64?
    public var storeCode: String?
    /// Piggy: the shop prepaid transactions are made at when the POS names none.
    public var shopUuid: String?

    static let providerKeys = ["base-url", "credentials-file", "credentials-env", "connect-timeout-ms", "read-timeout-ms"]
    static let extraKeys: [LedgerBackend.Kind: [String]] = [.paytronix: ["merchant-id", "store-code"], .piggy: ["shop-uuid"], .zmyle: []]

    /// The settings under `ledger.<provider>.`, read through `string`; throws naming the key.
    static func load(_ provider: LedgerBackend.Kind, string: (String) -> String?) throws(ConfigError) -> RemoteLedgerConfig {
        let k = "ledger.\(provider.rawValue)."
        guard let url = string(k + "base-url"), url.hasPrefix("https://") || url.hasPrefix("http://"), URL(string: url)?.host != nil else {
            throw ConfigError(key: k + "base-url", "is required: the provider's API, an http(s) URL")
        }
        let file = string(k + "credentials-file")
        let env = string(k + "credentials-env")
        guard (file == nil) != (env == nil) else {
            throw ConfigError(key: k + "credentials-file", "give exactly one of credentials-file (a file holding the credentials) and credentials-env (the name of an environment variable holding them)")
        }
        if let file, !file.hasPrefix("/") { throw ConfigError(key: k + "credentials-file", "'\(file)' is not an absolute path") }
        func ms(_ key: String, _ value: Int) throws(ConfigError) -> Int {
            guard let text = string(k + key) else { return value }
            guard let v = Int(text), (50...120_000).contains(v) else { throw ConfigError(key: k + key, "'\(text)' is not a whole number from 50 to 120000") }
            return v
        }
        var config = RemoteLedgerConfig(
            provider: provider, baseURL: url, credentialsFile: file, credentialsEnv: env,
            connectTimeoutMs: try ms("connect-timeout-ms", 3000), readTimeoutMs: try ms("read-timeout-ms", 10_000))
        switch provider {
        case .paytronix:
            guard let text = string(k + "merchant-id"), let id = Int64(text), id > 0 else {
                throw ConfigError(key: k + "merchant-id", "is required: the Paytronix merchant id (a whole number)")
            }
            guard let store = string(k + "store-code"), !store.isEmpty, store.count <= 100 else {
                throw ConfigError(key: k + "store-code", "is required: the store's code (1 to 100 characters)")
            }
            config.merchantId = id
            config.storeCode = store
        case .piggy:
            guard let shop = string(k + "shop-uuid"), !shop.isEmpty, shop.count <= 100 else {
                throw ConfigError(key: k + "shop-uuid", "is required: the uuid of the Piggy shop this till books at")
            }
            config.shopUuid = shop
        default: break
        }
        return config
    }
}

public struct PrinterConfig: Sendable, Equatable {
    public var target: PrinterTarget
    public var profile: PrinterProfile
    public var connectTimeoutMs: Int32
    /// `printer.drawer.*`: the cash drawer on the printer's kick-out connector.
    public var drawer = CashDrawer()
}

public struct ShopConfig: Sendable, Equatable {
    public var name: String
    public var header: [String]
    public var footer: [String]
    public var terminal: String?
    /// `shop.locale`: the receipts' language and the money and date forms of receipts and API.
    public var locale: ReceiptLocale = .default
}

/// The loopback TCP listener: where, and who may use it (the token is read from its file at start).
public struct TCPListenerConfig: Sendable {
    public var host: String
    public var port: Int
    public var access: TCPAccess
}

/// The daemon's whole configuration, validated.
public struct DaemonConfig: Sendable {
    public var demo: Bool
    public var stateDirectory: String
    public var socketPath: String
    public var allowSimulate: Bool
    /// A connection without a request in progress is closed after this long.
    public var idleTimeoutSeconds = 30
    /// A request's body must have arrived this long after its head (408, then closed).
    public var requestDeadlineSeconds = 10
    /// The optional loopback TCP listener for browser-based POS (`api.tcp.*`); off when nil.
    public var tcpListener: TCPListenerConfig?
    public var ledgerBackend: LedgerBackend
    public var ledgerPath: String
    public var keyFile: String
    public var currency: Currency
    /// How long an unconfirmed hold lives before it is released by itself.
    public var holdLifetimeSeconds: Int
    public var shop: ShopConfig
    public var printer: PrinterConfig?
    public var swipeAction: SwipeAction
    public var readers: [ReaderConfig]
    /// The shop's rules for what a barcode is (`normalization.rules`), in order.
    public var normalizationRules: [NormalizationRule] = []
    /// Payment cards are refused; with `cards.ranges`, so is every number outside the shop's ranges.
    public var cardGuard = PaymentCardGuard()
    /// The largest amount one operation may move (`ledger.max-amount`, minor units).
    public var maximumAmount: Int64 = 1_000_000
    public var logLevel: Logger.Level
    /// The configuration file that was read, if any.
    public var configFile: String?
    /// The receipts' layouts: the built-in templates, or the shop's (`receipts.templates.<kind>`).
    public var receiptTemplates = ReceiptTemplates.builtIn

    public static let defaultConfigFile = DefaultPaths.configFile
    public static let defaultSocket = DefaultPaths.socket
    public static let defaultStateDirectory = DefaultPaths.stateDirectory
}

/// The keys a configuration file may hold; `*` stands for a reader id.
enum ConfigSchema {
    enum Shape { case scalar, list }
    static let keys: [String: Shape] = [
        "api.socket": .scalar, "api.simulate": .scalar, "api.idle-timeout-seconds": .scalar,
        "api.request-deadline-seconds": .scalar,
        "api.tcp.listen": .scalar, "api.tcp.token-file": .scalar, "api.tcp.cors-origins": .list,
        "state.directory": .scalar,
        "ledger.path": .scalar, "ledger.key-file": .scalar, "ledger.currency": .scalar, "ledger.hold-ttl-seconds": .scalar,
        "ledger.backend": .scalar, "ledger.postgresql.host": .scalar, "ledger.postgresql.port": .scalar,
        "ledger.postgresql.socket": .scalar, "ledger.postgresql.user": .scalar, "ledger.postgresql.database": .scalar,
        "ledger.postgresql.password-file": .scalar,
        // Remote ledgers: RemoteLedgerConfig.
        "ledger.paytronix.base-url": .scalar, "ledger.paytronix.credentials-file": .scalar, "ledger.paytronix.credentials-env": .scalar,
        "ledger.paytronix.connect-timeout-ms": .scalar, "ledger.paytronix.read-timeout-ms": .scalar,
        "ledger.paytronix.merchant-id": .scalar, "ledger.paytronix.store-code": .scalar,
        "ledger.piggy.base-url": .scalar, "ledger.piggy.credentials-file": .scalar, "ledger.piggy.credentials-env": .scalar,
        "ledger.piggy.connect-timeout-ms": .scalar, "ledger.piggy.read-timeout-ms": .scalar, "ledger.piggy.shop-uuid": .scalar,
        "ledger.zmyle.base-url": .scalar, "ledger.zmyle.credentials-file": .scalar, "ledger.zmyle.credentials-env": .scalar,
        "ledger.zmyle.connect-timeout-ms": .scalar, "ledger.zmyle.read-timeout-ms": .scalar,
        "shop.name": .scalar, "shop.header": .list, "shop.footer": .list, "shop.terminal": .scalar, "shop.locale": .scalar,
        "receipts.templates.balance": .scalar, "receipts.templates.transaction": .scalar, "receipts.templates.hold": .scalar,
        "printer.target": .scalar, "printer.profile": .scalar, "printer.connect-timeout-ms": .scalar,
        "printer.drawer.pin": .scalar, "printer.drawer.pulse-ms": .scalar, "printer.drawer.open-when": .scalar,
        "swipe.action": .scalar,
        "log.level": .scalar,
        "readers.*.type": .scalar, "readers.*.path": .scalar, "readers.*.baud": .scalar,
        "readers.*.data-bits": .scalar, "readers.*.parity": .scalar, "readers.*.stop-bits": .scalar,
        "readers.*.flow-control": .scalar, "readers.*.idle-timeout-ms": .scalar, "readers.*.lrc": .scalar,
        "readers.*.layout": .scalar, "readers.*.content": .scalar, "readers.*.barcode-prefix": .scalar,
        "readers.*.barcode-suffix": .scalar, "readers.*.vas-separator": .scalar, "readers.*.vas-unmarked": .scalar,
        "readers.*.report-descriptor": .scalar, "readers.*.usb-id": .scalar, "readers.*.usb-serial": .scalar,
        "readers.*.usb-interface": .scalar,
        "readers.*.reader-name": .scalar, "readers.*.share": .scalar, "readers.*.vas.merchants": .list,
        "readers.*.vas.url": .scalar, "readers.*.vas.timestamp-tolerance-seconds": .scalar,
        "normalization.rules": .list,
        "cards.ranges": .list, "ledger.max-amount": .scalar,
    ]

    /// What the schema check found besides the keys: reader ids and normalization rules.
    struct Checked {
        var readers: [String] = []
        var rules: [NormalizationRule] = []
        /// `readers.<id>.vas.merchants` by reader id: pass type identifier and key file.
        var merchants: [String: [(passTypeId: String, keyFile: String)]] = [:]
    }

    /// Checks a YAML document's keys and shapes; returns the reader ids and normalization rules
    /// it declares, or nil for an empty document.
    static func check(yaml text: String, file: String) throws(ConfigError) -> Checked? {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw ConfigError(key: nil, "\(file) is not valid YAML: \(error)")
        }
        guard let root else { return nil }
        guard let map = root as? [String: Any] else { throw ConfigError(key: nil, "\(file) must be a YAML mapping of keys") }
        var readers: [String] = []
        try walk(map, path: [], readers: &readers)
        var rules: [NormalizationRule] = []
        if let list = (map["normalization"] as? [String: Any])?["rules"] as? [Any] {
            for (i, item) in list.enumerated() { rules.append(try rule(item, key: "normalization.rules[\(i)]")) }
        }
        var merchants: [String: [(passTypeId: String, keyFile: String)]] = [:]
        for (id, settings) in (map["readers"] as? [String: Any]) ?? [:] {
            guard let list = ((settings as? [String: Any])?["vas"] as? [String: Any])?["merchants"] as? [Any] else { continue }
            merchants[id] = try list.enumerated().map { (i, item) throws(ConfigError) in try merchant(item, key: "readers.\(id).vas.merchants[\(i)]") }
        }
        return Checked(readers: readers.sorted(), rules: rules, merchants: merchants)
    }

    /// The document's scalar values and lists of scalars by key, each value exactly as written
    /// (no YAML type guessing). The normalization rules (a list of mappings) are read by
    /// ``check(yaml:file:)`` instead.
    static func flatten(yaml text: String, file: String) throws(ConfigError) -> [AbsoluteConfigKey: ConfigValue] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigError(key: nil, "\(file) is not valid YAML: \(error)")
        }
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        func visit(_ node: Node, _ path: [String]) {
            switch node {
            case .scalar(let scalar):
                values[AbsoluteConfigKey(path)] = ConfigValue(.string(scalar.string), isSecret: false)
            case .sequence(let sequence):
                let items = sequence.compactMap(\.scalar?.string)
                if items.count == sequence.count { values[AbsoluteConfigKey(path)] = ConfigValue(.stringArray(items), isSecret: false) }
            case .mapping(let mapping):
                for (k, v) in mapping { if let key = k.scalar?.string { visit(v, path + [key]) } }
            case .alias:
                break
            }
        }
        if let root { visit(root, []) }
        return values
    }

    /// One VAS merchant: `{pass-type-id: pass.com.example.gift, key-file: /etc/giftbridge/vas.pem}`.
    static func merchant(_ item: Any, key: String) throws(ConfigError) -> (passTypeId: String, keyFile: String) {
        guard let map = item as? [String: Any] else { throw ConfigError(key: key, "must be a mapping with pass-type-id and key-file") }
        for k in map.keys where !["pass-type-id", "key-file"].contains(k) {
            throw ConfigError(key: key + "." + k, "unknown key; keys here are pass-type-id, key-file")
        }
        guard let id = map["pass-type-id"].map({ "\($0)" }), !id.isEmpty, id.utf8.count <= 255 else {
            throw ConfigError(key: key + ".pass-type-id", "is required: the pass type identifier, e.g. pass.com.example.giftcard")
        }
        guard let file = map["key-file"].map({ "\($0)" }), file.hasPrefix("/") else {
            throw ConfigError(key: key + ".key-file", "is required: the absolute path of the merchant's PEM P-256 private key (mode 0600)")
        }
        return (id, file)
    }

    /// One rule: `{symbologies: [code128, ...], pattern: REGEX, field: printedCardNumber|...}`.
    static func rule(_ item: Any, key: String) throws(ConfigError) -> NormalizationRule {
        guard let map = item as? [String: Any] else {
            throw ConfigError(key: key, "must be a mapping with pattern, field and optionally symbologies")
        }
        for k in map.keys where !["symbologies", "nfc", "pattern", "field"].contains(k) {
            throw ConfigError(key: key + "." + k, "unknown key; keys here are field, nfc, pattern, symbologies")
        }
        guard let pattern = map["pattern"].map({ "\($0)" }) else { throw ConfigError(key: key + ".pattern", "is required") }
        guard let fieldText = map["field"].map({ "\($0)" }), let field = CardField(rawValue: fieldText) else {
            throw ConfigError(key: key + ".field", "must be one of \(CardField.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var symbologies: Set<Symbology> = []
        let names: [Any] = (map["symbologies"] as? [Any]) ?? (map["symbologies"].map { [$0] } ?? [])
        for name in names {
            guard let s = Symbology(rawValue: "\(name)") else {
                throw ConfigError(key: key + ".symbologies", "'\(name)' is not one of \(Symbology.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            symbologies.insert(s)
        }
        var nfc: Set<NFCSource> = []
        let sources: [Any] = (map["nfc"] as? [Any]) ?? (map["nfc"].map { [$0] } ?? [])
        for name in sources {
            guard let s = NFCSource(rawValue: "\(name)") else {
                throw ConfigError(key: key + ".nfc", "'\(name)' is not one of \(NFCSource.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            nfc.insert(s)
        }
        if !nfc.isEmpty && !symbologies.isEmpty { throw ConfigError(key: key + ".nfc", "a rule is for barcodes (symbologies) or for NFC reads (nfc), not both") }
        do {
            return try NormalizationRule(symbologies: symbologies, nfc: nfc, pattern: pattern, field: field)
        } catch {
            throw ConfigError(key: key + ".pattern", "'\(pattern)' is not a valid regular expression")
        }
    }

    private static func walk(_ map: [String: Any], path: [String], readers: inout [String]) throws(ConfigError) {
        for (k, v) in map {
            let p = path + [k]
            let key = p.joined(separator: ".")
            if p.count == 2, p[0] == "readers" {
                guard k.range(of: "^[A-Za-z0-9_-]{1,32}$", options: .regularExpression) != nil else {
                    throw ConfigError(key: key, "a reader id must be 1 to 32 letters, digits, '-' or '_'")
                }
                guard v is [String: Any] else { throw ConfigError(key: key, "must be a mapping of reader settings") }
                readers.append(k)
            }
            if let sub = v as? [String: Any] {
                try walk(sub, path: p, readers: &readers)
                continue
            }
            let pattern = p.count >= 3 && p[0] == "readers" ? "readers.*." + p[2...].joined(separator: ".") : key
            guard let shape = keys[pattern] else {
                let known = keys.keys.filter { $0.hasPrefix((p.first ?? "") + ".") }.sorted()
                throw ConfigError(key: key, "unknown key" + (known.isEmpty ? "" : "; keys here are \(known.joined(separator: ", "))"))
            }
            switch (shape, v) {
            case (.list, is [Any]): break
            case (.list, _): throw ConfigError(key: key, "must be a list")
            case (.scalar, is [Any]): throw ConfigError(key: key, "must be a single value, not a list")
            default: break
            }
        }
    }
}

extension DaemonConfig {
    /// Reads the configuration: flags over environment (`GIFTBRIDGE_*`) over the YAML file over
    /// the defaults (demo defaults with `demo`). Throws a ``ConfigError`` naming the bad key.
    public static func load(
        configFile: String?, flags: [String: String], environment: [String: String], demo: Bool
    ) async throws(ConfigError) -> DaemonConfig {
        // The file: an explicit one must exist; the default one may be absent.
        let file = configFile ?? defaultConfigFile
        var readerIds: [String] = []
        var rules: [NormalizationRule] = []
        var merchantFiles: [String: [(passTypeId: String, keyFile: String)]] = [:]
        var fileProvider: (any ConfigProvider)?
        if FileManager.default.fileExists(atPath: file) {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(key: nil, "cannot read \(file) (permissions?)")
            }
            if let checked = try ConfigSchema.check(yaml: text, file: file) {
                readerIds = checked.readers
                rules = checked.rules
                merchantFiles = checked.merchants
                fileProvider = InMemoryProvider(name: file, values: try ConfigSchema.flatten(yaml: text, file: file))
            }
        } else if configFile != nil {
            throw ConfigError(key: nil, "config file \(file) does not exist")
        }

        var env: [String: String] = [:]
        for (k, v) in environment where k.hasPrefix("GIFTBRIDGE_") && k != "GIFTBRIDGE_SOCKET" {
            env[String(k.dropFirst("GIFTBRIDGE_".count))] = v
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue(.string($0.value), isSecret: false)) })),
            EnvironmentVariablesProvider(environmentVariables: env),
        ]
        if let fileProvider { providers.append(fileProvider) }
        let reader = ConfigReader(providers: providers)
        func string(_ key: String) -> String? {
            reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init)))
        }
        func list(_ key: String) -> [String]? {
            reader.stringArray(forKey: ConfigKey(key.split(separator: ".").map(String.init)))
        }
        func parse<T>(_ key: String, default value: T, _ convert: (String) -> T?, expected: String) throws(ConfigError) -> T {
            guard let text = string(key) else { return value }
            guard let v = convert(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError(key: key, "'\(text)' is not \(expected)")
            }
            return v
        }
        func bool(_ text: String) -> Bool? {
            switch text.lowercased() {
            case "true", "yes", "on", "1": true
            case "false", "no", "off", "0": false
            default: nil
            }
        }
        func absolutePath(_ key: String, default value: String) throws(ConfigError) -> String {
            try parse(key, default: value, { $0.hasPrefix("/") ? $0 : nil }, expected: "an absolute path")
        }
        func int(_ key: String, default value: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
            try parse(key, default: value, { Int($0).flatMap { range.contains($0) ? $0 : nil } }, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        func choice<E: RawRepresentable & CaseIterable>(_ key: String, default value: E) throws(ConfigError) -> E where E.RawValue == String {
            try parse(key, default: value, { E(rawValue: $0) }, expected: "one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        let state = try absolutePath("state.directory", default: demo ? DefaultPaths.demoStateDirectory(environment: environment) : defaultStateDirectory)
        var config = DaemonConfig(
            demo: demo,
            stateDirectory: state,
            socketPath: try absolutePath("api.socket", default: demo ? state + "/api.sock" : defaultSocket),
            allowSimulate: try parse("api.simulate", default: demo, bool, expected: "true or false"),
            ledgerBackend: .sqlite,
            ledgerPath: try absolutePath("ledger.path", default: state + "/ledger.sqlite"),
            keyFile: try absolutePath("ledger.key-file", default: state + "/card-key"),
            currency: try parse("ledger.currency", default: .eur, { Currency(code: $0) }, expected: "a three-letter ISO 4217 currency code"),
            holdLifetimeSeconds: try int("ledger.hold-ttl-seconds", default: 1800, range: 1...604_800),
            shop: ShopConfig(
                name: string("shop.name") ?? (demo ? "giftbridge demo shop" : "Gift card"),
                header: list("shop.header") ?? (demo ? ["1 Example Street", "Springfield"] : []),
                footer: list("shop.footer") ?? (demo ? ["Thank you!"] : []),
                terminal: string("shop.terminal"),
                locale: try parse("shop.locale", default: ReceiptLocale.default, { ReceiptLocale.named($0) }, expected: "one of \(ReceiptLocale.all.map(\.identifier).joined(separator: ", "))")),
            printer: nil,
            swipeAction: try choice("swipe.action", default: SwipeAction.balanceReceipt),
            readers: [],
            logLevel: try parse("log.level", default: .info, { Logger.Level(rawValue: $0) }, expected: "one of trace, debug, info, notice, warning, error, critical"),
            configFile: FileManager.default.fileExists(atPath: file) ? file : nil)
        config.normalizationRules = rules
        config.cardGuard = PaymentCardGuard(giftCardRanges: try (list("cards.ranges") ?? []).map { (text) throws(ConfigError) in
            guard let range = GiftCardRange(parsing: text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError(key: "cards.ranges", "'\(text)' is not PREFIX, PREFIX:LENGTH or PREFIX:MIN-MAX (e.g. 603571:16 or 600649:16-19)")
            }
            return range
        })
        config.maximumAmount = Int64(try int("ledger.max-amount", default: 1_000_000, range: 1...Int(MoneyLimits.maximumAmount)))
        if config.socketPath.utf8.count >= 108 {
            throw ConfigError(key: "api.socket", "the path is longer than a Unix socket path may be (107 bytes)")
        }

        let backendKind = try choice("ledger.backend", default: LedgerBackend.Kind.sqlite)
        if [.paytronix, .piggy, .zmyle].contains(backendKind) {
            config.ledgerBackend = .remote(try RemoteLedgerConfig.load(backendKind, string: string))
        }
        if backendKind == .postgresql {
            let host = string("ledger.postgresql.host")
            let socket = string("ledger.postgresql.socket")
            guard (host == nil) != (socket == nil) else {
                throw ConfigError(key: "ledger.postgresql.host", "give exactly one of ledger.postgresql.host and ledger.postgresql.socket")
            }
            if let socket, !socket.hasPrefix("/") { throw ConfigError(key: "ledger.postgresql.socket", "'\(socket)' is not an absolute path") }
            let passwordFile = string("ledger.postgresql.password-file")
            if let passwordFile, !passwordFile.hasPrefix("/") {
                throw ConfigError(key: "ledger.postgresql.password-file", "'\(passwordFile)' is not an absolute path")
            }
            config.ledgerBackend = .postgresql(
                host: host, port: try int("ledger.postgresql.port", default: 5432, range: 1...65535), socket: socket,
                user: string("ledger.postgresql.user") ?? "giftbridge", database: string("ledger.postgresql.database") ?? "giftbridge",
                passwordFile: passwordFile)
        }

        config.idleTimeoutSeconds = try int("api.idle-timeout-seconds", default: 30, range: 1...3600)
        config.requestDeadlineSeconds = try int("api.request-deadline-seconds", default: 10, range: 1...3600)
        if let listen = string("api.tcp.listen") {
            config.tcpListener = try Self.tcpListener(listen: listen, tokenFile: string("api.tcp.token-file"), origins: list("api.tcp.cors-origins") ?? [])
        }

        let targetText = string("printer.target") ?? (demo ? "file:" + state + "/receipts.escpos" : nil)
        if let targetText, !targetText.isEmpty {
            let target: PrinterTarget
            switch PrinterTarget.parse(targetText) {
            case .success(let t): target = t
            case .failure(let e): throw ConfigError(key: "printer.target", e.why)
            }
            let profileName = string("printer.profile") ?? PrinterProfile.generic80mm.name
            guard let profile = PrinterProfile.named(profileName) else {
                throw ConfigError(key: "printer.profile", "'\(profileName)' is not one of \(PrinterProfile.all.map(\.name).joined(separator: ", "))")
            }
            config.printer = PrinterConfig(
                target: target, profile: profile,
                connectTimeoutMs: Int32(try int("printer.connect-timeout-ms", default: 3000, range: 100...60_000)))
            let pin = try int("printer.drawer.pin", default: 2, range: 2...5)
            guard CashDrawer.pins.contains(pin) else { throw ConfigError(key: "printer.drawer.pin", "is 2 or 5 (the drawer kick-out connector's pins)") }
            let openWhen = string("printer.drawer.open-when") ?? "high"
            guard openWhen == "high" || openWhen == "low" else {
                throw ConfigError(key: "printer.drawer.open-when", "is high or low: the level of connector pin 3 that means the drawer is open")
            }
            config.printer?.drawer = CashDrawer(
                pin: pin, onMs: try int("printer.drawer.pulse-ms", default: 100, range: CashDrawer.pulseRange), openWhenHigh: openWhen == "high")
        }
        config.receiptTemplates = try receiptTemplates(string, shop: config.shop, profile: config.printer?.profile ?? .generic80mm)

        for id in readerIds {
            let k = "readers.\(id)."
            let usbId = string(k + "usb-id")
            let kind = try choice(k + "type", default: ReaderConfig.Kind.serial)
            if kind == .pcsc {
                config.readers.append(try pcscReader(id: id, string: string, int: int, merchants: merchantFiles[id] ?? []))
                continue
            }
            for key in ["reader-name", "share", "vas.url", "vas.timestamp-tolerance-seconds"] where string(k + key) != nil {
                throw ConfigError(key: k + key, "only a pcsc reader has this setting")
            }
            if merchantFiles[id] != nil { throw ConfigError(key: k + "vas.merchants", "only a pcsc reader has this setting") }
            guard let path = string(k + "path") ?? usbId.map({ "usb:" + $0 }) else {
                throw ConfigError(key: k + "path", "is required: the device path of the reader (or usb-id VENDOR:PRODUCT)")
            }
            guard path.hasPrefix("/") || usbId != nil else { throw ConfigError(key: k + "path", "'\(path)' is not an absolute path") }
            var serial = SerialSettings()
            serial.baud = try parse(k + "baud", default: 9600, { Int($0).flatMap { SerialSettings.supportedBauds[$0] != nil ? $0 : nil } }, expected: "one of \(SerialSettings.supportedBauds.keys.sorted().map(String.init).joined(separator: ", "))")
            serial.dataBits = try int(k + "data-bits", default: 8, range: 5...8)
            serial.parity = try choice(k + "parity", default: SerialSettings.Parity.none)
            serial.stopBits = try int(k + "stop-bits", default: 1, range: 1...2)
            serial.flowControl = try choice(k + "flow-control", default: SerialSettings.FlowControl.none)
            var reader = ReaderConfig(
                id: id, kind: kind, path: path, serial: serial,
                idleTimeoutMs: Int32(try int(k + "idle-timeout-ms", default: 100, range: 10...5000)),
                lrc: try choice(k + "lrc", default: LRCMode.absent),
                layout: try parse(k + "layout", default: KeyboardLayout.named("us")!, { KeyboardLayout.named($0) }, expected: "one of \(KeyboardLayout.names.joined(separator: ", "))"))
            reader.content = try choice(k + "content", default: kind == .hidrawMagtek || kind == .serialMSR ? .magstripe : kind == .hidrawPOS ? .barcode : ReaderConfig.Content.auto)
            if kind == .hidrawMagtek && reader.content != .magstripe { throw ConfigError(key: k + "content", "a hidraw-magtek reader only reads magstripe") }
            if kind == .hidrawPOS && reader.content != .barcode { throw ConfigError(key: k + "content", "a hidraw-pos scanner only reads barcodes") }
            reader.barcodePrefix = string(k + "barcode-prefix") ?? ""
            reader.barcodeSuffix = string(k + "barcode-suffix") ?? ""
            reader.vasSeparator = string(k + "vas-separator") ?? ""
            if let unmarked = string(k + "vas-unmarked") {
                switch unmarked {
                case "apple": reader.vasUnmarked = .appleVAS
                case "google": reader.vasUnmarked = .googleSmartTap
                case "none": reader.vasUnmarked = nil
                default: throw ConfigError(key: k + "vas-unmarked", "'\(unmarked)' is not one of apple, google, none")
                }
            }
            if let descriptorPath = string(k + "report-descriptor") {
                guard kind == .hidrawPOS else { throw ConfigError(key: k + "report-descriptor", "only a hidraw-pos scanner has a report descriptor") }
                guard let data = FileManager.default.contents(atPath: descriptorPath) else {
                    throw ConfigError(key: k + "report-descriptor", "cannot read \(descriptorPath)")
                }
                do throws(HIDPOSScanner.LayoutError) {
                    _ = try HIDPOSScanner(descriptor: Array(data))
                } catch {
                    throw ConfigError(key: k + "report-descriptor", "\(descriptorPath): \(error)")
                }
                reader.reportDescriptor = Array(data)
            }
            if let usbId {
                let parts = usbId.lowercased().split(separator: ":").map(String.init)
                let hex = { (t: String) in t.count == 4 && t.allSatisfy(\.isHexDigit) }
                guard (1...2).contains(parts.count), parts.allSatisfy(hex) else {
                    throw ConfigError(key: k + "usb-id", "'\(usbId)' is not VENDOR:PRODUCT in hex, e.g. 0801:0001 (or VENDOR alone)")
                }
                guard string(k + "path") == nil else { throw ConfigError(key: k + "usb-id", "give either path or usb-id, not both") }
                let subsystem = switch kind {
                case .serial, .serialMSR: "tty"
                case .evdev: "input"
                case .hidrawMagtek, .hidrawPOS: "hidraw"
                case .pcsc: ""
                }
                reader.match = DeviceMatch(
                    subsystem: subsystem, vendorId: parts[0], productId: parts.count > 1 ? parts[1] : nil,
                    serial: string(k + "usb-serial"), interface: string(k + "usb-interface"))
            } else if string(k + "usb-serial") != nil || string(k + "usb-interface") != nil {
                throw ConfigError(key: k + "usb-id", "usb-serial and usb-interface need usb-id")
            }
            config.readers.append(reader)
        }
        return config
    }
}

extension DaemonConfig {
    /// A `type: pcsc` reader: `reader-name` (a regular expression on the PC/SC reader name,
    /// default: any reader), `share` (`shared` or `exclusive`), `vas.merchants`, `vas.url`,
    /// `vas.timestamp-tolerance-seconds`. Serial and device-node settings do not apply.
    static func pcscReader(
        id: String, string: (String) -> String?, int: (String, Int, ClosedRange<Int>) throws(ConfigError) -> Int,
        merchants files: [(passTypeId: String, keyFile: String)]
    ) throws(ConfigError) -> ReaderConfig {
        let k = "readers.\(id)."
        for key in ["path", "usb-id", "usb-serial", "usb-interface", "baud", "data-bits", "parity", "stop-bits", "flow-control", "lrc", "layout", "report-descriptor", "barcode-prefix", "barcode-suffix", "vas-separator", "vas-unmarked", "idle-timeout-ms"] where string(k + key) != nil {
            throw ConfigError(key: k + key, "a pcsc reader has no such setting (it is picked by reader-name)")
        }
        if let content = string(k + "content"), content != "auto" { throw ConfigError(key: k + "content", "a pcsc reader reads contactless cards and wallet passes; content does not apply") }
        let pattern = string(k + "reader-name") ?? "."
        guard (try? NSRegularExpression(pattern: pattern)) != nil else {
            throw ConfigError(key: k + "reader-name", "'\(pattern)' is not a valid regular expression")
        }
        let share = string(k + "share") ?? "shared"
        guard share == "shared" || share == "exclusive" else { throw ConfigError(key: k + "share", "'\(share)' is not one of shared, exclusive") }
        var merchants: [VASMerchant] = []
        for (i, m) in files.enumerated() {
            let key = "\(k)vas.merchants[\(i)].key-file"
            try checkPrivateKeyFile(m.keyFile, key: key)
            guard let data = FileManager.default.contents(atPath: m.keyFile) else { throw ConfigError(key: key, "cannot read \(m.keyFile)") }
            do {
                merchants.append(try VASMerchant(passTypeId: m.passTypeId, pem: String(decoding: data, as: UTF8.self)))
            } catch {
                throw ConfigError(key: key, "\(m.keyFile): \(error)")
            }
        }
        let url = string(k + "vas.url")
        if let url {
            guard url.hasPrefix("https://"), URL(string: url)?.host != nil, url.utf8.count <= 255 else {
                throw ConfigError(key: k + "vas.url", "'\(url)' is not an https URL of at most 255 bytes")
            }
        }
        let tolerance = try int(k + "vas.timestamp-tolerance-seconds", 120, 1...86_400)
        var reader = ReaderConfig(
            id: id, kind: .pcsc, path: "pcsc:" + pattern, serial: SerialSettings(), idleTimeoutMs: 100, lrc: .absent,
            layout: KeyboardLayout.named("us")!)
        reader.pcsc = PCSCReaderConfig(
            namePattern: pattern, exclusive: share == "exclusive", merchants: merchants, vasURL: url,
            timestampToleranceSeconds: Int64(tolerance))
        return reader
    }

    /// A merchant's private key: a regular file only its owner can read or write (0600 or 0400).
    static func checkPrivateKeyFile(_ path: String, key: String) throws(ConfigError) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ConfigError(key: key, "cannot read \(path): \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ConfigError(key: key, "\(path) is not a regular file") }
        let mode = st.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw ConfigError(key: key, "\(path) has mode 0\(String(mode, radix: 8)): a private key must be readable by its owner only (chmod 0600)")
        }
    }

    /// `api.tcp.*`: a loopback address only (the API moves money; it is not for the network),
    /// a token of at least 32 characters from a file only the daemon reads, exact origins.
    static func tcpListener(listen: String, tokenFile: String?, origins: [String]) throws(ConfigError) -> TCPListenerConfig {
        let (host, port) = try loopbackAddress(listen)
        guard let tokenFile else {
            throw ConfigError(key: "api.tcp.token-file", "is required with api.tcp.listen: a file holding the bearer token")
        }
        guard tokenFile.hasPrefix("/") else { throw ConfigError(key: "api.tcp.token-file", "'\(tokenFile)' is not an absolute path") }
        try checkSecretFileMode(tokenFile, key: "api.tcp.token-file")
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw ConfigError(key: "api.tcp.token-file", "cannot read \(tokenFile)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 32, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ConfigError(key: "api.tcp.token-file", "the token must be at least 32 printable ASCII characters without spaces (e.g. from 'openssl rand -hex 32')")
        }
        for origin in origins {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
                  url.path.isEmpty, !origin.hasSuffix("/") else {
                throw ConfigError(key: "api.tcp.cors-origins", "'\(origin)' is not an origin such as https://pos.example.com or http://localhost:3000")
            }
        }
        return TCPListenerConfig(host: host, port: port, access: TCPAccess(token: token, allowedOrigins: origins))
    }

    /// `api.tcp.listen`: `A.B.C.D:PORT` (an IPv4 address in full) or `[IPV6]:PORT`, read with
    /// inet_pton, on loopback (127.0.0.0/8 or ::1). Host names are refused: what one resolves
    /// to is not known before the bind.
    static func loopbackAddress(_ listen: String) throws(ConfigError) -> (host: String, port: Int) {
        let key = "api.tcp.listen"
        guard let colon = listen.lastIndex(of: ":") else {
            throw ConfigError(key: key, "'\(listen)' is not HOST:PORT (e.g. 127.0.0.1:8765 or [::1]:8765)")
        }
        let portText = listen[listen.index(after: colon)...]
        guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let port = Int(portText), (1...65535).contains(port) else {
            throw ConfigError(key: key, "'\(listen)' is not HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8765)")
        }
        let hostPart = listen[..<colon]
        let host: String
        let loopback: Bool
        if hostPart.hasPrefix("["), hostPart.hasSuffix("]"), hostPart.count > 2 {
            host = String(hostPart.dropFirst().dropLast())
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else {
                throw ConfigError(key: key, "'\(host)' is not an IPv6 address")
            }
            loopback = withUnsafeBytes(of: &address) { Array($0) } == Array(repeating: 0, count: 15) + [1]
        } else {
            host = String(hostPart)
            var address = in_addr()
            guard inet_pton(AF_INET, host, &address) == 1 else {
                throw ConfigError(key: key, "'\(host)' is not an IP address: give an IPv4 address in full (127.0.0.1) or an IPv6 one in brackets ([::1]:8765), not a host name")
            }
            loopback = withUnsafeBytes(of: &address) { $0[0] } == 127
        }
        guard loopback else {
            throw ConfigError(key: key, "'\(host)' is not a loopback address: the TCP listener serves this machine only (127.0.0.1 or ::1)")
        }
        return (host, port)
    }

    /// A file holding a secret must be a regular file that only its owner (and group) can read
    /// and only its owner can write: mode & 0o026 == 0 (0600, 0640, 0400).
    static func checkSecretFileMode(_ path: String, key: String) throws(ConfigError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw ConfigError(key: key, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ConfigError(key: key, "\(path) is not a regular file") }
        let mode = st.st_mode & 0o7777
        guard mode & 0o026 == 0 else {
            let octal = String(mode, radix: 8)
            throw ConfigError(key: key, "\(path) has mode 0\(octal): it must not be group- or world-writable nor world-readable (chmod 0600, or 0640 for the daemon's group)")
        }
    }
}
