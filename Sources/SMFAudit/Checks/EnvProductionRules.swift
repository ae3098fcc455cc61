import Foundation
import SMFSecurity

/// A real env file (`.env`, `.env.prod`): everything in it is what a
/// production process would run with.
enum EnvProductionRules {
    /// The keys an env file decides (so each gets a pass when nothing is wrong).
    static let decidedKeys = [
        "secrets.strong-secret-key", "secrets.default-db-credentials", "db.strong-password", "mistake.default-passwords",
        "secrets.cors-origins", "mistake.permissive-cors", "mistake.unencrypted-communication", "app.error-messages",
        "app.authn-authz", "network.admin-private", "secrets.env-review",
    ]

    /// Guardrail rule id (prefix) → checklist keys.
    static func keys(forRule rule: String) -> [String] {
        switch rule {
        case _ where rule.hasPrefix("secret-key."): ["secrets.strong-secret-key"]
        case "database.superuser", "database.no-user": ["secrets.default-db-credentials", "db.least-privilege"]
        case _ where rule.hasPrefix("database."): ["secrets.default-db-credentials"]
        case "db-password.default": ["secrets.default-db-credentials", "mistake.default-passwords", "db.strong-password"]
        case _ where rule.hasPrefix("db-password."): ["db.strong-password"]
        case _ where rule.hasPrefix("cors."): ["secrets.cors-origins", "mistake.permissive-cors"]
        case _ where rule.hasPrefix("public-url."): ["mistake.unencrypted-communication"]
        case "debug.enabled": ["app.error-messages"]
        case "bcrypt.cost-low": ["app.authn-authz"]
        case "proxies.everyone", "admin.everyone": ["network.admin-private"]
        case _ where rule.hasPrefix("ratelimit."): ["app.rate-limiting", "mistake.no-rate-limiting"]
        default: ["secrets.env-review"]
        }
    }

    /// For problems reading a variable (unreadable file, malformed value): the
    /// keys that variable serves.
    static func keys(forVariable variable: String) -> [String] {
        switch variable {
        case "SMF_SECRET_KEY", "SMF_ENCRYPTION_KEY": ["secrets.strong-secret-key"]
        case "DATABASE_URL": ["secrets.default-db-credentials", "db.strong-password"]
        case "SMF_CORS_ORIGINS": ["secrets.cors-origins", "mistake.permissive-cors"]
        case "SMF_PUBLIC_URL": ["mistake.unencrypted-communication"]
        case "SMF_ADMIN_NETWORKS", "SMF_TRUSTED_PROXIES": ["network.admin-private"]
        case "SMF_RATE_LIMITS", "SMF_RATE_LIMIT_STORE": ["app.rate-limiting", "mistake.no-rate-limiting"]
        default: ["secrets.env-review"]
        }
    }

    static func findings(_ file: EnvFile) -> [Finding] {
        var findings: [Finding] = []
        let environment = file.environment
        let isSMFlow = environment.keys.contains { $0.hasPrefix("SMF_") }
        if isSMFlow { findings += guardrailFindings(file, environment) }
        findings += GenericEnvRules.findings(file, skipDatabaseURL: isSMFlow)
        findings += secretLookingValues(file)
        findings += modeFindings(file)
        // Every decided key that nothing failed gets its pass, naming the file.
        let decided = Set(findings.map(\.key))
        for key in decidedKeys where !decided.contains(key) && (isSMFlow || key == "secrets.env-review") {
            findings.append(.pass(key, Evidence(file: file.path, detail: "no problem found by the production guardrails")))
        }
        return findings
    }

