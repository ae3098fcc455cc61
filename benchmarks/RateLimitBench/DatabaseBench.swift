import Foundation
import NIOCore
import SMFSecurity
import SMFServer
import Vapor

/// Decisions per second and latency of the PostgreSQL store from concurrent
/// tasks, then a correctness check under contention on one key.
///
/// The store is the one the application builds for
/// `SMF_RATE_LIMIT_STORE=postgres` (same connection pool settings, same
/// SQL), on a schema made by the app's own `Migrator`.
enum DatabaseBench {
    /// One task's share of a run.
    struct TaskResult: Sendable {
        var latencies: [Int64] = []   // nanoseconds
        var admitted = 0
        var errors = 0
        var admittedTimes: [Int64] = []   // the `now` of each admission (check only)
        var firstNow = Int64.max
        var lastNow = Int64.min
    }

    static func run(databaseURL: String, seconds: Int, keys keyCount: Int, concurrency: [Int]) async throws -> Bool {
        let loaded = ConfigLoader.load(environment: [
            "DATABASE_URL": databaseURL, "SMF_RATE_LIMIT_STORE": "postgres", "SMF_LOG_LEVEL": "warning",
        ])
        guard loaded.isValid else {
            for finding in loaded.errors { FileHandle.standardError.write(Data((finding.description + "\n").utf8)) }
            return false
        }
        try await Migrator.migrate(config: loaded.config)
        let app = try await ServerRunner.makeApplication(config: loaded.config)
        do {
            let passed = try await measure(app, seconds: seconds, keyCount: keyCount, concurrency: concurrency)
            try await app.asyncShutdown()
            return passed
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    private static func measure(_ app: Application, seconds: Int, keyCount: Int, concurrency: [Int]) async throws -> Bool {
        // The store `configure` installs for SMF_RATE_LIMIT_STORE=postgres, built the same way.
        let store: any RateLimitStore = DatabaseRateLimitStore(database: { app.db })
        let storeType = String(describing: type(of: store))
        // configure() gives the pool 4 connections per event loop.
        let loops = System.coreCount
        print("info store=\(storeType) event_loops=\(loops) pool_connections=\(4 * loops)")

        // Production default for reads; over 10k keys at a few thousand
        // decisions per second each key sees well under its 10/s, so nearly
        // every decision is an admission (the upsert that writes).
        let policy = RateLimitConfiguration.defaults[.read]
            ?? RateLimitPolicy(name: "read", limit: 600, periodMilliseconds: 60_000, burst: 120)
        let keys = (0..<keyCount).map { "ip:10.\($0 >> 16 & 255).\($0 >> 8 & 255).\($0 & 255)" }

        var ok = true
        // Warm-up: connections opened, statements and caches hot.
        _ = try await hammer(store, keys: keys, policy: policy, tasks: concurrency[0], seconds: 2)
        for tasks in concurrency {
            let (results, elapsed) = try await hammer(store, keys: keys, policy: policy, tasks: tasks, seconds: seconds)
            let latencies = results.flatMap(\.latencies).sorted()
            let decisions = latencies.count
            let errors = results.reduce(0) { $0 + $1.errors }
            let admitted = results.reduce(0) { $0 + $1.admitted }
            print("result store=postgres concurrency=\(tasks) keys=\(keyCount) seconds=\(format(elapsed, 2)) "
                + "decisions=\(decisions) per_second=\(Int((Double(decisions) / elapsed).rounded())) "
                + "p50_ms=\(format(percentile(latencies, 0.50), 3)) p99_ms=\(format(percentile(latencies, 0.99), 3)) "
                + "admitted_pct=\(format(Double(admitted) / Double(max(1, decisions)) * 100, 1)) errors=\(errors)")
            if errors > 0 { ok = false }
        }
        let top = concurrency.max() ?? 32
        ok = try await checkWindow(store, tasks: top) && ok
        ok = try await checkSameInstant(store, tasks: top) && ok
        return ok
    }

    /// `tasks` tasks call `decide` back to back for `seconds`, each on keys
    /// drawn from `keys`, with the wall clock in milliseconds as `now` (as the
    /// middleware does).
    private static func hammer(
        _ store: any RateLimitStore, keys: [String], policy: RateLimitPolicy, tasks: Int, seconds: Int,
        recordAdmissions: Bool = false
    ) async throws -> (results: [TaskResult], elapsed: Double) {
        let clock = ContinuousClock()
        let began = clock.now
        let deadline = began + .seconds(seconds)
        let results = try await withThrowingTaskGroup(of: TaskResult.self) { group in
            for index in 0..<tasks {
                group.addTask {
                    var result = TaskResult()
                    result.latencies.reserveCapacity(seconds * 2_000)
                    var generator = SplitMix64(seed: UInt64(index + 1))
                    while clock.now < deadline {
                        let key = keys[Int(generator.next() % UInt64(keys.count))]
                        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                        let start = clock.now
                        do {
                            let decision = try await store.decide(key: key, policy: policy, now: now)
                            if decision.allowed {
                                result.admitted += 1
                                if recordAdmissions { result.admittedTimes.append(now) }
                            }
                        } catch {
                            result.errors += 1
                            continue
                        }
                        result.latencies.append(nanoseconds(clock.now - start))
                        result.firstNow = min(result.firstNow, now)
                        result.lastNow = max(result.lastNow, now)
                    }
                    return result
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return (results, asSeconds(clock.now - began))
    }

    /// All tasks on ONE fresh key for 2 s with limit 50/s, burst 10 (T = 20
    /// ms). GCRA allows at most burst + floor(elapsed / T), with elapsed from
    /// the earliest to the latest `now` any request carried (whatever order
    /// the database ran them in). More is a lost update: fail.
    private static func checkWindow(_ store: any RateLimitStore, tasks: Int) async throws -> Bool {
        let policy = RateLimitPolicy(name: "bench-check", limit: 50, periodMilliseconds: 1000, burst: 10)
        let key = "check:" + UUID().uuidString
        let (results, _) = try await hammer(store, keys: [key], policy: policy, tasks: tasks, seconds: 2, recordAdmissions: true)
        let decisions = results.reduce(0) { $0 + $1.latencies.count }
        let admitted = results.reduce(0) { $0 + $1.admitted }
        let errors = results.reduce(0) { $0 + $1.errors }
        let first = results.map(\.firstNow).min() ?? 0
        let last = results.map(\.lastNow).max() ?? 0
        let elapsed = max(0, last - first)
        let bound = Int64(policy.burst) + elapsed / policy.emissionInterval
        let passed = Int64(admitted) <= bound && errors == 0
        print("check name=one-key-window tasks=\(tasks) limit=\(policy.limit)/s burst=\(policy.burst) "
            + "elapsed_ms=\(elapsed) decisions=\(decisions) admitted=\(admitted) bound=\(bound) errors=\(errors) "
            + "result=\(passed ? "pass" : "FAIL")")
        return passed
    }

    /// `tasks` × 4 decisions at the very same `now` on one fresh key: exactly
    /// `burst` pass, no more (a race), no fewer (a lost admission).
    private static func checkSameInstant(_ store: any RateLimitStore, tasks: Int) async throws -> Bool {
        let policy = RateLimitPolicy(name: "bench-check", limit: 50, periodMilliseconds: 1000, burst: 10)
        let key = "check:" + UUID().uuidString
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let requests = tasks * 4
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<requests {
                group.addTask { try await store.decide(key: key, policy: policy, now: now).allowed }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let passed = admitted == policy.burst
        print("check name=same-instant requests=\(requests) burst=\(policy.burst) admitted=\(admitted) "
            + "result=\(passed ? "pass" : "FAIL")")
        return passed
    }

    static func percentile(_ sorted: [Int64], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int(Double(sorted.count) * fraction))
        return Double(sorted[index]) / 1e6
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }
}
