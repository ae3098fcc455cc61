/// The rules a production configuration must meet. `serve`, `migrate` and
/// `config check` refuse to go on (exit 78) while any of them fails; the
/// same policy functions are used by `smflow audit` on env files.
public enum ProductionGuardrails {
    public static func evaluate(_ config: AppConfig, corsProblems: [PolicyProblem] = []) -> [ConfigFinding] {
        var findings: [ConfigFinding] = []
        func refuse(_ variable: String, _ problems: [PolicyProblem]) {
            findings += problems.map { ConfigFinding(.error, variable: variable, $0) }
        }

        // Keys: present, strong, and not the same key twice.
        for (name, key) in [("SMF_SECRET_KEY", config.secretKey), ("SMF_ENCRYPTION_KEY", config.encryptionKey)] {
            if let key {
                refuse(name, SecretKeyPolicy.problems(key.reveal(), variable: name))
            } else {
                refuse(name, [PolicyProblem(
                    rule: "secret-key.missing",
                    message: "\(name) is not set; generate one with `smflow secrets generate` and set it (or \(name)_FILE)")])
            }
        }
        if let secret = config.secretKey, let encryption = config.encryptionKey, secret == encryption {
            refuse("SMF_ENCRYPTION_KEY", [PolicyProblem(
                rule: "secret-key.reused",
                message: "SMF_ENCRYPTION_KEY equals SMF_SECRET_KEY; generate a separate key for each")])
        }

        // Earlier encryption keys (rotation): each as strong as a current one.
        for (index, key) in config.encryptionKeyPrevious.enumerated() {
            refuse("SMF_ENCRYPTION_KEY_PREVIOUS",
                   SecretKeyPolicy.problems(key.reveal(), variable: "SMF_ENCRYPTION_KEY_PREVIOUS entry \(index + 1)"))
            if let secret = config.secretKey, secret == key {
                refuse("SMF_ENCRYPTION_KEY_PREVIOUS", [PolicyProblem(
                    rule: "secret-key.reused",
                    message: "SMF_ENCRYPTION_KEY_PREVIOUS entry \(index + 1) equals SMF_SECRET_KEY; generate a separate key for each")])
            }
        }

        // Outside APIs are reached over TLS only; an allowlist never opens everything.
        for (name, url) in [("SMF_TELEGRAM_API_URL", config.telegramAPIURL), ("SMF_GRAPH_API_URL", config.graphAPIURL)]
        where !url.lowercased().hasPrefix("https://") {
            refuse(name, [PolicyProblem(rule: "outbound.not-https", message: "\(name) must start with https:// in production")])
        }
        if config.outboundAllowlist.contains(where: { CIDR($0)?.matchesEverything == true }) {
            refuse("SMF_OUTBOUND_ALLOWLIST", [PolicyProblem(
                rule: "outbound.everyone",
                message: "SMF_OUTBOUND_ALLOWLIST admits every address, which switches the SSRF guard off; list the hosts or networks you need")])
        }

        // Database: PostgreSQL, not as a superuser, with a strong password.
        refuse("DATABASE_URL", DatabaseURLPolicy.productionProblems(config.databaseIsExplicit ? config.database : nil))

        refuse("SMF_CORS_ORIGINS", corsProblems)

        // Public URL: users and webhooks must reach us over TLS.
        if let url = config.publicURL {
            if !url.lowercased().hasPrefix("https://") {
                refuse("SMF_PUBLIC_URL", [PolicyProblem(
                    rule: "public-url.not-https",
                    message: "SMF_PUBLIC_URL must start with https:// in production")])
            }
        } else {
            refuse("SMF_PUBLIC_URL", [PolicyProblem(
                rule: "public-url.missing",
                message: "SMF_PUBLIC_URL is not set; set the https:// address the service is reached at")])
        }

        if config.logLevel <= .debug {
            refuse("SMF_LOG_LEVEL", [PolicyProblem(
                rule: "debug.enabled",
                message: "SMF_LOG_LEVEL is \(config.logLevel.rawValue); debug output is refused in production, use info or higher")])
        }

        if config.bcryptCost < 12 {
            refuse("SMF_BCRYPT_COST", [PolicyProblem(
                rule: "bcrypt.cost-low",
                message: "SMF_BCRYPT_COST is below 12; production hashes passwords at cost 12 or more")])
        }

        if config.trustedProxies.contains(where: \.matchesEverything) {
            refuse("SMF_TRUSTED_PROXIES", [PolicyProblem(
                rule: "proxies.everyone",
                message: "SMF_TRUSTED_PROXIES trusts every address, so any client could forge X-Forwarded-For; list your proxies' networks only")])
        }
        if config.adminNetworks.contains(where: \.matchesEverything) {
            refuse("SMF_ADMIN_NETWORKS", [PolicyProblem(
                rule: "admin.everyone",
                message: "SMF_ADMIN_NETWORKS admits every address; list loopback, VPN or private networks only")])
        }
        return findings
    }
}
