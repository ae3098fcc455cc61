/// nginx configurations (`--nginx`): TLS, redirect, the header set and its
/// inheritance pitfall, rate limits, body size, server_tokens, admin paths,
/// logging. The rules live in `Nginx*Rules`; this type runs them once over
/// the merged configuration.
struct NginxChecks: AuditCheck {
    let name = "nginx"
    let input = AuditInput.nginx
    let keys: Set<String> = [
        "app.https", "mistake.unencrypted-communication", "app.security-headers", "mistake.missing-headers",
        "app.rate-limiting", "mistake.no-rate-limiting", "app.input-validation", "app.error-messages",
        "network.admin-private", "mistake.insufficient-logging",
    ]

    func run(in context: AuditContext) -> [Finding] {
        guard let config = context.nginx else { return [] }
        let scopes = NginxScope.all(in: config)
        let findings = NginxTLSRules.findings(config, scopes: scopes) + NginxHeaderRules.findings(config, scopes: scopes)
            + NginxRateLimitRules.findings(config, scopes: scopes) + NginxMiscRules.findings(config, scopes: scopes)
            + unresolvedIncludes(scopes)
        // A snippet included in ten locations is one problem, not ten.
        var unique: [Finding] = []
        for finding in findings where !unique.contains(finding) { unique.append(finding) }
        return unique
    }

    /// An include inside a server or location that names no existing file:
    /// whatever it adds (headers, allow lists) could not be checked. (At http
    /// level, `conf.d/*.conf` is expected: nginx's image fills it at start-up
    /// from templates, which are audited as files of their own.)
    private func unresolvedIncludes(_ scopes: [NginxScope]) -> [Finding] {
        scopes.flatMap { scope in
            scope.own.filter(\.isUnresolvedInclude).map { include in
                Finding.warn("app.security-headers", .low, include.evidence.with(detail: "include \(include.value) in \(scope.label) was not found: what it adds was not checked"),
                             fix: "Audit the included file too (pass it with --nginx, or run --deployment on the directory that holds it).")
            }
        }
    }
}
