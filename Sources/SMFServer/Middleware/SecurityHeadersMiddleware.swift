import Vapor

/// Sets the security headers on every response — 2xx, 3xx, 4xx and 5xx alike —
/// and strips headers that disclose the software (checklist keys
/// `app.security-headers`, `mistake.missing-headers`).
///
/// Differences from the seed checklist's nginx block, on purpose:
/// - `X-XSS-Protection: 0`: the `1; mode=block` filter is gone from current
///   browsers and could be abused to blank or leak parts of pages in old ones.
/// - The API's CSP allows nothing at all (`default-src 'none'`): JSON is not
///   rendered, so there is no reason for `unsafe-inline`/`unsafe-eval`.
/// - `Referrer-Policy: no-referrer`: API URLs may carry ids.
struct SecurityHeadersMiddleware: Middleware {
    let sendHSTS: Bool

    static let hsts = "max-age=63072000; includeSubDomains"
    static let apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    static let permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    /// The fixed set, in the order they are written.
    static func headers(sendHSTS: Bool) -> [(String, String)] {
        var headers: [(String, String)] = [
            ("Content-Security-Policy", apiContentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "same-origin"),
            ("Permissions-Policy", permissionsPolicy),
            ("X-XSS-Protection", "0"),
            ("Cache-Control", "no-store"),
        ]
        if sendHSTS { headers.insert(("Strict-Transport-Security", hsts), at: 0) }
        return headers
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let headers = Self.headers(sendHSTS: sendHSTS)
        return next.respond(to: request).map { response in
            for (name, value) in headers {
                response.headers.replaceOrAdd(name: name, value: value)
            }
            for name in ["Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime"] {
                response.headers.remove(name: name)
            }
            return response
        }
    }
}
