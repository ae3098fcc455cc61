import Vapor

/// The security headers every response carries — 2xx, 3xx, 4xx and 5xx
/// alike — and the headers that would disclose the software, which are
/// removed (checklist keys `app.security-headers`, `mistake.missing-headers`).
///
/// Differences from the seed checklist's nginx block, on purpose:
/// - `X-XSS-Protection: 0`: the `1; mode=block` filter is gone from current
///   browsers and could be abused to blank or leak parts of pages in old ones.
/// - The API's CSP allows nothing at all (`default-src 'none'`): JSON is not
///   rendered, so there is no reason for `unsafe-inline`/`unsafe-eval`.
/// - `Referrer-Policy: no-referrer`: API URLs may carry ids.
struct SecurityHeaders: Sendable {
    static let hsts = "max-age=63072000; includeSubDomains"
    static let apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    static let permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    static let disclosing = ["Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime"]

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

    private let set: [(String, String)]

    init(sendHSTS: Bool) {
        set = Self.headers(sendHSTS: sendHSTS)
    }

    func apply(to headers: inout HTTPHeaders) {
        for (name, value) in set {
            // The console's files bring their own policy (Console/ConsoleAssets.swift); no other response may.
            if name == "Content-Security-Policy", headers.first(name: name) == ConsoleSecurity.contentSecurityPolicy { continue }
            headers.replaceOrAdd(name: name, value: value)
        }
        for name in Self.disclosing where headers.contains(name: name) {
            headers.remove(name: name)
        }
    }
}

/// The headers alone as one layer: only the benchmark's `headers` pipeline
/// uses it, to measure what sending the required set costs by itself.
struct SecurityHeadersMiddleware: Middleware {
    let headers: SecurityHeaders

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            headers.apply(to: &response.headers)
            return response
        }
    }
}
