import CardReading
import Foundation
import Hummingbird
import Testing
import Yams

import CardReading
@testable import LocalAPI

/// openapi.yaml against what the server does: the served copy, the routes, the request fields.
@Suite struct OpenAPIDocumentTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8))
        return try #require(object as? [String: Any])
    }

    @Test func theServedDocumentIsOpenAPIYAML() throws {
        let file = try String(contentsOf: Self.repo.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(OpenAPIDocument.yaml == file, "Sources/LocalAPI/OpenAPIDocument.swift is stale: run scripts/gen-openapi")
    }

    /// The served JSON is the YAML document: the same values, in canonical form.
    @Test func theJSONIsTheYAML() throws {
        func canonical(_ value: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        let fromYAML = try #require(try Yams.load(yaml: OpenAPIDocument.yaml))
        let fromJSON = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8))
        #expect(try canonical(fromJSON) == canonical(fromYAML))
        #expect(OpenAPIDocument.json.hasPrefix(#"{"openapi":"3.1.0","info":{"title":"giftbridge local API","version":"1""#), "members keep the YAML's order")
        // Scalars as YAML reads them: numbers and booleans are JSON's, quoted ones strings.
        #expect(try OpenAPIDocument.renderJSON("a: 1\nb: '1'\nc: true\nd: null\ne: [x, \"y\\u0001\"]\nf: -9007199254740991\ng: 090264\nh: 1.5e3\ni: yes\n")
            == #"{"a":1,"b":"1","c":true,"d":null,"e":["x","y\u0001"],"f":-9007199254740991,"g":"090264","h":1.5e3,"i":"yes"}"#)
    }

    @Test func theDocumentIsOpenAPI31WithResolvableReferences() throws {
        let doc = try Self.document()
        #expect(doc["openapi"] as? String == "3.1.0")
        let components = try #require(doc["components"] as? [String: [String: Any]])
        var refs: [String] = []
        func collect(_ value: Any) {
            if let d = value as? [String: Any] {
                if let r = d["$ref"] as? String { refs.append(r) }
                d.values.forEach(collect)
            } else if let a = value as? [Any] {
                a.forEach(collect)
            }
        }
        collect(doc)
        #expect(refs.count > 50)
        for r in Set(refs) {
            let parts = r.split(separator: "/").map(String.init)
            #expect(parts.count == 4 && parts[0] == "#" && parts[1] == "components" && components[parts[2]]?[parts[3]] != nil, "unresolved \(r)")
        }
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        for (path, item) in paths {
            for (method, operation) in item {
                let op = try #require(operation as? [String: Any], "\(method) \(path)")
                #expect(op["operationId"] is String, "\(method) \(path) has no operationId")
                #expect((op["responses"] as? [String: Any])?.keys.contains { $0.hasPrefix("2") } == true, "\(method) \(path) has no success reply")
            }
        }
    }

    /// Every route the router has is documented, and every documented operation is a route.
    @Test func documentedOperationsAreExactlyTheRoutes() throws {
        let router = APIServer.router(backend: NoBackend(), events: EventBus())
        let routes = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, item in
            item.keys.filter { ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains($0) }.map { "\($0.uppercased()) \(path)" }
        })
        #expect(routes.count >= 28)
        #expect(routes.contains("GET /v1/openapi.json"))
        #expect(routes.contains("GET /v1/openapi.yaml"))
        #expect(routes.contains("GET /v1/transactions/{id}"))
        #expect(routes.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
        #expect(documented.subtracting(routes).sorted() == [], "documented operations the server does not have")
    }

    /// The fields each request schema names are the fields the strict decoding accepts.
    @Test func requestSchemasNameExactlyTheDecodedFields() throws {
        let schemas = try #require((try Self.document()["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        func properties(_ name: String) throws -> Set<String> {
            let schema = try #require(schemas[name], "no schema \(name)")
            #expect(schema["additionalProperties"] as? Bool == false, "\(name) must refuse unknown fields")
            return Set(try #require(schema["properties"] as? [String: Any], "\(name) has no properties").keys)
        }
        #expect(try properties("CardInfo") == CardInfo.fieldNames)
        #expect(try properties("BalanceRequest") == BalanceRequest.fields)
        #expect(try properties("SimulateSwipeRequest") == SimulateSwipeRequest.fields)
        #expect(try properties("HoldRequest") == HoldRequest.fields)
        #expect(try properties("HoldActionRequest") == HoldActionRequest.fields)
        #expect(try properties("NewCardRequest") == NewCardRequest.fields)
        #expect(try properties("PrepaidTransactionRequest") == PrepaidTransactionRequest.fields)
        #expect(try properties("NewContactRequest") == NewContactRequest.fields)
        #expect(try properties("NewShopRequest") == NewShopRequest.fields)
        // Each gift operation has its own schema with the fields that apply to it; together they are all of them.
        let gift = try ["SellRequest", "ReloadRequest", "RedeemRequest", "CashOutRequest", "ExchangeRequest", "ReverseRequest"].map(properties)
        #expect(gift.reduce(Set(), { $0.union($1) }) == GiftOperationRequest.fields)
        #expect(gift.allSatisfy { $0.isSubset(of: GiftOperationRequest.fields) })
        #expect(try properties("PrintRequest") == PrintRequest.fields)
        // One object per request: no union a client generator would have to merge.
        for (name, schema) in schemas where name.hasSuffix("Request") || name == "CardInfo" {
            #expect(schema["oneOf"] == nil && schema["anyOf"] == nil && schema["allOf"] == nil, "\(name) is a union")
        }
    }
}

