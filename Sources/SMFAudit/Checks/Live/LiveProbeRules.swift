import Foundation

/// Version disclosure, CORS with an evil origin, `/metrics` not public, and
/// a bounded burst that must meet a 429.
enum LiveProbeRules {
    static let keys: Set<String> = ["app.error-messages", "secrets.cors-origins", "mistake.permissive-cors",
                                    "network.admin-private", "app.rate-limiting", "mistake.no-rate-limiting"]
    static let evilOrigin = "https://evil.example"
    /// The most requests the burst sends (the issue's bound: a few hundred in all).
    static let burstLimit = 200

    static func findings(_ probe: HTTPProbe, base: HTTPExchange) -> (findings: [Finding], exchanges: [HTTPExchange]) {
        let cors = corsProbes(probe)
        let metrics = probe.request(probe.target.basePath + "/metrics")
        return (disclosure(base) + corsFindings(cors) + metricsFindings(metrics) + burst(probe), cors + [metrics])
    }

    /// `Server`/`X-Powered-By` naming a version ("nginx/1.2.3", "PHP/8.1").
    static func disclosure(_ exchange: HTTPExchange) -> [Finding] {
        let disclosed = ["Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime"].compactMap { name -> String? in
            guard let value = exchange.value(name) else { return nil }
            let versioned = value.range(of: #"[0-9]+\.[0-9]+"#, options: .regularExpression) != nil
            return versioned || name == "X-Powered-By" ? "\(name): \(value)" : nil
        }
        guard !disclosed.isEmpty else {
            return [.pass("app.error-messages", Evidence(detail: "\(exchange.summary): Server = \(exchange.value("Server") ?? "(none)"), no version or X-Powered-By"))]
        }
        return [.fail("app.error-messages", .low, Evidence(detail: "\(exchange.summary): \(disclosed.joined(separator: ", "))"),
                      fix: "Hide versions: nginx `server_tokens off;`, drop X-Powered-By (`proxy_hide_header X-Powered-By;`).")]
    }

    static func corsProbes(_ probe: HTTPProbe) -> [HTTPExchange] {
        let path = probe.target.basePath + "/api/v1/"
        return [
            probe.request(path, headers: ["Origin: \(evilOrigin)"]),
            probe.request(path, method: "OPTIONS", headers: ["Origin: \(evilOrigin)", "Access-Control-Request-Method: POST",
                                                            "Access-Control-Request-Headers: authorization, content-type"]),
            probe.request(path, headers: ["Origin: \(evilOrigin)", "Cookie: session=audit", "Authorization: Bearer audit-probe"]),
        ]
    }

    static func corsFindings(_ exchanges: [HTTPExchange]) -> [Finding] {
        let keys = ["mistake.permissive-cors", "secrets.cors-origins"]
        var problems: [String] = []
        for exchange in exchanges where exchange.status != 0 {
            let allowed = exchange.value("Access-Control-Allow-Origin")
            let credentials = exchange.value("Access-Control-Allow-Credentials")?.lowercased() == "true"
            if allowed == evilOrigin || allowed == "null" {
                problems.append("\(exchange.summary): Access-Control-Allow-Origin: \(allowed ?? "") reflected\(credentials ? " with credentials" : "")")
            } else if allowed == "*" && credentials {
                problems.append("\(exchange.summary): Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true")
            }
        }
        if exchanges.allSatisfy({ $0.status == 0 }) {
            return keys.map { Finding.notApplicable($0, "CORS probes got no answer") }
        }
        guard problems.isEmpty else {
            return Finding.each(keys) {
                .fail($0, .high, Evidence(detail: problems.joined(separator: "; ")),
                      fix: "Allow only your own origins (SMF_CORS_ORIGINS); never reflect the Origin header or pair * with credentials.")
            }
        }
        let seen = exchanges.map { "\($0.summary) ACAO=\($0.value("Access-Control-Allow-Origin") ?? "none")" }.joined(separator: "; ")
        return Finding.each(keys) { .pass($0, Evidence(detail: "Origin \(evilOrigin) not allowed: \(seen)")) }
    }

    /// `/metrics` must not hand Prometheus text to the public.
    static func metricsFindings(_ exchange: HTTPExchange) -> [Finding] {
        let prometheus = exchange.body.contains("# TYPE ") || exchange.body.contains("# HELP ")
        if exchange.status == 200 && prometheus {
            return [.fail("network.admin-private", .high, Evidence(detail: "\(exchange.summary) with Prometheus metrics"),
                          fix: "Restrict /metrics to the admin network (nginx: `allow` the VPN/private ranges, `deny all;`).")]
        }
        let detail = exchange.status == 0 ? exchange.summary : "\(exchange.summary): metrics not served to this client"
        return [.pass("network.admin-private", Evidence(detail: detail))]
    }

    /// Up to `burstLimit` bogus sign-ins in rounds of 25, stopping at the first 429.
    /// A login is the endpoint every deployment must limit, and a bogus body
    /// never creates anything.
    static func burst(_ probe: HTTPProbe) -> [Finding] {
        let path = probe.target.basePath + "/api/v1/auth/login"
        var statuses: [Int] = []
        while statuses.count < burstLimit && !statuses.contains(429) {
            let round = probe.burst(path, method: "POST", headers: ["Content-Type: application/json"],
                                    body: #"{"email":"audit-probe@invalid.example","password":"x"}"#, count: 25)
            if round.isEmpty { break }
            statuses += round
        }
        let keys = ["app.rate-limiting", "mistake.no-rate-limiting"]
        let counts = Dictionary(grouping: statuses, by: { $0 }).sorted { $0.key < $1.key }.map { "\($0.value.count)×\($0.key)" }.joined(separator: ", ")
        if let first = statuses.firstIndex(of: 429) {
            return Finding.each(keys) { .pass($0, Evidence(detail: "POST \(probe.target.url(path)) burst: 429 after \(first + 1) requests (\(counts))")) }
        }
        if statuses.isEmpty {
            return keys.map { Finding.notApplicable($0, "burst to \(probe.target.url(path)) got no answer") }
        }
        return Finding.each(keys) {
            .fail($0, .high, Evidence(detail: "POST \(probe.target.url(path)) burst of \(statuses.count): no 429 (\(counts))"),
                  fix: "Rate-limit the API (nginx `limit_req` with a tight zone on sign-in) so a burst meets 429.")
        }
    }
}
