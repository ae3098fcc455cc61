/// The security header set on every answering server and location, the
/// add_header inheritance pitfall, obsolete X-XSS-Protection, weak CSP.
enum NginxHeaderRules {
    static let keys = ["app.security-headers", "mistake.missing-headers"]

    struct Required {
        let name: String
        let severity: AuditSeverity
        let tlsOnly: Bool
    }

    static let required: [Required] = [
        Required(name: "strict-transport-security", severity: .high, tlsOnly: true),
        Required(name: "content-security-policy", severity: .high, tlsOnly: false),
        Required(name: "x-frame-options", severity: .medium, tlsOnly: false),
        Required(name: "x-content-type-options", severity: .medium, tlsOnly: false),
        Required(name: "referrer-policy", severity: .low, tlsOnly: false),
    ]

    /// The checklist's security headers (the rest of add_header is the site's business).
    static let securityHeaderNames = Set(required.map(\.name) + ["permissions-policy", "cross-origin-opener-policy", "cross-origin-resource-policy", "x-xss-protection"])

    static func findings(_ config: NginxConfig, scopes: [NginxScope]) -> [Finding] {
        var findings: [Finding] = []
        let answering = scopes.filter { $0.serves }
        for scope in answering {
            let present = Set(scope.headers.map { $0.value.lowercased() })
            var missing = required.filter { !present.contains($0.name) && (!$0.tlsOnly || scope.isTLS) }
            // CSP frame-ancestors does X-Frame-Options' job in current browsers.
            if missing.contains(where: { $0.name == "x-frame-options" }),
               cspValues(scope.headers, config: config).contains(where: { $0.contains("frame-ancestors") }) {
                missing.removeAll { $0.name == "x-frame-options" }
            }
            guard !missing.isEmpty else { continue }
            let names = missing.map(\.name).joined(separator: ", ")
            let dropped = Set(scope.parentHeaders.map { $0.value.lowercased() }).intersection(missing.map(\.name))
            let detail: String
            let fix: String
            if scope.ownsHeaders && !dropped.isEmpty {
                detail = "\(scope.label): its own add_header drops the inherited \(dropped.sorted().joined(separator: ", ")) (nginx inherits add_header only into levels that have none); missing: \(names)"
                fix = "Repeat the security headers in every level that has its own add_header — best through one snippet included everywhere (include snippets/security-headers.conf)."
            } else {
                detail = "\(scope.label): missing \(names)"
                fix = "Add the headers with `always` (HSTS, CSP, X-Frame-Options DENY, X-Content-Type-Options nosniff, Referrer-Policy) at server level or in a snippet included in every location that has add_header."
            }
            let severity = missing.map(\.severity).max() ?? .medium
            findings += Finding.each(keys) { .fail($0, severity, Evidence(file: scope.file, line: scope.ownLine, detail: detail), fix: fix) }
        }
        findings += valueFindings(config, scopes: answering)
        if !findings.contains(where: { $0.status == .fail && $0.key == "mistake.missing-headers" }) {
            let detail = answering.isEmpty ? "no server or location answers requests" : "\(answering.count) answering server/location level(s) all send the security header set"
            findings += Finding.each(keys) { .pass($0, Evidence(file: config.files.first, detail: detail)) }
        }
        return findings
    }

    /// Every value a CSP header can take: a literal, or each value of the
    /// `map` that defines its variable.
    static func cspValues(_ headers: [NginxDirective], config: NginxConfig) -> [String] {
        headers.filter { $0.value.lowercased() == "content-security-policy" }.flatMap { header -> [String] in
            let value = header.arguments.dropFirst().first ?? ""
            guard value.hasPrefix("$") else { return [value] }
            let maps = config.http.all("map").filter { $0.arguments.count >= 2 && $0.arguments[1] == value }
            return maps.flatMap { ($0.block ?? []).compactMap { $0.arguments.first } }
        }
    }

    /// Per header directive (deduplicated later): `always`, obsolete XSS
    /// filter, weak CSP, short HSTS.
    private static func valueFindings(_ config: NginxConfig, scopes: [NginxScope]) -> [Finding] {
        var findings: [Finding] = []
        var seen: Set<String> = []
        for header in scopes.flatMap(\.headers) {
            let id = "\(header.file):\(header.line)"
            guard seen.insert(id).inserted else { continue }
            let name = header.value.lowercased()
            let value = header.arguments.dropFirst().first ?? ""
            let evidence = header.evidence
            guard securityHeaderNames.contains(name) else { continue }
            if !header.arguments.contains("always") {
                findings.append(.warn("app.security-headers", .low, evidence.with(detail: "\(header.value) without `always`: not sent on 4xx/5xx answers"), fix: "Add `always` to every security add_header."))
            }
            switch name {
            case "x-xss-protection" where value.hasPrefix("1"):
                findings.append(.warn("app.security-headers", .medium, evidence.with(detail: "X-XSS-Protection \"\(value)\": the XSS filter is obsolete (removed from browsers; its block mode was abusable)"),
                                      fix: "Send `X-XSS-Protection: 0` (or nothing) and rely on a strict CSP."))
            case "content-security-policy":
                for policy in cspValues([header], config: config) {
                    findings += cspFindings(policy, evidence: evidence)
                }
            case "strict-transport-security":
                let maxAge = value.lowercased().components(separatedBy: ";").compactMap { part -> Int? in
                    let trimmed = part.trimmingCharacters(in: .whitespaces)
                    return trimmed.hasPrefix("max-age=") ? Int(trimmed.dropFirst("max-age=".count)) : nil
                }.first ?? 0
                if maxAge < 15_768_000 {
                    findings.append(.warn("app.security-headers", .medium, evidence.with(detail: "HSTS max-age=\(maxAge) is under 6 months"), fix: "Use max-age=63072000 (two years); add includeSubDomains when every subdomain has HTTPS."))
                }
            default:
                break
            }
        }
        return findings
    }

    /// `'unsafe-inline'`/`'unsafe-eval'` for scripts switch off what CSP is
    /// for (Mozilla Observatory scores them as failures); inline styles are weaker.
    static func cspFindings(_ policy: String, evidence: Evidence) -> [Finding] {
        var directives: [String: [String]] = [:]
        for part in policy.split(separator: ";") {
            let words = part.split(separator: " ").map { $0.lowercased() }
            if let name = words.first { directives[name] = Array(words.dropFirst()) }
        }
        var findings: [Finding] = []
        let scripts = directives["script-src"] ?? directives["default-src"] ?? []
        let unsafe = ["'unsafe-inline'", "'unsafe-eval'"].filter { scripts.contains($0) }
        if !unsafe.isEmpty {
            findings.append(.fail("app.security-headers", .high, evidence.with(detail: "CSP allows \(unsafe.joined(separator: " and ")) for scripts: injected scripts run"),
                                  fix: "Drop 'unsafe-inline'/'unsafe-eval' from script-src; move inline scripts to files or use nonces/hashes."))
        }
        if (directives["style-src"] ?? directives["default-src"] ?? []).contains("'unsafe-inline'") {
            findings.append(.warn("app.security-headers", .low, evidence.with(detail: "CSP allows 'unsafe-inline' styles"), fix: "Move inline styles to files or use nonces/hashes."))
        }
        if directives["default-src"] == nil {
            findings.append(.warn("app.security-headers", .medium, evidence.with(detail: "CSP has no default-src fallback"), fix: "Start the policy with default-src 'none' or 'self'."))
        }
        return findings
    }
}
