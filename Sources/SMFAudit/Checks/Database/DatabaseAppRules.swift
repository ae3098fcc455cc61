/// The product's own database: security events of the last 7 days
/// (failed sign-ins, rate-limit violations, usage anomalies) and API keys
/// (test keys, rotation after 90 days). Column names from
/// Sources/SMFServer/Migrations/001/CreateIdentity.swift.
enum DatabaseAppRules {
    static let keys: Set<String> = ["monitor.failed-auth", "monitor.rate-limit-violations", "monitor.unusual-usage",
                                    "mistake.insufficient-logging", "secrets.production-api-keys", "tasks.monthly-rotation"]

    static let tablesSQL = "SELECT to_regclass('security_events') IS NOT NULL AND to_regclass('api_keys') IS NOT NULL"

    static let eventsSQL = """
        SELECT count(*) FILTER (WHERE type = 'login' AND outcome = 'failure'),
               count(*) FILTER (WHERE type = 'ratelimit.exceeded'),
               count(*) FILTER (WHERE type = 'usage.anomaly'),
               count(*)
        FROM security_events WHERE occurred_at > now() - interval '7 days'
        """

    static let keysSQL = """
        SELECT count(*) FILTER (WHERE created_at < now() - interval '90 days'), count(*) FILTER (WHERE is_test), count(*)
        FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        """

    struct Counts: Sendable, Equatable {
        var failedLogins = 0, rateLimited = 0, anomalies = 0, events = 0
        var oldKeys = 0, testKeys = 0, activeKeys = 0
    }

    /// Thresholds for a week: more failed sign-ins than this look like guessing.
    static let failedLoginWarning = 100
    static let rateLimitWarning = 1_000

    static func findings(_ counts: Counts, connection: String) -> [Finding] {
        var findings: [Finding] = []
        let review = "Review the security events (GET /api/v1/workspaces/{id}/security-events): sources, accounts, times; block or rate-limit the sources."
        let week = "in the last 7 days (\(connection))"
        findings.append(counts.failedLogins >= failedLoginWarning
            ? .warn("monitor.failed-auth", .medium, Evidence(detail: "\(counts.failedLogins) failed sign-ins \(week)"), fix: review)
            : .pass("monitor.failed-auth", Evidence(detail: "\(counts.failedLogins) failed sign-ins \(week), recorded as security events")))
        findings.append(counts.rateLimited >= rateLimitWarning
            ? .warn("monitor.rate-limit-violations", .medium, Evidence(detail: "\(counts.rateLimited) ratelimit.exceeded events \(week)"), fix: review)
            : .pass("monitor.rate-limit-violations", Evidence(detail: "\(counts.rateLimited) ratelimit.exceeded events \(week)")))
        findings.append(counts.anomalies > 0
            ? .warn("monitor.unusual-usage", .medium, Evidence(detail: "\(counts.anomalies) usage.anomaly events \(week)"), fix: review)
            : .pass("monitor.unusual-usage", Evidence(detail: "no usage.anomaly events \(week); the detector records them")))
        findings.append(counts.events > 0
            ? .pass("mistake.insufficient-logging", Evidence(detail: "\(counts.events) security events \(week)"))
            : .warn("mistake.insufficient-logging", .low, Evidence(detail: "no security events at all \(week)"),
                    fix: "Check that the service writes security events (sign-ins always do); a new or idle deployment has none."))
        findings.append(counts.testKeys > 0
            ? .fail("secrets.production-api-keys", .high, Evidence(detail: "\(counts.testKeys) active test API key(s) (is_test) \(connection)"),
                    fix: "Revoke the test keys; production accepts only smf_live_ keys.")
            : .pass("secrets.production-api-keys", Evidence(detail: "no active test API keys among \(counts.activeKeys) (\(connection))")))
        // Only a warning: a pass would hide the rest of the monthly task (images, SMF_* keys, certificate).
        if counts.oldKeys > 0 {
            findings.append(.warn("tasks.monthly-rotation", .medium, Evidence(detail: "\(counts.oldKeys) active API key(s) older than 90 days (\(connection))"),
                                  fix: "Rotate them: create a new key, switch the client, revoke the old one."))
        }
        return findings
    }
}
