import SMFSecurity

/// Rules for the usual variables of other projects (and the non-`SMF_`
/// variables of ours, such as `POSTGRES_PASSWORD`), built on the same
/// SMFSecurity policies as the guardrails.
enum GenericEnvRules {
    static let secretKeyNames: Set<String> = ["SECRET_KEY", "SECRET", "JWT_SECRET", "APP_KEY", "SESSION_SECRET", "SECRET_KEY_BASE", "DJANGO_SECRET_KEY", "FLASK_SECRET_KEY"]
    static let debugNames: Set<String> = ["DEBUG", "APP_DEBUG", "FLASK_DEBUG", "DJANGO_DEBUG"]
    static let publicURLNames: Set<String> = ["PUBLIC_URL", "BASE_URL", "APP_URL", "SITE_URL", "FRONTEND_URL"]
    static let userNames = ["POSTGRES_USER", "DB_USER", "DATABASE_USER", "MYSQL_USER", "PGUSER"]
    static let databaseNames = ["POSTGRES_DB", "DB_NAME", "DATABASE_NAME", "MYSQL_DATABASE", "PGDATABASE"]

    static func findings(_ file: EnvFile, skipDatabaseURL: Bool) -> [Finding] {
        var findings: [Finding] = []
        let environment = file.environment
        for entry in file.entries where !entry.name.hasPrefix("SMF_") {
            let name = entry.name.uppercased()
            let evidence = { (detail: String) in Evidence(file: file.path, line: entry.line, detail: detail) }
            if secretKeyNames.contains(name) || name.hasSuffix("_SECRET_KEY") {
                let problems = SecretKeyPolicy.problems(entry.value, variable: entry.name)
                findings += problems.map { .fail("secrets.strong-secret-key", .critical, evidence($0.message), fix: $0.message) }
                if problems.isEmpty { findings.append(.pass("secrets.strong-secret-key", evidence("\(entry.name) meets the key policy"))) }
            } else if name.contains("PASSWORD") && !name.hasSuffix("_FILE") {
                findings += passwordFindings(entry, file: file, environment: environment, evidence: evidence)
            } else if name == "DATABASE_URL" && !skipDatabaseURL {
                let problems = DatabaseURLPolicy.productionProblems(DatabaseLocation.parse(entry.value), variable: entry.name)
                findings += problems.flatMap { problem in
                    EnvProductionRules.keys(forRule: problem.rule).map { .fail($0, .high, evidence(problem.message), fix: problem.message) }
                }
                if problems.isEmpty {
                    findings += ["secrets.default-db-credentials", "db.strong-password", "mistake.default-passwords"].map { .pass($0, evidence("\(entry.name): PostgreSQL, no superuser name, strong password")) }
                }
            } else if name.contains("CORS") || name.contains("ALLOWED_ORIGINS") {
                let parsed = CORSOriginPolicy.parse(entry.value, variable: entry.name)
                let problems = parsed.problems + parsed.productionProblems
                findings += problems.flatMap { problem in
                    ["secrets.cors-origins", "mistake.permissive-cors"].map { .fail($0, .critical, evidence(problem.message), fix: problem.message) }
                }
                if problems.isEmpty {
                    findings += ["secrets.cors-origins", "mistake.permissive-cors"].map { .pass($0, evidence("\(entry.name): exact https origins only")) }
                }
            } else if debugNames.contains(name) {
                if ["1", "true", "yes", "on"].contains(entry.value.lowercased()) {
                    findings.append(.fail("app.error-messages", .high, evidence("\(entry.name) is on: debug pages and errors leak internals"), fix: "Set \(entry.name)=false in production."))
                } else {
                    findings.append(.pass("app.error-messages", evidence("\(entry.name) is off")))
                }
            } else if publicURLNames.contains(name) || name.hasSuffix("_PUBLIC_URL") {
                let lowered = entry.value.lowercased()
                if lowered.hasPrefix("http://") && !lowered.hasPrefix("http://localhost") && !lowered.hasPrefix("http://127.") {
                    findings.append(.fail("mistake.unencrypted-communication", .high, evidence("\(entry.name) is an http:// URL"), fix: "Serve the site over HTTPS and set \(entry.name) to its https:// URL."))
                } else if lowered.hasPrefix("https://") {
                    findings.append(.pass("mistake.unencrypted-communication", evidence("\(entry.name) is https://")))
                }
            }
        }
        return findings
    }

    private static func passwordFindings(_ entry: EnvFile.Entry, file: EnvFile, environment: [String: String],
                                         evidence: (String) -> Evidence) -> [Finding] {
        let name = entry.name.uppercased()
        let isDatabase = ["POSTGRES", "DB_", "DATABASE", "MYSQL", "MARIADB", "PG"].contains { name.contains($0) }
        let user = userNames.lazy.compactMap { environment[$0] }.first
        let database = databaseNames.lazy.compactMap { environment[$0] }.first
        let problems = DatabasePasswordPolicy.problems(password: entry.value, user: user, database: database, variable: entry.name)
        if !isDatabase {
            // Any other password: only a well-known default is decidable.
            guard problems.contains(where: { $0.rule == "db-password.default" }) else { return [] }
            return [.fail("mistake.default-passwords", .high, evidence("\(entry.name) is a default or placeholder password"), fix: "Set a strong, unique password.")]
        }
        var findings = problems.flatMap { problem in
            EnvProductionRules.keys(forRule: problem.rule).map { Finding.fail($0, problem.rule == "db-password.default" ? .critical : .high, evidence(problem.message), fix: problem.message) }
        }
        if problems.isEmpty {
            findings += ["secrets.default-db-credentials", "db.strong-password", "mistake.default-passwords"].map { .pass($0, evidence("\(entry.name) meets the password policy")) }
        }
        return findings
    }
}
