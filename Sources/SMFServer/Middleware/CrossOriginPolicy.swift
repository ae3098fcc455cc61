import SMFSecurity
import Vapor

/// CORS for exactly the configured origins (checklist keys
/// `secrets.cors-origins`, `mistake.permissive-cors`).
///
/// Written instead of Vapor's `CORSMiddleware` because its default
/// `.originBased` echoes *any* origin (with credentials, a full bypass) and
/// `.any([...])` omits `Vary: Origin` (DESIGN pitfall 2). Here an origin is
/// reflected only after an exact scheme+host+port match; any other origin
/// gets no CORS headers at all.
struct CrossOriginPolicy: Sendable {
    let allowedOrigins: Set<CORSOrigin>

    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, If-Match, If-None-Match, X-CSRF-Token, X-Request-ID"
    static let exposedHeaders = "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-ID"
    static let preflightMaxAge = "600"

    /// The request's `Origin` when it is one of the allowed ones.
    func allowedOrigin(of request: Request) -> String? {
        guard !allowedOrigins.isEmpty, let origin = request.headers.first(name: .origin),
              let parsed = CORSOrigin(origin), allowedOrigins.contains(parsed) else { return nil }
        return origin
    }

    /// The whole answer to a preflight request, or nil for any other request.
    func preflight(_ request: Request, allowedOrigin: String?) -> Response? {
        guard request.method == .OPTIONS, request.headers.contains(name: .origin),
              request.headers.contains(name: .accessControlRequestMethod) else { return nil }
        guard let origin = allowedOrigin else {
            let response = ProblemDetails.response(for: .originNotAllowed, to: request)
            response.headers.add(name: .vary, value: "Origin")
            return response
        }
        let response = Response(status: .noContent)
        response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: origin)
        response.headers.replaceOrAdd(name: .accessControlAllowCredentials, value: "true")
        response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: Self.allowedMethods)
        response.headers.replaceOrAdd(name: .accessControlAllowHeaders, value: Self.allowedHeaders)
        response.headers.replaceOrAdd(name: .accessControlMaxAge, value: Self.preflightMaxAge)
        response.headers.add(name: .vary, value: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        return response
    }

    /// The CORS headers of an ordinary (non-preflight) response.
    func apply(to headers: inout HTTPHeaders, allowedOrigin: String?) {
        // Caches must key on Origin whether or not this one was allowed.
        headers.add(name: .vary, value: "Origin")
        if let allowedOrigin {
            headers.replaceOrAdd(name: .accessControlAllowOrigin, value: allowedOrigin)
            headers.replaceOrAdd(name: .accessControlAllowCredentials, value: "true")
            headers.replaceOrAdd(name: .accessControlExpose, value: Self.exposedHeaders)
        }
    }
}
