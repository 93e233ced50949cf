import Foundation
import Hummingbird
import HTTPTypes

/// Who may use the optional loopback TCP listener (for browser-based POS): a bearer token, and
/// the web origins allowed to call it from a page (CORS). The Unix socket needs neither: the
/// kernel checks its mode and group.
public struct TCPAccess: Sendable {
    /// The token clients send as `Authorization: Bearer …` (or, for `EventSource`, which cannot
    /// set headers, as `?access_token=…` on `GET /v1/events`).
    public var token: String
    /// Exact origins (`https://pos.example.com`, `http://localhost:3000`); empty: no page may.
    public var allowedOrigins: [String]

    public init(token: String, allowedOrigins: [String]) {
        self.token = token
        self.allowedOrigins = allowedOrigins
    }

    static let allowedMethods = "GET, POST, DELETE, OPTIONS"
    static let requestPrivateNetwork = HTTPField.Name("Access-Control-Request-Private-Network")!
    static let allowPrivateNetwork = HTTPField.Name("Access-Control-Allow-Private-Network")!
    static let allowedHeaders = "Authorization, Content-Type, Idempotency-Key, Last-Event-ID"

    /// Equal in time whatever the input, so the token cannot be guessed byte by byte.
    func accepts(_ presented: Substring) -> Bool {
        let a = Array(token.utf8), b = Array(presented.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}

/// CORS for the configured origins, then the bearer token, on every request of the TCP listener.
/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is
/// answered without a token, as browsers send none with it.
struct TCPAccessMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let access: TCPAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        if let origin, !access.allowedOrigins.contains(origin) {
            throw APIError(.forbidden, "origin_not_allowed", "origin '\(origin)' is not in api.tcp.cors-origins")
        }
        if request.method == .options, let origin {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = TCPAccess.allowedMethods
            headers[.accessControlAllowHeaders] = TCPAccess.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            // Chrome's Private Network Access: a page on a public address asks before it may
            // call this loopback listener; an allowed origin may.
            if request.headers[TCPAccess.requestPrivateNetwork]?.lowercased() == "true" {
                headers[TCPAccess.allowPrivateNetwork] = "true"
            }
            return Response(status: .noContent, headers: headers)
        }
        guard authorized(request) else {
            var error = APIError(.unauthorized, "unauthorized", "send the API token as 'Authorization: Bearer TOKEN'")
            error.headers = [.wwwAuthenticate: "Bearer"]
            throw error
        }
        var response = try await next(request, context)
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
        return response
    }

    private func authorized(_ request: Request) -> Bool {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" && access.accepts(parts[1])
        }
        if request.uri.path == "/v1/events", let token = request.uri.queryParameters.get("access_token") {
            return access.accepts(Substring(token))
        }
        return false
    }
}
