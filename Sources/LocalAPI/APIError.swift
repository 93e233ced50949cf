import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// An API failure: HTTP status, a stable machine code and a message for people.
/// Sent as `{"error": {"code": "...", "message": "..."}}`.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// The same refusal in the vendor APIs' terms (`piggy`: "5003", `zmyle`: "api:biz:…").
    public var vendorCodes: [String: String]?
    /// Extra response headers (`WWW-Authenticate` on a 401).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, vendorCodes: [String: String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.vendorCodes = vendorCodes
    }

    struct Body: Encodable {
        struct Inner: Encodable { var code: String; var message: String; var vendorCodes: [String: String]? }
        var error: Inner
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: jsonBody()))
    }

    /// `{"error": {...}}`.
    func jsonBody() -> ByteBuffer {
        // Strings and an optional dictionary of strings: encoding cannot fail.
        ByteBuffer(bytes: (try? JSONEncoder().encode(Body(error: .init(code: code, message: message, vendorCodes: vendorCodes)))) ?? Data())
    }

    public static func notFound(_ path: String) -> APIError { APIError(.notFound, "not_found", "no route for \(path)") }
}

/// Turns every error a route throws into the JSON error shape, so that clients never see an
/// empty 500 or a framework's HTML.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes, to tell a wrong method (405 with `Allow`) from a wrong path (404).
    var routes: RouteTable?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as RequestCutOff {
            throw error.apiError
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is too large (limit \(APIServer.bodyLimit / 1024) KiB; \(APIServer.printBodyLimit / 1024) KiB for /v1/print)")
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                let allowed = routes?.methods(forPath: request.uri.path) ?? []
                guard !allowed.isEmpty else { throw APIError.notFound(request.uri.path) }
                var e = APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))")
                e.headers[.allow] = allowed.joined(separator: ", ")
                throw e
            case .methodNotAllowed: throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge: throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than the limit")
            default: throw APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("unhandled error in \(request.method) \(request.uri.path): \(error)")
            throw APIError(.internalServerError, "internal_error", "the daemon failed to handle the request; see its log")
        }
    }
}

/// Every route's method and path pattern (`/v1/holds/{id}/confirm`), filled once the router is
/// built, for 405 answers.
final class RouteTable: Sendable {
    private let entries = Mutex<[(method: String, segments: [Substring])]>([])

    func fill(_ routes: [(method: String, path: String)]) {
        entries.withLock { $0 = routes.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods some route has for `path`, sorted; empty when no route has the path.
    func methods(forPath path: String) -> [String] {
        let parts = path.split(separator: "/")
        let found = entries.withLock { entries in
            entries.filter { entry in
                entry.segments.count == parts.count
                    && zip(entry.segments, parts).allSatisfy { pattern, part in (pattern.hasPrefix("{") || pattern.hasPrefix(":")) || pattern == part }
            }.map(\.method)
        }
        return Array(Set(found)).sorted()
    }
}
