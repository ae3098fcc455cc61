import Foundation

/// `app.authn-authz` over the live API: endpoints that need a signed-in
/// user must refuse a request without credentials, with an invalid bearer
/// token and with an invalid session cookie. Probes smflow's own API paths;
/// a deployment without them (all 404) is `n/a`, not a pass.
enum LiveAuthRules {
    static let keys: Set<String> = ["app.authn-authz"]

    /// Paths that only a signed-in caller may read.
    static let protectedPaths = ["/api/v1/auth/me", "/api/v1/workspaces"]
    /// What a request carries: nothing, a made-up bearer token, a made-up session cookie.
    static let credentials: [(label: String, headers: [String])] = [
        ("no credentials", []),
        ("an invalid bearer token", ["Authorization: Bearer smf-audit-invalid-token"]),
        ("an invalid session cookie", ["Cookie: __Host-smf_session=smf-audit-invalid-session"]),
    ]

    static func findings(_ probe: HTTPProbe) -> (findings: [Finding], exchanges: [HTTPExchange]) {
        var exchanges: [HTTPExchange] = []
        var admitted: [String] = []
        var refused: [String] = []
        var odd: [String] = []
        for path in protectedPaths {
            for credential in credentials {
                let exchange = probe.request(probe.target.basePath + path, headers: credential.headers)
                exchanges.append(exchange)
                let line = "\(exchange.summary) with \(credential.label)"
                switch exchange.status {
                case 200..<300: admitted.append(line)
                case 401, 403: refused.append(line)
                default: odd.append(line)
                }
            }
        }
        let key = "app.authn-authz"
        if !admitted.isEmpty {
            return ([.fail(key, .critical, Evidence(detail: "protected endpoints answered without valid credentials: " + admitted.joined(separator: "; ")),
                           fix: "Put every non-public route behind authentication (smflow: the route table's access level).")], exchanges)
        }
        if refused.isEmpty {
            let notFound = exchanges.allSatisfy { $0.status == 404 }
            return ([.notApplicable(key, notFound
                ? "no smflow API at this URL (\(protectedPaths.joined(separator: ", ")) answer 404): authentication not probed"
                : "protected endpoints gave no 401/403: " + odd.joined(separator: "; "))], exchanges)
        }
        if !odd.isEmpty {
            return ([.warn(key, .medium, Evidence(detail: "refused: \(refused.count); unexpected answers: " + odd.joined(separator: "; ")),
                           fix: "Answer 401 (problem+json) to missing or invalid credentials.")], exchanges)
        }
        return ([.pass(key, Evidence(detail: "\(refused.count) probes of \(protectedPaths.joined(separator: ", ")) without valid credentials: all 401/403"))], exchanges)
    }
}
