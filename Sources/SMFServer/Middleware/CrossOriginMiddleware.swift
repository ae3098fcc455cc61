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
struct CrossOriginMiddleware: Middleware {
    let allowedOrigins: Set<CORSOrigin>

    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, If-Match, If-None-Match, X-CSRF-Token, X-Request-ID"
    static let exposedHeaders = "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-ID"
    static let preflightMaxAge = "600"

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let originHeader = request.headers.first(name: .origin)
        let isAllowed = originHeader.flatMap(CORSOrigin.init).map(allowedOrigins.contains) ?? false

        if request.method == .OPTIONS, originHeader != nil,
           request.headers.first(name: .accessControlRequestMethod) != nil {
            return request.eventLoop.makeSucceededFuture(preflight(request, origin: isAllowed ? originHeader : nil))
        }

        return next.respond(to: request).map { response in
            // Caches must key on Origin whether or not this one was allowed.
            response.headers.add(name: .vary, value: "Origin")
            if isAllowed, let originHeader {
                response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: originHeader)
                response.headers.replaceOrAdd(name: .accessControlAllowCredentials, value: "true")
                response.headers.replaceOrAdd(name: .accessControlExpose, value: Self.exposedHeaders)
            }
            return response
        }
    }

    private func preflight(_ request: Request, origin: String?) -> Response {
        guard let origin else {
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
}