    /// The production guardrails (`ConfigLoader` + `ProductionGuardrails`),
    /// whatever SMF_ENV says: the file is audited as a production file.
    private static func guardrailFindings(_ file: EnvFile, _ environment: [String: String]) -> [Finding] {
        let directory = (file.path as NSString).deletingLastPathComponent
        let result = ConfigLoader.load(environment: environment, readFile: { path in
            let full = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
            return try String(contentsOfFile: full, encoding: .utf8)
        }, enforceProductionRules: true)
        // A *_FILE secret that is not on this machine (e.g. /run/secrets/… inside a
        // container) cannot be judged; its "missing" finding would be false.
        let unreadable = Set(result.findings.filter { $0.rule == "config.unreadable-file" }.map(\.variable))
        var findings: [Finding] = []
        for finding in result.findings {
            if unreadable.contains(finding.variable), finding.rule.hasSuffix(".missing") { continue }
            let evidence = EnvRules.evidence(file, finding.variable, finding.message)
            let keys = finding.rule.hasPrefix("config.") ? keys(forVariable: finding.variable) : keys(forRule: finding.rule)
            for key in keys {
                if finding.rule == "config.unreadable-file" {
                    findings.append(.warn(key, .low, evidence, fix: "Run the audit where \(finding.variable)_FILE can be read, or check that secret file by hand."))
                } else if finding.severity == .error {
                    findings.append(.fail(key, severity(of: finding.rule), evidence, fix: fix(for: finding)))
                } else {
                    findings.append(.warn(key, .medium, evidence, fix: fix(for: finding)))
                }
            }
        }
        if environment["SMF_ENV"]?.lowercased() != "production" {
            findings.append(.fail("app.error-messages", .high,
                                  EnvRules.evidence(file, "SMF_ENV", "SMF_ENV is \(environment["SMF_ENV"].map { "'\($0)'" } ?? "not set"): the server enforces no guardrail and shows error details"),
                                  fix: "Set SMF_ENV=production."))
        }
        return findings
    }

    private static func severity(of rule: String) -> AuditSeverity {
        if rule.hasPrefix("secret-key.") || rule == "db-password.default" || rule.hasPrefix("cors.") || rule == "database.superuser" { return .critical }
        if rule.hasPrefix("config.") { return .medium }
        return .high
    }

    private static func fix(for finding: ConfigFinding) -> String {
        // The guardrail messages already say how to fix; keep them as the remediation.
        finding.message
    }

    /// Values of non-secret variables that look like secrets: shown by
    /// `config show`, copied into tickets, never redacted.
    private static func secretLookingValues(_ file: EnvFile) -> [Finding] {
        let secretNames = Set(ConfigVariable.all.filter(\.isSecret).map(\.name))
        return file.entries.compactMap { entry in
            guard !secretNames.contains(entry.name), !SecretPatterns.isSecretName(entry.name),
                  let match = SecretPatterns.looksLikeSecret(entry.value) else { return nil }
            return .warn("secrets.env-review", .medium,
                         Evidence(file: file.path, line: entry.line, detail: "\(entry.name) is not a secret variable but holds a \(match.kind)"),
                         fix: "Move the value into a secret variable (or a *_FILE Docker secret) so it is redacted and not shown.")
        }
    }

    /// An env file with secrets must be readable by its owner only.
    private static func modeFindings(_ file: EnvFile) -> [Finding] {
        let key = "secrets.env-files-not-committed"
        let holdsSecrets = file.entries.contains { SecretPatterns.isSecretName($0.name) && !$0.value.isEmpty && !SecretPatterns.isPlaceholder($0.value) }
        guard let mode = file.mode else { return [] }
        let octal = String(mode, radix: 8)
        guard holdsSecrets else { return [.pass(key, Evidence(file: file.path, detail: "mode 0\(octal), and the file holds no secret value"))] }
        if mode & 0o077 != 0 {
            return [.fail(key, .high, Evidence(file: file.path, detail: "mode 0\(octal): other users can read the secrets in it"),
                          fix: "chmod 600 \(file.path) (owner read/write only), and keep it out of git and images.")]
        }
        return [.pass(key, Evidence(file: file.path, detail: "mode 0\(octal) (owner only)"))]
    }
}
