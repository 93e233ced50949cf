// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "giftbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "giftbridged", targets: ["giftbridged"]),
        .executable(name: "giftbridge", targets: ["giftbridge"]),
        // For the benchmarks' own package (Benchmarks/Package.swift).
        .library(name: "CardReading", targets: ["CardReading"]),
        .library(name: "ESCPOS", targets: ["ESCPOS"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LedgerSQLite", targets: ["LedgerSQLite"]),
        .library(name: "LedgerPostgres", targets: ["LedgerPostgres"]),
        .library(name: "ConnectorCore", targets: ["ConnectorCore"]),
        .library(name: "Connectors", targets: ["Connectors"]),
        .library(name: "ConnectorSimulators", targets: ["ConnectorSimulators"]),
        .library(name: "GiftbridgeClient", targets: ["GiftbridgeClient"]),
        .library(name: "CSQLite", targets: ["CSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // System libraries (Debian -dev packages).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CUdev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CPCSC", pkgConfig: "libpcsclite", providers: [.apt(["libpcsclite-dev"])]),

        // Pure cores: no I/O.
        .target(name: "CardReading"),
        // Contactless cards and wallet passes over APDUs: NDEF Type 2/4, Apple VAS (its crypto by swift-crypto).
        .target(name: "NFC", dependencies: ["CardReading", .product(name: "Crypto", package: "swift-crypto")]),
        // Receipts, shop templates (Mustache placeholders and sections), the printer's bytes.
        .target(name: "ESCPOS", dependencies: ["CardReading", .product(name: "Mustache", package: "swift-mustache")]),
        .target(name: "Ledger", dependencies: ["CardReading"]),
        // Remote ledgers: vendor request/response mapping and the outbox's state machine.
        .target(name: "ConnectorCore", dependencies: ["Ledger", "CardReading", "ExactJSON"]),
        // JSON whose numbers keep their text (vendor decimals, strict request bodies).
        .target(name: "ExactJSON"),
        // A wake-up for services that sleep until a deadline or until there is work (no polling).
        .target(name: "AsyncWake"),

        // Linux edges.
        .target(name: "Devices", dependencies: [
            "CardReading", "NFC", "CUdev", "CLibUSB", "CPCSC",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "LedgerSQLite", dependencies: [
            "Ledger", "CSQLite",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "LedgerPostgres", dependencies: [
            "Ledger", "CardReading",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "LocalAPI", dependencies: [
            "CardReading", "Devices", "ExactJSON",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "PrintQueue", dependencies: [
            "ESCPOS", "Devices", "CSQLite",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "GiftbridgeClient"),
        // Remote ledgers over HTTP (Paytronix, Piggy, Zmyle) with the durable outbox.
        .target(name: "Connectors", dependencies: [
            "ConnectorCore", "Ledger", "CardReading", "CSQLite", "AsyncWake",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The daemon's wiring, and the two executables.
        .target(name: "Daemon", dependencies: [
            "CardReading", "NFC", "ESCPOS", "Ledger", "Devices", "LedgerSQLite", "LedgerPostgres", "LocalAPI", "GiftbridgeClient", "PrintQueue", "Connectors", "AsyncWake",
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "giftbridged", dependencies: [
            "Daemon",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "giftbridge", dependencies: [
            "GiftbridgeClient", "CardReading", "NFC", "ESCPOS", "Ledger",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Tests beside each module; TestSupport holds real kernel objects (pty, TCP, datagram).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Provider simulators (Hummingbird on loopback, backed by the embedded ledger) with fault injection.
        .target(name: "ConnectorSimulators", dependencies: [
            "ConnectorCore", "Ledger", "LedgerSQLite", "CardReading",
            .product(name: "Hummingbird", package: "hummingbird"),
        ], path: "Tests/ConnectorSimulators"),
        .testTarget(name: "ConnectorCoreTests", dependencies: ["ConnectorCore", "Ledger", "ExactJSON"]),
        .testTarget(name: "ConnectorTests", dependencies: ["Connectors", "ConnectorCore", "ConnectorSimulators", "Ledger", "TestSupport"]),
        .testTarget(name: "CardReadingTests", dependencies: ["CardReading"]),
        .testTarget(name: "NFCTests", dependencies: ["NFC", "CardReading", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ESCPOSTests", dependencies: ["ESCPOS", "TestSupport"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "CardReading"]),
        .testTarget(name: "LedgerStoreTests", dependencies: ["LedgerSQLite", "LedgerPostgres", "Ledger"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "TestSupport"]),
        .testTarget(name: "LocalAPITests", dependencies: ["LocalAPI", "CardReading", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "PrintQueueTests", dependencies: ["PrintQueue", "ESCPOS", "Devices", "TestSupport"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "TestSupport"]),
        .testTarget(name: "AsyncWakeTests", dependencies: ["AsyncWake"]),
        .testTarget(name: "IntegrationTests", dependencies: ["GiftbridgeClient", "TestSupport", "LedgerSQLite", "Ledger", "CardReading", "ESCPOS", "ConnectorSimulators", "giftbridged", "giftbridge"]),
    ]
)
