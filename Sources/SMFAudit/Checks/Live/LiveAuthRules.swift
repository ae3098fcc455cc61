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

    /// At most this many operations of the served OpenAPI document are probed.
    static let maxDocumentedProbes = 40

    static func findings(_ probe: HTTPProbe) -> (findings: [Finding], exchanges: [HTTPExchange]) {
        var exchanges: [HTTPExchange] = []
        var admitted: [String] = []
        var refused: [String] = []
        var odd: [String] = []
        func judge(_ exchange: HTTPExchange, _ label: String) {
            exchanges.append(exchange)
            let line = "\(exchange.summary) with \(label)"
            switch exchange.status {
            case 200..<300: admitted.append(line)
            case 401, 403: refused.append(line)
            // A rate limit answered before authentication: says nothing either way.
            case 429: break
            default: odd.append(line)
            }
        }
        for path in protectedPaths {
            for credential in credentials {
                judge(probe.request(probe.target.basePath + path, headers: credential.headers), credential.label)
            }
        }
        // Every GET the API's own OpenAPI document marks as needing credentials,
        // with placeholder ids: it must refuse an anonymous caller before it
        // looks anything up. Only GETs — an audit changes nothing.
        let document = probe.request(probe.target.basePath + "/api/v1/openapi.json")
        let documented = document.status == 200 ? Self.protectedGETPaths(inOpenAPI: document.body) : []
        if document.status == 200 { exchanges.append(document) }
        for path in documented.prefix(maxDocumentedProbes) {
            judge(probe.request(probe.target.basePath + path), "no credentials (documented as protected)")
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
        let fromDocument = documented.isEmpty ? "" : " and \(min(documented.count, maxDocumentedProbes)) protected GET operations of /api/v1/openapi.json"
        return ([.pass(key, Evidence(detail: "\(refused.count) probes of \(protectedPaths.joined(separator: ", "))\(fromDocument) without valid credentials: all 401/403"))], exchanges)
    }

    /// The GET paths of an OpenAPI document whose operations (or the
    /// document's default) require security, with path parameters filled by
    /// placeholders (a random-looking UUID, or 1 for numbers).
    static func protectedGETPaths(inOpenAPI body: String) -> [String] {
        guard let document = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let paths = document["paths"] as? [String: Any] else { return [] }
        let defaultSecurity = (document["security"] as? [Any]) ?? []
        var result: [String] = []
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            guard path.hasPrefix("/"), path.utf8.count <= 512,
                  let operation = (item as? [String: Any])?["get"] as? [String: Any] else { continue }
            let security = (operation["security"] as? [Any]) ?? defaultSecurity
            // `security: []`, or a list holding `{}`, means anonymous access is allowed.
            guard !security.isEmpty, !security.contains(where: { ($0 as? [String: Any])?.isEmpty == true }) else { continue }
            let parameters = ((operation["parameters"] as? [[String: Any]]) ?? [])
                + (((item as? [String: Any])?["parameters"] as? [[String: Any]]) ?? [])
            result.append(Self.filled(path, parameters: parameters))
        }
        return result
    }

    private static func filled(_ path: String, parameters: [[String: Any]]) -> String {
        var filled = ""
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            filled += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            let schema = parameters.first { $0["name"] as? String == name }?["schema"] as? [String: Any]
            filled += (schema?["type"] as? String == "integer") ? "1" : "00000000-0000-4000-8000-00000000a0d1"
            rest = rest[rest.index(after: close)...]
        }
        return filled + rest
    }
}
