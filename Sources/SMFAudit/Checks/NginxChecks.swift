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
        // A snippet included in ten locations is one problem, not ten.
        var unique: [Finding] = []
        for finding in findings where !unique.contains(finding) { unique.append(finding) }
        return unique
    }
}
