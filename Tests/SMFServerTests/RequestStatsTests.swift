import Fluent
import Foundation
import Logging
import Synchronization
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// The persisted request statistics (issue 9): per-minute buckets in memory,
/// flushed with one additive upsert per bucket, p95 from fixed buckets.
@Suite struct RequestStatsTests {
    static let minute: Int64 = 1_764_590_400_000  // 2025-12-01T12:00:00Z, a whole minute

    // MARK: histogram

    @Test func bucket_index_uses_inclusive_upper_bounds() {
        #expect(RequestStatsHistogram.columns.count == 14)
        #expect(RequestStatsHistogram.columns.first == "le_00" && RequestStatsHistogram.columns.last == "le_13")
        #expect(RequestStatsHistogram.index(micros: 0) == 0)
        #expect(RequestStatsHistogram.index(micros: 1_000) == 0)
        #expect(RequestStatsHistogram.index(micros: 1_001) == 1)
        #expect(RequestStatsHistogram.index(micros: 5_000) == 2)
        #expect(RequestStatsHistogram.index(micros: 300_000) == 8)
        #expect(RequestStatsHistogram.index(micros: 10_000_000) == 12)
        #expect(RequestStatsHistogram.index(micros: 10_000_001) == 13)
    }

    static func counts(_ pairs: [Int: Int64]) -> [Int64] {
        (0..<RequestStatsHistogram.bucketCount).map { pairs[$0] ?? 0 }
    }

    @Test func p95_interpolates_inside_the_bucket() throws {
        // 100 requests in (10, 25] ms: rank 95 → 10 + 15 × 95/100.
        #expect(RequestStatsHistogram.quantile(0.95, counts: Self.counts([4: 100]), maxMilliseconds: 25) == 24.25)
        // 90 fast, 10 in (250, 500]: rank 95 is the 5th of 10 → 375.
        #expect(RequestStatsHistogram.quantile(0.95, counts: Self.counts([2: 90, 8: 10]), maxMilliseconds: 400) == 375)
        // Never above the slowest request seen.
        #expect(RequestStatsHistogram.quantile(0.95, counts: Self.counts([8: 20]), maxMilliseconds: 480) == 480)
        // In the unbounded bucket: the maximum.
        #expect(RequestStatsHistogram.quantile(0.95, counts: Self.counts([0: 1, 13: 99]), maxMilliseconds: 31_000) == 31_000)
        #expect(RequestStatsHistogram.quantile(0.5, counts: Self.counts([0: 10]), maxMilliseconds: 0.9) == 0.5)
        #expect(RequestStatsHistogram.quantile(0.95, counts: Self.counts([:]), maxMilliseconds: 0) == nil)
    }

    // MARK: aggregator

    @Test func aggregator_buckets_by_minute_method_and_route() {
        let clock = ManualMillis(Self.minute + 59_999)
        let stats = RequestStatsAggregator(now: clock.read)
        stats.record(method: "GET", route: "/api/v1/flows", status: 200, duration: .milliseconds(4))
        stats.record(method: "GET", route: "/api/v1/flows", status: 404, duration: .milliseconds(30))
        stats.record(method: "GET", route: "/api/v1/flows", status: 503, duration: .milliseconds(300))
        stats.record(method: "POST", route: "/api/v1/flows", status: 201, duration: .milliseconds(4))
        clock.set(Self.minute + 60_000)
        stats.record(method: "GET", route: "/api/v1/flows", status: 200, duration: .milliseconds(4))
        let (entries, dropped) = stats.drain()
        #expect(dropped == 0)
        #expect(entries.count == 3)
        let first = entries[RequestStatsKey(bucketMilliseconds: Self.minute, method: "GET", route: "/api/v1/flows")]
        #expect(first?.requests == 3)
        #expect(first?.clientErrors == 1)
        #expect(first?.serverErrors == 1)
        #expect(first?.durationSumMicros == 334_000)
        #expect(first?.durationMaxMicros == 300_000)
        #expect(first?.histogram == Self.counts([2: 1, 5: 1, 8: 1]))
        #expect(entries[RequestStatsKey(bucketMilliseconds: Self.minute + 60_000, method: "GET", route: "/api/v1/flows")]?.requests == 1)
        #expect(stats.pendingBuckets == 0)
    }

    @Test func aggregator_is_bounded() {
        let stats = RequestStatsAggregator(maxEntries: 2, now: { Self.minute })
        for route in ["/a", "/b", "/c", "/c", "/a"] {
            stats.record(method: "GET", route: route, status: 200, duration: .milliseconds(1))
        }
        let (entries, dropped) = stats.drain()
        #expect(entries.count == 2)
        #expect(dropped == 2)
        #expect(entries[RequestStatsKey(bucketMilliseconds: Self.minute, method: "GET", route: "/a")]?.requests == 2)
        // What a failed flush puts back stays within the bound too.
        stats.record(method: "GET", route: "/x", status: 200, duration: .milliseconds(1))
        stats.restore(entries)
        #expect(stats.pendingBuckets == 2)
        // Either /a (2 requests) or /b (1) found no room.
        #expect([1, 2].contains(stats.drain().dropped))
    }

