// swift-tools-version: 6.2
// The benchmarks, in their own package (as SwiftNIO and Hummingbird keep theirs): the product's
// build and `swift build --build-tests` never compile them. Each script in this folder builds
// what it runs in release mode and prints a table (BENCHMARKS.md).
import PackageDescription

let package = Package(
    name: "giftbridge-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The product's package: `giftbridge` is a link to `..`, so that its identity is the
        // same whatever the folder of the clone is called.
        .package(path: "giftbridge"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .executableTarget(name: "giftbridge-bench", dependencies: [
            // The raw engine the ledger is compared with (the same sqlite3 the product links).
            .product(name: "CSQLite", package: "giftbridge"),
            .product(name: "LedgerSQLite", package: "giftbridge"), .product(name: "LedgerPostgres", package: "giftbridge"),
            .product(name: "Ledger", package: "giftbridge"), .product(name: "CardReading", package: "giftbridge"),
            .product(name: "ESCPOS", package: "giftbridge"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Each depends on one pure module only, so its release build stays quick.
        .executableTarget(name: "escpos-bench", dependencies: [.product(name: "ESCPOS", package: "giftbridge")]),
        .executableTarget(name: "decode-bench", dependencies: [.product(name: "CardReading", package: "giftbridge")]),
        .executableTarget(name: "api-bench", dependencies: [.product(name: "GiftbridgeClient", package: "giftbridge")]),
        .executableTarget(name: "connector-bench", dependencies: [
            .product(name: "Connectors", package: "giftbridge"), .product(name: "ConnectorSimulators", package: "giftbridge"),
            .product(name: "ConnectorCore", package: "giftbridge"), .product(name: "Ledger", package: "giftbridge"),
            .product(name: "CardReading", package: "giftbridge"), .product(name: "GiftbridgeClient", package: "giftbridge"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ]
)
