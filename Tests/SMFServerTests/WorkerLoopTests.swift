import Fluent
import Foundation
import Logging
import SMFSecurity
import SQLKit
import Synchronization
import Testing
import VaporTesting
@testable import SMFServer

/// The worker loop against the real queue (SQLite, and PostgreSQL with
/// SMF_TEST_DATABASE_URL). Queue time is a manual clock; the loop's own
/// waits are a few milliseconds.
@Suite struct WorkerLoopTests {
    /// Quick polling so idle waits are short; a long drain unless a test says.
    static func settings(concurrency: Int = 4, batchSize: Int = 3, drain: Duration = .seconds(30)) -> WorkerSettings {
        WorkerSettings(concurrency: concurrency, leaseSeconds: 30, maxAttempts: 3, batchSize: batchSize,
                       minPollInterval: .milliseconds(1), maxPollInterval: .milliseconds(10), drainTimeout: drain)
    }

    static func withWorkerApp(logs: LogCapture? = nil, _ test: (Application, ManualClock) async throws -> Void) async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_700_000_000))
        try await withTestApp(logs: logs, clock: clock.clock) { app in try await test(app, clock) }
    }

    /// A loop whose queue retries at once (jitter 0) on the app's clock.
    static func loop(_ app: Application, _ handlers: JobHandlers, settings: WorkerSettings = settings(),
                     owner: String = "worker-1") -> WorkerLoop {
        let queue = JobQueue(database: { [unowned app] in app.db }, clock: app.smf.clock, random: JobRandom(unit: { 0 }),
                             defaultMaxAttempts: settings.maxAttempts)
        return WorkerLoop(queue: queue, handlers: handlers, settings: settings, owner: owner, logger: app.logger)
    }

    /// Waits for a condition the loop brings about (not a timing assertion:
    /// the bound only keeps a broken loop from hanging the suite).
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<4000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("gave up waiting for: \(what)")
        throw Gaveup()
    }

    struct Gaveup: Error {}

    /// Counts handler runs per job and the most jobs running at once.
    final class Recorder: Sendable {
        private struct State { var runs: [UUID: Int] = [:]; var running = 0; var peak = 0 }
        private let state = Mutex(State())

        func started(_ id: UUID) {
            state.withLock { state in
                state.runs[id, default: 0] += 1
                state.running += 1
                state.peak = max(state.peak, state.running)
            }
        }

        func finished() { state.withLock { $0.running -= 1 } }
        var runs: [UUID: Int] { state.withLock { $0.runs } }
        var total: Int { state.withLock { $0.runs.values.reduce(0, +) } }
        var peak: Int { state.withLock { $0.peak } }
    }

    static func depth(_ app: Application) async throws -> [JobState: Int] {
        try await JobQueue(app: app).depth()
    }

    // MARK: -

    @Test func every_job_runs_exactly_once_with_concurrency() async throws {
        try await Self.withWorkerApp { app, _ in
            let recorder = Recorder()
            let handlers: JobHandlers = [
                "test.job": { job, context in
                    recorder.started(job.id)
                    #expect(context.attempt == 1 && context.owner.hasPrefix(WorkerLoopTests.hostPrefix))
                    try await Task.sleep(for: .milliseconds(2))
                    recorder.finished()
                },
            ]
            let queue = JobQueue(app: app)
            var ids = Set<UUID>()
            for _ in 0..<40 {
                ids.insert(try await queue.enqueue(kind: "test.job", payload: "{}", workspaceID: nil, on: app.db))
            }
            let loop = WorkerRunner.makeLoop(app, settings: Self.settings(concurrency: 4, batchSize: 3), handlers: handlers)
            let running = Task { await loop.run() }
            try await Self.eventually("40 jobs handled") { recorder.total >= 40 }
            // Enqueued while the loop runs: picked up as well.
            let late = try await queue.enqueue(kind: "test.job", payload: "{}", workspaceID: nil, on: app.db)
            loop.wake()
            try await Self.eventually("the late job handled") { recorder.runs[late] != nil }
            await loop.stop()
            await running.value
            ids.insert(late)
            #expect(Set(recorder.runs.keys) == ids)
            #expect(recorder.runs.values.allSatisfy { $0 == 1 }, "exactly once")
            #expect(recorder.peak <= 4, "never more than `concurrency` at once")
            #expect(try await Self.depth(app) == [.queued: 0, .leased: 0, .dead: 0], "completed jobs are deleted")
            let exposition = app.smf.metrics.exposition()
            #expect(exposition.contains("smflow_jobs_claimed_total 41"))
            #expect(exposition.contains("smflow_jobs_completed_total 41"))
            #expect(exposition.contains(#"smflow_queue_depth{state="dead"}"#))
        }
    }

    @Test func an_unknown_kind_is_dead_with_a_clear_error() async throws {
        try await Self.withWorkerApp { app, _ in
            let workspace = try await IdentityFixtures(app: app).workspace("W").requireID()
            let queue = JobQueue(app: app)
            let id = try await queue.enqueue(kind: "nobody.handles", payload: "{}", workspaceID: workspace, maxAttempts: 5, on: app.db)
            let loop = Self.loop(app, ["test.job": { _, _ in }])
            let running = Task { await loop.run() }
            try await Self.eventually("the job is dead") { try await Self.depth(app)[.dead] == 1 }
            await loop.stop()
            await running.value
            let dead = try #require(try await queue.listDead(workspaceID: workspace, limit: 5).jobs.first)
            #expect(dead.id == id)
            #expect(dead.attempts == 1, "not retried: no handler will appear")
            #expect(dead.lastError == "no handler for job kind nobody.handles")
        }
    }

    @Test func failures_are_retried_then_dead_lettered_without_leaking_the_error_text_or_payload() async throws {
        struct LeakyError: Error, CustomStringConvertible {
            var description: String { "token sk-live-SECRET-123 rejected" }
        }
        let logs = LogCapture()
        try await Self.withWorkerApp(logs: logs) { app, _ in
            let workspace = try await IdentityFixtures(app: app).workspace("W").requireID()
            let queue = JobQueue(app: app)
            let leaky = try await queue.enqueue(kind: "leaky.job", payload: #"{"marker":"payload-marker-7f3a"}"#,
                                                workspaceID: workspace, maxAttempts: 3, on: app.db)
            let permanent = try await queue.enqueue(kind: "permanent.job", payload: "{}", workspaceID: workspace, maxAttempts: 3, on: app.db)
            let recorder = Recorder()
            let loop = Self.loop(app, [
                "leaky.job": { job, _ in
                    recorder.started(job.id)
                    recorder.finished()
                    throw LeakyError()
                },
                "permanent.job": { job, _ in
                    recorder.started(job.id)
                    recorder.finished()
                    throw JobFailure.permanent("flow was deleted")
                },
            ])
            let running = Task { await loop.run() }
            try await Self.eventually("both jobs dead") { try await Self.depth(app)[.dead] == 2 }
            await loop.stop()
            await running.value
            #expect(recorder.runs[leaky] == 3, "retried up to max attempts (jitter 0: due at once)")
            #expect(recorder.runs[permanent] == 1)
            let dead = try await queue.listDead(workspaceID: workspace, limit: 5).jobs
            let leakyError = try #require(dead.first { $0.id == leaky }?.lastError)
            #expect(leakyError.contains("LeakyError"))
            #expect(!leakyError.contains("SECRET"), "an arbitrary error's text is never stored")
            #expect(dead.first { $0.id == permanent }?.lastError == "flow was deleted")
            // The worker's own lines (Fluent's debug SQL log, with its binds,
            // is the database layer's and off outside debug level).
            let log = logs.lines.filter { !$0.contains(#""message":"Executing query""#) }.joined(separator: "\n")
            #expect(log.contains(leaky.uuidString), "jobs are logged by id")
            #expect(!log.contains("SECRET"))
            #expect(!log.contains("payload-marker-7f3a"), "payloads are never logged")
        }
    }

    @Test func a_job_in_flight_when_stopping_finishes_within_the_drain_time() async throws {
        try await Self.withWorkerApp { app, _ in
            let started = AsyncStream<Void>.makeStream()
            let gate = AsyncStream<Void>.makeStream()
            let loop = Self.loop(app, [
                "gated.job": { _, _ in
                    started.continuation.yield()
                    for await _ in gate.stream { break }
                },
            ])
            let id = try await JobQueue(app: app).enqueue(kind: "gated.job", payload: "{}", workspaceID: nil, on: app.db)
            let running = Task { await loop.run() }
            for await _ in started.stream { break }
            loop.requestStop()
            gate.continuation.yield()
            await loop.stop()
            await running.value
            #expect(try await WorkerLoopTests.exists(app, id) == false, "completed during the drain")
        }
    }

    /// Graceful stop: no new claims, and a job that does not finish within
    /// the drain time is left leased — to be taken over after its lease
    /// expires, with the attempt counted.
    @Test func stop_leaves_unfinished_jobs_leased_for_another_worker() async throws {
        try await Self.withWorkerApp { app, clock in
            let started = AsyncStream<Void>.makeStream()
            let recorder = Recorder()
            let loop = Self.loop(app, [
                "slow.job": { job, _ in
                    recorder.started(job.id)
                    started.continuation.yield()
                    try await Task.sleep(for: .seconds(3600))   // ends by cancellation
                },
            ], settings: Self.settings(concurrency: 1, batchSize: 1, drain: .milliseconds(5)))
            let queue = JobQueue(app: app)
            let slow = try await queue.enqueue(kind: "slow.job", payload: "{}", workspaceID: nil, on: app.db)
            let waiting = try await queue.enqueue(kind: "slow.job", payload: "{}", workspaceID: nil, on: app.db)
            let running = Task { await loop.run() }
            for await _ in started.stream { break }
            await loop.stop()
            await running.value
            #expect(recorder.runs.keys.sorted() == [slow] || recorder.runs.keys.sorted() == [waiting])
            let held = try #require(recorder.runs.keys.first)
            let other = held == slow ? waiting : slow
            let sql = try #require(app.db as? any SQLDatabase)
            let row = try #require(try await sql.raw("SELECT state, lease_owner, attempts FROM jobs WHERE id = \(bind: held)").first())
            #expect(try row.decode(column: "state", as: String.self) == "leased")
            #expect(try row.decode(column: "lease_owner", as: String?.self) == "worker-1")
            #expect(try row.decode(column: "attempts", as: Int.self) == 1)
            // The job it never started is still simply queued.
            let next = try await queue.claim(owner: "worker-2", limit: 5, leaseSeconds: 3600)
            #expect(next.map(\.id) == [other])
            // After the lease expires, the interrupted job goes to another worker.
            clock.advance(by: 30.001)
            let taken = try await queue.claim(owner: "worker-2", limit: 5, leaseSeconds: 30)
            #expect(taken.map(\.id) == [held])
            #expect(taken.first?.attempt == 2)
        }
    }

    /// The heartbeat renews the lease of a job still running, so another
    /// worker does not take it over when the first lease period is up.
    @Test func the_heartbeat_keeps_a_long_job_leased() async throws {
        try await Self.withWorkerApp { app, clock in
            let started = AsyncStream<Void>.makeStream()
            let gate = AsyncStream<Void>.makeStream()
            var settings = Self.settings()
            settings.heartbeatInterval = .milliseconds(2)
            let loop = Self.loop(app, [
                "long.job": { _, _ in
                    started.continuation.yield()
                    for await _ in gate.stream { break }
                },
            ], settings: settings)
            let queue = JobQueue(app: app)
            let id = try await queue.enqueue(kind: "long.job", payload: "{}", workspaceID: nil, on: app.db)
            let running = Task { await loop.run() }
            for await _ in started.stream { break }
            let claimedAt = clock.clock.milliseconds()
            clock.advance(by: 25)
            try await Self.eventually("the lease renewed from the new time") {
                try await Self.leaseExpiry(app, id) == claimedAt + 25_000 + 30_000
            }
            clock.advance(by: 10)   // 35 s: past the first lease, within the renewed one
            #expect(try await queue.claim(owner: "worker-2", limit: 5, leaseSeconds: 30).isEmpty)
            gate.continuation.yield()
            await loop.stop()
            await running.value
            #expect(try await WorkerLoopTests.exists(app, id) == false)
        }
    }

    static func leaseExpiry(_ app: Application, _ id: UUID) async throws -> Int64? {
        let sql = try #require(app.db as? any SQLDatabase)
        return try await sql.raw("SELECT lease_expires_ms FROM jobs WHERE id = \(bind: id)").first()?
            .decode(column: "lease_expires_ms", as: Int64?.self)
    }

    @Test func stop_before_run_and_run_twice_return_at_once() async throws {
        try await Self.withWorkerApp { app, _ in
            let loop = Self.loop(app, ["test.job": { _, _ in }])
            await loop.stop()
            await loop.run()   // already stopped: returns
            #expect(loop.inFlightCount == 0)
        }
    }

    @Test func the_embedded_worker_runs_with_the_app_and_stops_with_it() async throws {
        try await Self.withWorkerApp { app, _ in
            let recorder = Recorder()
            WorkerRunner.embed(in: app, settings: Self.settings(), handlers: [
                "test.job": { job, _ in
                    recorder.started(job.id)
                    recorder.finished()
                },
            ])
            try await app.asyncBoot()
            let id = try await JobQueue(app: app).enqueue(kind: "test.job", payload: "{}", workspaceID: nil, on: app.db)
            try await Self.eventually("the job ran and was deleted") {
                guard recorder.runs[id] == 1 else { return false }
                return try await !WorkerLoopTests.exists(app, id)
            }
            // withTestApp's shutdown stops the loop before the pools close.
        }
    }

    @Test func worker_check_reports_the_schema_state() async throws {
        // The test database is migrated by withTestApp; a fresh SQLite file is not.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-worker-check-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var config = AppConfig()
        config.database = .sqlite(path: path)
        config.databaseIsExplicit = true
        #expect(try await WorkerRunner.check(config: config) == .migrationsPending)
        try await Migrator.migrate(config: config)
        #expect(try await WorkerRunner.check(config: config) == .ready)
    }

    /// Generated owner ids start with the host name.
    static var hostPrefix: String { String(WorkerLoop.makeOwnerID().split(separator: ":")[0]) + ":" }

    static func exists(_ app: Application, _ id: UUID) async throws -> Bool {
        let sql = try #require(app.db as? any SQLDatabase)
        return try await sql.raw("SELECT id FROM jobs WHERE id = \(bind: id)").first() != nil
    }
}