/// A backend that is never called: the tests only look at the routes.
private struct NoBackend: APIBackend {
    static var unused: APIError { APIError(.notImplemented, "not_implemented", "test backend") }
    func health() async -> HealthReport {
        HealthReport(status: "ok", version: "0", demo: true, uptimeSeconds: 0, ledger: LedgerHealth(backend: "none", ok: true), printers: [], readers: [], eventSubscribers: 0)
    }
    func devices() async -> DevicesReport { DevicesReport(readers: [], printers: [], usb: []) }
    func balance(_ request: BalanceRequest) async throws(APIError) -> BalanceReply { throw Self.unused }
    func simulateSwipe(_ request: SimulateSwipeRequest) async throws(APIError) -> SimulateSwipeReply { throw Self.unused }
    func gift(_ operation: GiftOperation, _ request: GiftOperationRequest) async throws(APIError) -> TransactionReply { throw Self.unused }
    func transaction(id: Int64) async throws(APIError) -> TransactionReply { throw Self.unused }
    func reserveHold(_ request: HoldRequest) async throws(APIError) -> HoldReply { throw Self.unused }
    func hold(id: String) async throws(APIError) -> HoldReply { throw Self.unused }
    func confirmHold(id: String, _ request: HoldActionRequest) async throws(APIError) -> TransactionReply { throw Self.unused }
    func cancelHold(id: String, _ request: HoldActionRequest) async throws(APIError) -> HoldReply { throw Self.unused }
    func addCard(_ request: NewCardRequest) async throws(APIError) -> BalanceReply { throw Self.unused }
    func prepaidTransaction(_ request: PrepaidTransactionRequest) async throws(APIError) -> PrepaidTransactionReply { throw Self.unused }
    func reversePrepaid(uuid: String) async throws(APIError) -> PrepaidTransactionReply { throw Self.unused }
    func prepaidTransactions(contactUuid: String?, shopUuid: String?, page: Int, limit: Int) async throws(APIError) -> PageReply<PrepaidTransactionReply> {
        throw Self.unused
    }
    func prepaidBalance(contactUuid: String) async throws(APIError) -> ContactReply { throw Self.unused }
    func addContact(_ request: NewContactRequest) async throws(APIError) -> ContactReply { throw Self.unused }
    func addShop(_ request: NewShopRequest) async throws(APIError) -> ShopReply { throw Self.unused }
    func printers() async -> PrintersReply { PrintersReply(printers: []) }
    func print(_ request: PrintRequest) async throws(APIError) -> PrintJobReply { throw Self.unused }
    func printJob(id: Int) async throws(APIError) -> PrintJobReply { throw Self.unused }
    func cancelPrintJob(id: Int) async throws(APIError) -> PrintJobReply { throw Self.unused }
    func openDrawer() async throws(APIError) -> DrawerInfo { throw Self.unused }
    func metrics() async -> String { "" }
}
