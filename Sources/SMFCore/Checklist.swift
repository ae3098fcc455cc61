/// The production security checklist (`seed/000_305bd3335791d5de.txt`) with
/// its stable keys, as in the shared `checklist.yaml`. The keys are a
/// contract: `smflow audit` reports every one and docs/SECURITY.md maps
/// every one to where it is enforced. Add keys; never rename them.
public struct ChecklistItem: Sendable, Hashable {
    public let key: String
    public let section: String
    /// The checklist's own words.
    public let seed: String
    /// The surfaces the audit reads for it (env, repo, compose, docker, nginx, live, db, host, app).
    public let surfaces: [String]
}

public enum Checklist {
    public static let items: [ChecklistItem] = [
        ChecklistItem(key: "secrets.default-db-credentials", section: "environment_and_secrets", seed: "Change default database credentials in .env.prod", surfaces: ["env", "compose", "db"]),
        ChecklistItem(key: "secrets.strong-secret-key", section: "environment_and_secrets", seed: "Generate strong SECRET_KEY (use openssl rand -hex 32)", surfaces: ["env"]),
        ChecklistItem(key: "secrets.production-api-keys", section: "environment_and_secrets", seed: "Use production API keys (not development/test keys)", surfaces: ["env", "app"]),
        ChecklistItem(key: "secrets.env-files-not-committed", section: "environment_and_secrets", seed: "Remove or secure .env files (never commit to git)", surfaces: ["repo", "env", "docker"]),
        ChecklistItem(key: "secrets.cors-origins", section: "environment_and_secrets", seed: "Set proper CORS origins (no wildcards in production)", surfaces: ["env", "live"]),
        ChecklistItem(key: "secrets.env-review", section: "environment_and_secrets", seed: "Review all environment variables for sensitive data", surfaces: ["env", "compose"]),
        ChecklistItem(key: "db.strong-password", section: "database_security", seed: "Strong PostgreSQL password (min 16 chars, mixed case, numbers, symbols)", surfaces: ["env", "compose"]),
        ChecklistItem(key: "db.not-exposed", section: "database_security", seed: "Database not exposed to internet (no port mapping in production)", surfaces: ["compose", "host"]),
        ChecklistItem(key: "db.backups", section: "database_security", seed: "Regular backups configured", surfaces: ["compose", "app"]),
        ChecklistItem(key: "db.least-privilege", section: "database_security", seed: "Database user has minimal privileges", surfaces: ["db"]),
        ChecklistItem(key: "app.https", section: "application_security", seed: "HTTPS enabled with valid SSL certificates", surfaces: ["nginx", "live"]),
        ChecklistItem(key: "app.security-headers", section: "application_security", seed: "Security headers configured (HSTS, CSP, X-Frame-Options)", surfaces: ["nginx", "live"]),
        ChecklistItem(key: "app.rate-limiting", section: "application_security", seed: "Rate limiting enabled on API endpoints", surfaces: ["nginx", "live"]),
        ChecklistItem(key: "app.input-validation", section: "application_security", seed: "Input validation on all endpoints", surfaces: ["live"]),
        ChecklistItem(key: "app.authn-authz", section: "application_security", seed: "Authentication/Authorization properly implemented", surfaces: ["live", "env"]),
        ChecklistItem(key: "app.error-messages", section: "application_security", seed: "Error messages don't leak sensitive information", surfaces: ["live", "env"]),
        ChecklistItem(key: "container.non-root", section: "container_security", seed: "Non-root users in all containers", surfaces: ["docker", "compose"]),
        ChecklistItem(key: "container.minimal-base", section: "container_security", seed: "Minimal base images (alpine/slim variants)", surfaces: ["docker"]),
        ChecklistItem(key: "container.no-unnecessary-packages", section: "container_security", seed: "No unnecessary packages installed", surfaces: ["docker"]),
        ChecklistItem(key: "container.healthchecks", section: "container_security", seed: "Container health checks configured", surfaces: ["docker", "compose"]),
        ChecklistItem(key: "container.resource-limits", section: "container_security", seed: "Resource limits set for containers", surfaces: ["compose"]),
        ChecklistItem(key: "network.internal", section: "network_security", seed: "Internal Docker network configured", surfaces: ["compose"]),
        ChecklistItem(key: "network.only-proxy-exposed", section: "network_security", seed: "Services not directly exposed (only through nginx)", surfaces: ["compose", "host"]),
        ChecklistItem(key: "network.firewall", section: "network_security", seed: "Firewall rules configured on host", surfaces: ["host"]),
        ChecklistItem(key: "network.admin-private", section: "network_security", seed: "VPN/Private network for administrative access", surfaces: ["nginx", "env", "live"]),
        ChecklistItem(key: "monitor.failed-auth", section: "security_monitoring", seed: "Monitor failed authentication attempts", surfaces: ["app"]),
        ChecklistItem(key: "monitor.unusual-usage", section: "security_monitoring", seed: "Monitor unusual API usage patterns", surfaces: ["app"]),
        ChecklistItem(key: "monitor.db-errors", section: "security_monitoring", seed: "Monitor database connection errors", surfaces: ["app", "live"]),
        ChecklistItem(key: "monitor.rate-limit-violations", section: "security_monitoring", seed: "Monitor rate limit violations", surfaces: ["app"]),
        ChecklistItem(key: "health.availability", section: "health_monitoring", seed: "Service availability", surfaces: ["live", "docker", "compose"]),
        ChecklistItem(key: "health.response-times", section: "health_monitoring", seed: "Response times", surfaces: ["live"]),
        ChecklistItem(key: "health.error-rates", section: "health_monitoring", seed: "Error rates", surfaces: ["live"]),
        ChecklistItem(key: "health.resource-usage", section: "health_monitoring", seed: "Resource usage", surfaces: ["live"]),
        ChecklistItem(key: "tasks.weekly-review", section: "regular_tasks", seed: "Weekly: review access logs, check failed login attempts, monitor resource usage", surfaces: ["app"]),
        ChecklistItem(key: "tasks.monthly-rotation", section: "regular_tasks", seed: "Monthly: update images, rotate API keys, check SSL certificate expiry, scan containers", surfaces: ["app", "live", "docker"]),
        ChecklistItem(key: "tasks.quarterly-audit", section: "regular_tasks", seed: "Quarterly: full audit, penetration testing, policy review, dependency updates", surfaces: ["repo"]),
        ChecklistItem(key: "mistake.hardcoded-secrets", section: "common_mistakes", seed: "Hardcoded secrets in code", surfaces: ["repo", "docker"]),
        ChecklistItem(key: "mistake.default-passwords", section: "common_mistakes", seed: "Default passwords in production", surfaces: ["env", "compose"]),
        ChecklistItem(key: "mistake.permissive-cors", section: "common_mistakes", seed: "Overly permissive CORS settings", surfaces: ["env", "live"]),
        ChecklistItem(key: "mistake.exposed-internal-services", section: "common_mistakes", seed: "Exposing internal services directly", surfaces: ["compose", "host"]),
        ChecklistItem(key: "mistake.root-containers", section: "common_mistakes", seed: "Running containers as root", surfaces: ["docker", "compose"]),
        ChecklistItem(key: "mistake.missing-headers", section: "common_mistakes", seed: "Missing security headers", surfaces: ["nginx", "live"]),
        ChecklistItem(key: "mistake.unencrypted-communication", section: "common_mistakes", seed: "Unencrypted communication", surfaces: ["nginx", "live", "env"]),
        ChecklistItem(key: "mistake.insufficient-logging", section: "common_mistakes", seed: "Insufficient logging", surfaces: ["app", "nginx"]),
        ChecklistItem(key: "mistake.no-rate-limiting", section: "common_mistakes", seed: "No rate limiting", surfaces: ["nginx", "live"]),
        ChecklistItem(key: "mistake.outdated-dependencies", section: "common_mistakes", seed: "Outdated dependencies", surfaces: ["repo", "docker"]),
    ]

    public static var keys: [String] { items.map(\.key) }
}
