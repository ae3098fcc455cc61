/// The headers every response through nginx must carry, with their values.
/// The same set as the app's (Sources/SMFServer/Middleware/SecurityHeaders.swift);
/// `NginxHeaderTests` also compares nginx's answers with the app's own, so a
/// header added to the app but not to nginx is caught there.
enum SecurityHeaderSet {
    static let apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    static let consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// Everything but the CSP, which depends on the path.
    static let fixed: [(name: String, value: String)] = [
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ("X-XSS-Protection", "0"),
    ]

    static func expected(csp: String) -> [(name: String, value: String)] {
        fixed + [("Content-Security-Policy", csp)]
    }

    /// Each expected header exactly once with its value; one line per miss.
    static func problems(in reply: HTTPReply, csp: String) -> [String] {
        expected(csp: csp).compactMap { name, value in
            let values = reply.values(name)
            if values == [value] { return nil }
            return "\(name): expected [\(value)], got \(values)"
        }
    }
}