    // MARK: flusher (database)

    static func rows(_ app: Application) async throws -> [[String: Int64]] {
        let sql = try #require(app.db as? any SQLDatabase)
        let columns = ["bucket_ms", "requests", "client_errors", "server_errors", "duration_sum_us", "duration_max_us"] + RequestStatsHistogram.columns
        let rows = try await sql.raw("SELECT * FROM request_stats ORDER BY bucket_ms, method, route").all()
        return try rows.map { row in
            var values: [String: Int64] = [:]
            for column in columns { values[column] = try row.decode(column: column, as: Int64.self) }
            return values
        }
    }

    static func flusher(_ app: Application, _ stats: RequestStatsAggregator, logs: LogCapture? = nil) -> RequestStatsFlusher {
        RequestStatsFlusher(aggregator: stats, metrics: app.smf.metrics, database: { [unowned app] in app.db },
                            logger: logs?.makeLogger() ?? app.logger, instance: "test-host/1", now: { Self.minute + 1_000 })
    }

    @Test func flushes_of_the_same_minute_add_up() async throws {
        try await withTestApp { app in
            let clock = ManualMillis(Self.minute + 5_000)
            let stats = RequestStatsAggregator(now: clock.read)
            let flusher = Self.flusher(app, stats)
            stats.record(method: "GET", route: "/api/v1/flows/:id", status: 200, duration: .milliseconds(4))
            stats.record(method: "GET", route: "/api/v1/flows/:id", status: 500, duration: .milliseconds(700))
            let first = await flusher.flush(sampleResources: true)
            #expect(first.bucketsWritten == 1)
            clock.set(Self.minute + 50_000)
            stats.record(method: "GET", route: "/api/v1/flows/:id", status: 404, duration: .milliseconds(40))
            stats.record(method: "GET", route: "/api/v1/flows/:id", status: 200, duration: .milliseconds(400))
            clock.set(Self.minute + 61_000)
            stats.record(method: "GET", route: "/api/v1/flows/:id", status: 200, duration: .milliseconds(1))
            let second = await flusher.flush(sampleResources: false)
            #expect(second.bucketsWritten == 2)
            #expect(stats.pendingBuckets == 0)

            let rows = try await Self.rows(app)
            #expect(rows.count == 2)
            let merged = try #require(rows.first)
            #expect(merged["bucket_ms"] == Self.minute)
            #expect(merged["requests"] == 4)
            #expect(merged["client_errors"] == 1)
            #expect(merged["server_errors"] == 1)
            #expect(merged["duration_sum_us"] == 1_144_000)
            // The larger maximum wins, whichever flush brought it.
            #expect(merged["duration_max_us"] == 700_000)
            #expect(merged["le_02"] == 1 && merged["le_05"] == 1 && merged["le_08"] == 1 && merged["le_09"] == 1)
            #expect(rows.last?["bucket_ms"] == Self.minute + 60_000)
            #expect(rows.last?["requests"] == 1)

            // The first flush sampled this process's resources (Linux /proc).
            let sql = try #require(app.db as? any SQLDatabase)
            let samples = try await sql.raw("SELECT instance, rss_bytes, open_fds FROM resource_samples").all()
            #expect(first.sampled == FileManager.default.fileExists(atPath: "/proc/self/stat"))
            if first.sampled {
                #expect(samples.count == 1)
                #expect(try samples.first?.decode(column: "instance", as: String.self) == "test-host/1")
                #expect(try (samples.first?.decode(column: "rss_bytes", as: Int64.self) ?? 0) > 0)
            }
        }
    }

    @Test func a_failed_flush_keeps_the_buckets_and_logs() async throws {
        let logs = LogCapture()
        try await withTestApp { app in
            let stats = RequestStatsAggregator(now: { Self.minute })
            let flusher = Self.flusher(app, stats, logs: logs)
            let sql = try #require(app.db as? any SQLDatabase)
            try await CreateRequestStats().revert(on: app.db)
            stats.record(method: "GET", route: "/healthz", status: 200, duration: .milliseconds(1))
            let failed = await flusher.flush(sampleResources: false)
            #expect(failed.bucketsWritten == 0)
            #expect(failed.bucketsKept == 1)
            #expect(stats.pendingBuckets == 1)
            #expect(logs.lines.contains { $0.contains("request statistics not stored") })
            #expect(app.smf.metrics.exposition().contains("db_errors_total 1"))

            try await CreateRequestStats().prepare(on: app.db)
            stats.record(method: "GET", route: "/healthz", status: 200, duration: .milliseconds(1))
            let retried = await flusher.flush(sampleResources: false)
            #expect(retried.bucketsWritten == 1)
            let count = try await sql.raw("SELECT requests FROM request_stats").first()?.decode(column: "requests", as: Int64.self)
            #expect(count == 2)
        }
    }

