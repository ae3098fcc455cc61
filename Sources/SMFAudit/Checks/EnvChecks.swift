import Foundation
import SMFSecurity

/// Env files (`--env`): the production guardrails of SMFSecurity applied to
/// the file's variables through `ConfigLoader` (the same code that refuses a
/// bad start-up), generic rules for other projects' variables, test API
/// keys, secret-looking values in non-secret variables and file modes.
/// Example files (`.env.example`) are judged as examples: placeholders are
/// expected, a real-looking secret is a leak.
struct EnvChecks: AuditCheck {
    let name = "env"
    let input = AuditInput.env
    let keys: Set<String> = [
        "secrets.default-db-credentials", "secrets.strong-secret-key", "secrets.production-api-keys",
        "secrets.env-files-not-committed", "secrets.cors-origins", "secrets.env-review", "db.strong-password",
        "db.least-privilege", "app.authn-authz", "app.error-messages", "app.rate-limiting", "network.admin-private",
        "mistake.hardcoded-secrets", "mistake.default-passwords", "mistake.permissive-cors",
        "mistake.unencrypted-communication", "mistake.no-rate-limiting",
    ]

    func run(in context: AuditContext) -> [Finding] {
        var findings: [Finding] = []
        for file in context.envFiles {
            findings += file.isExample ? EnvExampleRules.findings(file) : EnvProductionRules.findings(file)
            findings += testKeyFindings(file)
        }
        if !context.envFiles.isEmpty, context.envFiles.allSatisfy(\.isExample) {
            for key in EnvProductionRules.decidedKeys {
                findings.append(Finding(key: key, status: .notApplicable, severity: .info,
                                        evidence: Evidence(detail: "only example env files were given (\(context.envFiles.map(\.path).joined(separator: ", ")))"),
                                        remediation: "Pass the real env file (e.g. deploy/.env) with --env FILE."))
            }
        }
        return findings
    }

    /// `smf_test_`, `sk_test_`, `pk_test_`, `rk_test_` anywhere in a value.
    private func testKeyFindings(_ file: EnvFile) -> [Finding] {
        let key = "secrets.production-api-keys"
        let hits = file.entries.filter { entry in SecretPatterns.testKeyPrefixes.contains { entry.value.contains($0) } }
        if file.isExample && hits.isEmpty { return [] }
        guard !hits.isEmpty else {
            return [.pass(key, Evidence(file: file.path, detail: "no test API key (\(SecretPatterns.testKeyPrefixes.joined(separator: ", ")))"))]
        }
        return hits.map { entry in
            .fail(key, file.isExample ? .low : .high,
                  Evidence(file: file.path, line: entry.line, detail: "\(entry.name) holds a test/development API key"),
                  fix: "Use a production (live) key in production; smflow refuses smf_test_ keys in production.")
        }
    }
}

/// Shared helpers for the two env rule sets.
enum EnvRules {
    static func evidence(_ file: EnvFile, _ variable: String, _ detail: String) -> Evidence {
        let line = file.line(of: variable) ?? file.line(of: variable + "_FILE")
        return Evidence(file: file.path, line: line, detail: detail)
    }

    /// A value that would pass as a real secret: a known token format, a
    /// password in a URL, or a key or password that the policies accept.
    static func isRealLooking(name: String, value: String) -> Bool {
        if SecretPatterns.knownToken(in: value) != nil { return true }
        if SecretPatterns.isPlaceholder(value) { return false }
        if let password = SecretPatterns.urlPassword(in: value) {
            return !SecretPatterns.isPlaceholder(password) && DatabasePasswordPolicy.problems(password: password, user: nil, database: nil, variable: name).isEmpty
        }
        if SecretPatterns.isSecretName(name) {
            return SecretKeyPolicy.problems(value, variable: name).isEmpty
                || DatabasePasswordPolicy.problems(password: value, user: nil, database: nil, variable: name).isEmpty
        }
        return SecretPatterns.looksLikeSecret(value) != nil
    }
}

/// `.env.example` and friends.
enum EnvExampleRules {
    static func findings(_ file: EnvFile) -> [Finding] {
        let leaks = file.entries.filter { !$0.value.isEmpty && EnvRules.isRealLooking(name: $0.name, value: $0.value) }
        guard !leaks.isEmpty else {
            let secrets = file.entries.filter { SecretPatterns.isSecretName($0.name) }.count
            return [.pass("secrets.env-review", Evidence(file: file.path, detail: "example file: \(secrets) secret variable(s), placeholders only (the guardrails reject them)"))]
        }
        return leaks.flatMap { entry in
            Finding.each(["secrets.env-review", "mistake.hardcoded-secrets", "secrets.env-files-not-committed"]) { key in
                .fail(key, .high, Evidence(file: file.path, line: entry.line, detail: "example file holds a real-looking secret in \(entry.name)"),
                      fix: "Replace it with a placeholder such as CHANGE_ME and rotate the secret: example files are committed and shared.")
            }
        }
    }
}
