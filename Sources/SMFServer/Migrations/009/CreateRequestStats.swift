import Fluent
import SQLKit

// 009 — persisted request statistics and resource samples for the weekly
// security review (issue 9, `smflow security-report`). The Prometheus
// metrics live in one process's memory and are gone after a restart; these
// tables keep per-minute aggregates that every app process adds to.

/// Per minute, method and route pattern: request count, 4xx and 5xx
/// counts, total and maximum latency and a latency histogram with the fixed
/// upper bounds of `RequestStatsHistogram.upperBoundsMilliseconds` (columns
/// `le_00` … `le_13`, the last one unbounded), so that p95 can be computed
/// over any period by adding the columns. Rows are merged by an additive
/// upsert (`RequestStatsStore`), so two processes or two flushes of the same
/// minute add up.
struct CreateRequestStats: AsyncMigration {
    static let schema = "request_stats"

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        let histogram = RequestStatsHistogram.columns.map { "\($0) BIGINT NOT NULL DEFAULT 0" }.joined(separator: ", ")
        try await sql.raw("""
            CREATE TABLE request_stats (
                bucket_ms BIGINT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL,
                requests BIGINT NOT NULL, client_errors BIGINT NOT NULL, server_errors BIGINT NOT NULL,
                duration_sum_us BIGINT NOT NULL, duration_max_us BIGINT NOT NULL, \(unsafeRaw: histogram),
                PRIMARY KEY (bucket_ms, method, route))
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await (database as? any SQLDatabase)?.raw("DROP TABLE IF EXISTS request_stats").run()
    }
}

/// One sample of a server process's resources per flush (about a minute):
/// resident memory, CPU seconds used since the process started (a counter:
/// the report takes differences per instance) and open file descriptors.
/// `instance` is `hostname/pid`.
struct CreateResourceSamples: AsyncMigration {
    static let schema = "resource_samples"

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("""
            CREATE TABLE resource_samples (
                sample_ms BIGINT NOT NULL, instance TEXT NOT NULL,
                rss_bytes BIGINT NOT NULL, cpu_seconds DOUBLE PRECISION NOT NULL, open_fds BIGINT NOT NULL,
                PRIMARY KEY (sample_ms, instance))
            """).run()
        try await sql.create(index: "resource_samples_time_idx").on(Self.schema).column("sample_ms").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as? any SQLDatabase)?.raw("DROP TABLE IF EXISTS resource_samples").run()
    }
}