    /// The hook in the request pipeline: requests land in memory, not in
    /// the database, until a flush.
    @Test func requests_are_aggregated_without_a_write_per_request() async throws {
        try await withTestApp { app in
            for _ in 0..<3 {
                try await app.testing().test(.GET, "healthz") { #expect($0.status == .ok) }
            }
            try await app.testing().test(.GET, "no/such/path") { #expect($0.status == .notFound) }
            #expect(try await Self.rows(app).isEmpty)
            let pending = app.smf.metrics.requestStats.drain().entries
            #expect(pending.values.reduce(0) { $0 + $1.requests } == 4)
            #expect(pending.keys.contains { $0.route == "/healthz" && $0.method == "GET" })
            #expect(pending.keys.contains { $0.route == "unmatched" })
            app.smf.metrics.requestStats.restore(pending)

            let lifecycle = RequestStatsLifecycle(
                flusher: RequestStatsFlusher(aggregator: app.smf.metrics.requestStats, metrics: app.smf.metrics,
                                             database: { [unowned app] in app.db }, logger: app.logger),
                interval: .seconds(3600), enabled: true)
            try await lifecycle.didBootAsync(app)
            // Shutdown flushes what is left (the databases are still open then).
            await lifecycle.shutdownAsync(app)
            let rows = try await Self.rows(app)
            #expect(rows.reduce(0) { $0 + ($1["requests"] ?? 0) } == 4)
            #expect(app.smf.metrics.requestStats.pendingBuckets == 0)
        }
    }

    /// What `serve` does: boot, answer requests, shut down — the last flush
    /// must run before Fluent closes the pools (it crashed in Fluent once,
    /// when the handler was registered before the databases).
    @Test func a_booted_server_flushes_at_shutdown_before_the_database_closes() async throws {
        try await withServerLifeOnSQLiteFile("stats", whileRunning: { app in
            for _ in 0..<3 {
                try await app.testing().test(.GET, "healthz") { #expect($0.status == .ok) }
            }
        }, afterShutdown: { reader in
            let rows = try await Self.rows(reader)
            #expect(rows.reduce(0) { $0 + ($1["requests"] ?? 0) } == 3)
            let sql = try #require(reader.db as? any SQLDatabase)
            let samples = try await sql.raw("SELECT COUNT(*) AS n FROM resource_samples").first()?.decode(column: "n", as: Int.self)
            #expect(samples == (FileManager.default.fileExists(atPath: "/proc/self/stat") ? 1 : 0))
        })
    }

    @Test func the_timer_flushes_while_the_server_runs() async throws {
        try await withTestApp { app in
            let stats = RequestStatsAggregator(now: { Self.minute })
            let lifecycle = RequestStatsLifecycle(flusher: Self.flusher(app, stats), interval: .milliseconds(50), enabled: true)
            try await lifecycle.didBootAsync(app)
            stats.record(method: "GET", route: "/healthz", status: 200, duration: .milliseconds(1))
            let deadline = ContinuousClock.now + .seconds(30)
            while try await Self.rows(app).isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await Self.rows(app).first?["requests"] == 1)
            await lifecycle.shutdownAsync(app)
        }
    }

    @Test func rows_older_than_90_days_are_pruned() async throws {
        try await withTestApp { app in
            let sql = try #require(app.db as? any SQLDatabase)
            let old = Self.minute - RequestStatsFlusher.retentionMilliseconds - 60_000
            try await RequestStatsStore.add(RequestStatsKey(bucketMilliseconds: old, method: "GET", route: "/old"), RequestStatsCounts(), on: sql)
            try await RequestStatsStore.add(
                ResourceSample(milliseconds: old, instance: "x/1", residentBytes: 1, cpuSeconds: 0, openFileDescriptors: 1), on: sql)
            let kept = Self.minute - RequestStatsFlusher.retentionMilliseconds + 60_000
            try await RequestStatsStore.add(RequestStatsKey(bucketMilliseconds: kept, method: "GET", route: "/kept"), RequestStatsCounts(), on: sql)
            await Self.flusher(app, RequestStatsAggregator()).flush(sampleResources: false)
            #expect(try await Self.rows(app).map { $0["bucket_ms"] } == [kept])
            let samples = try await sql.raw("SELECT COUNT(*) AS n FROM resource_samples").first()?.decode(column: "n", as: Int.self)
            #expect(samples == 0)
        }
    }

    @Test func lifecycle_is_off_under_testing_and_before_boot() async throws {
        try await withTestApp { app in
            let stats = RequestStatsAggregator(now: { Self.minute })
            stats.record(method: "GET", route: "/healthz", status: 200, duration: .milliseconds(1))
            let notBooted = RequestStatsLifecycle(flusher: Self.flusher(app, stats), enabled: true)
            await notBooted.shutdownAsync(app)
            let off = RequestStatsLifecycle(flusher: Self.flusher(app, stats), enabled: false)
            try await off.didBootAsync(app)
            await off.shutdownAsync(app)
            #expect(try await Self.rows(app).isEmpty)
            #expect(stats.pendingBuckets == 1)
        }
    }
}

/// Epoch milliseconds set by hand.
final class ManualMillis: Sendable {
    private let value: Mutex<Int64>

    init(_ start: Int64) { value = Mutex(start) }

    func set(_ new: Int64) { value.withLock { $0 = new } }
    var read: @Sendable () -> Int64 { { [self] in value.withLock { $0 } } }
}
