// swift-tools-version: 6.0
// Builds Apple's swift-openapi-generator for scripts/swift-openapi-check, apart from the product's own
// package so that `swift build` of giftbridge never compiles the generator.
import PackageDescription

let package = Package(
    name: "openapi-generator",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3"),
    ]
)
