import FluentKit
import SMFSecurity
import SQLKit

/// Rate-limit state in the database, shared by every app process (checklist
/// key `app.rate-limiting` across instances). One statement per decision —
/// an upsert that only moves the TAT when the request is allowed and
/// returns a row only then — so concurrent requests from any number of
/// processes cannot both take the last slot (DESIGN pitfall 10). The same
/// SQL runs on PostgreSQL and SQLite (≥ 3.35 for RETURNING).
/// Public so that `smflow-bench-ratelimit` measures this exact type.
public struct DatabaseRateLimitStore: RateLimitStore {
    let database: @Sendable () -> any Database

    /// `database` returns a handle onto the shared pool (`{ app.db }`).
    public init(database: @escaping @Sendable () -> any Database) {
        self.database = database
    }

    struct NotSQL: Error {}

    public func decide(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        guard let sql = database() as? any SQLDatabase else { throw NotSQL() }
        let storedKey = policy.name + ":" + key
        let interval = policy.emissionInterval
        let tolerance = policy.tolerance
        let admitted = try await sql.raw("""
            INSERT INTO rate_limits (key, tat_ms) VALUES (\(bind: storedKey), \(bind: now + interval))
            ON CONFLICT (key) DO UPDATE
            SET tat_ms = (CASE WHEN rate_limits.tat_ms > \(bind: now) THEN rate_limits.tat_ms ELSE \(bind: now) END) + \(bind: interval)
            WHERE rate_limits.tat_ms - \(bind: tolerance) <= \(bind: now)
            RETURNING tat_ms
            """).first()
        if let admitted {
            let tat = try admitted.decode(column: "tat_ms", as: Int64.self)
            Self.pruneOccasionally(sql, now: now)
            return RateLimitDecision(
                allowed: true, newTAT: tat, remaining: GCRA.remaining(afterTAT: tat, now: now, policy: policy),
                retryAfterMilliseconds: 0, resetMilliseconds: tat - now)
        }
        // Refused: read the TAT for Retry-After (the refusal path only).
        let current = try await sql.raw("SELECT tat_ms FROM rate_limits WHERE key = \(bind: storedKey)").first()
        let tat = try current?.decode(column: "tat_ms", as: Int64.self) ?? now
        return GCRA.decide(tat: tat, now: now, policy: policy)
    }

    /// About once per 10,000 decisions, drop rows whose TAT passed more than
    /// a minute ago: they carry no information.
    private static func pruneOccasionally(_ sql: any SQLDatabase, now: Int64) {
        guard UInt16.random(in: 0..<10_000) == 0 else { return }
        Task {
            try? await sql.raw("DELETE FROM rate_limits WHERE tat_ms < \(bind: now - 60_000)").run()
        }
    }
}
