import Fluent
import Foundation
import SQLKit
import Synchronization
import Testing
import VaporTesting
@testable import SMFServer

/// The durable queue's statements, on SQLite and (with SMF_TEST_DATABASE_URL)
/// PostgreSQL. Time is a manual clock: leases expire when the test says so.
@Suite struct JobQueueTests {
    static let lease = 30

    /// A queue on the test app's database with a pinned clock and jitter.
    static func queue(_ app: Application, _ clock: ManualClock, unit: Double = 0.5, maxAttempts: Int = 3) -> JobQueue {
        JobQueue(database: { [unowned app] in app.db }, clock: clock.clock, random: JobRandom(unit: { unit }),
                 defaultMaxAttempts: maxAttempts)
    }

    /// Runs `test` on a fresh database with a manual clock.
    static func withQueue(unit: Double = 0.5, maxAttempts: Int = 3,
                          _ test: (Application, JobQueue, ManualClock) async throws -> Void) async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_700_000_000))
        try await withTestApp(clock: clock.clock) { app in
            try await test(app, queue(app, clock, unit: unit, maxAttempts: maxAttempts), clock)
        }
    }

    static func enqueue(_ queue: JobQueue, _ app: Application, kind: String = "test.job", workspace: UUID? = nil,
                        maxAttempts: Int? = nil) async throws -> UUID {
        try await queue.enqueue(kind: kind, payload: #"{"event_id":"e1"}"#, workspaceID: workspace, maxAttempts: maxAttempts, on: app.db)
    }

    static func row(_ app: Application, _ id: UUID) async throws -> (state: String, attempts: Int, owner: String?, runAfter: Int64, lastError: String?)? {
        let sql = try #require(app.db as? any SQLDatabase)
        guard let row = try await sql.raw("SELECT state, attempts, lease_owner, run_after_ms, last_error FROM jobs WHERE id = \(bind: id)").first()
        else { return nil }
        return (try row.decode(column: "state", as: String.self), try row.decode(column: "attempts", as: Int.self),
                try row.decode(column: "lease_owner", as: String?.self), try row.decode(column: "run_after_ms", as: Int64.self),
                try row.decode(column: "last_error", as: String?.self))
    }

    struct Rollback: Error {}

    // MARK: - Enqueue

    @Test func enqueue_in_a_rolled_back_transaction_leaves_nothing() async throws {
        try await Self.withQueue { app, queue, _ in
            await #expect(throws: Rollback.self) {
                try await app.db.transaction { tx in
                    try await queue.enqueue(kind: "flow.execute", payload: "{}", workspaceID: nil, on: tx)
                    throw Rollback()
                }
            }
            #expect(try await queue.depth() == [.queued: 0, .leased: 0, .dead: 0])
            #expect(try await queue.claim(owner: "a", limit: 10, leaseSeconds: Self.lease).isEmpty)
            // The same call in a committed transaction stores the job.
            let id = try await app.db.transaction { tx in
                try await queue.enqueue(kind: "flow.execute", payload: "{}", workspaceID: nil, on: tx)
            }
            #expect(try await queue.claim(owner: "a", limit: 10, leaseSeconds: Self.lease).map(\.id) == [id])
        }
    }

    @Test func invalid_kinds_and_oversized_payloads_are_refused() async throws {
        try await Self.withQueue { app, queue, _ in
            for kind in ["", "Flow.execute", "1job", "flow execute", "flow/execute", String(repeating: "a", count: 65)] {
                await #expect(throws: InvalidJob.self, "kind \(kind)") {
                    try await queue.enqueue(kind: kind, payload: "{}", workspaceID: nil, on: app.db)
                }
            }
            let big = "\"" + String(repeating: "x", count: JobQueue.maxPayloadBytes) + "\""
            await #expect(throws: InvalidJob.self) {
                try await queue.enqueue(kind: "flow.execute", payload: big, workspaceID: nil, on: app.db)
            }
            await #expect(throws: InvalidJob.self) {
                try await queue.enqueue(kind: "flow.execute", payload: "{}", workspaceID: nil, maxAttempts: 0, on: app.db)
            }
            let depth = try await queue.depth()
            #expect(depth[.queued] == 0)
        }
    }

    @Test func encodable_payloads_round_trip() async throws {
        struct Payload: Codable, Equatable { let eventID: UUID; let flowID: UUID }
        try await Self.withQueue { app, queue, _ in
            let payload = Payload(eventID: UUID(), flowID: UUID())
            try await queue.enqueue(kind: "flow.execute", payload: payload, workspaceID: nil, on: app.db)
            let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            #expect(try job.decodePayload(Payload.self) == payload)
            #expect(job.kind == "flow.execute")
            #expect(job.attempt == 1)
            #expect(job.maxAttempts == 3)
        }
    }

    // MARK: - Claim

    @Test func claim_respects_run_after() async throws {
        try await Self.withQueue { app, queue, clock in
            let later = try await queue.enqueue(kind: "test.job", payload: "{}", workspaceID: nil,
                                                runAfter: clock.clock.now().addingTimeInterval(60), on: app.db)
            #expect(try await queue.claim(owner: "a", limit: 10, leaseSeconds: Self.lease).isEmpty)
            clock.advance(by: 59.999)
            #expect(try await queue.claim(owner: "a", limit: 10, leaseSeconds: Self.lease).isEmpty)
            clock.advance(by: 0.001)
            #expect(try await queue.claim(owner: "a", limit: 10, leaseSeconds: Self.lease).map(\.id) == [later])
        }
    }

    @Test func claim_takes_the_oldest_first_up_to_the_limit() async throws {
        try await Self.withQueue { app, queue, clock in
            var ids: [UUID] = []
            for _ in 0..<5 {
                ids.append(try await Self.enqueue(queue, app))
                clock.advance(by: 1)
            }
            let first = try await queue.claim(owner: "a", limit: 2, leaseSeconds: Self.lease)
            #expect(first.map(\.id) == Array(ids[0..<2]))
            #expect(first.allSatisfy { $0.leaseExpiresMilliseconds == clock.clock.milliseconds() + 30_000 })
            let rest = try await queue.claim(owner: "a", limit: 10, leaseSeconds: Self.lease)
            #expect(rest.map(\.id) == Array(ids[2...]))
            #expect(try await queue.depth() == [.queued: 0, .leased: 5, .dead: 0])
        }
    }

    /// Claimers running at the same time (on PostgreSQL: separate pool
    /// connections, each statement `FOR UPDATE SKIP LOCKED`) never lease
    /// one job twice, and together they get every job.
    @Test func concurrent_claimers_never_get_the_same_job() async throws {
        try await Self.withQueue { app, queue, _ in
            let total = 200
            let enqueued = try await app.db.transaction { tx in
                var ids = Set<UUID>()
                for _ in 0..<total {
                    ids.insert(try await queue.enqueue(kind: "test.job", payload: "{}", workspaceID: nil, on: tx))
                }
                return ids
            }
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for claimer in 0..<4 {
                    group.addTask {
                        var mine: [UUID] = []
                        while true {
                            let batch = try await queue.claim(owner: "claimer-\(claimer)", limit: 7, leaseSeconds: Self.lease)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                var all: [UUID] = []
                for try await ids in group { all += ids }
                return all
            }
            #expect(claimed.count == total, "each job claimed exactly once")
            #expect(Set(claimed) == enqueued)
        }
    }

    // MARK: - Leases

    @Test func an_expired_lease_is_reclaimed_with_one_more_attempt() async throws {
        try await Self.withQueue { app, queue, clock in
            let id = try await Self.enqueue(queue, app)
            let first = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            #expect(first.attempt == 1)
            // Held: nobody else gets it, even at the last millisecond of the lease.
            clock.advance(by: 30)
            #expect(try await queue.claim(owner: "b", limit: 1, leaseSeconds: Self.lease).isEmpty)
            clock.advance(by: 0.001)
            let second = try #require(try await queue.claim(owner: "b", limit: 1, leaseSeconds: Self.lease).first)
            #expect(second.id == id)
            #expect(second.attempt == 2)
            #expect(try await Self.row(app, id)?.lastError == JobQueue.leaseLostError)
            // The first worker comes back: its result no longer counts.
            #expect(try await queue.complete(first, owner: "a") == false)
            #expect(try await queue.fail(first, owner: "a", error: "late", retryable: true) == .notOwned)
            #expect(try await queue.renew(ids: [id], owner: "a", leaseSeconds: Self.lease).isEmpty)
            #expect(try await queue.complete(second, owner: "b"))
            #expect(try await Self.row(app, id) == nil, "a finished job is deleted")
        }
    }

    @Test func renewing_keeps_the_lease() async throws {
        try await Self.withQueue { app, queue, clock in
            let id = try await Self.enqueue(queue, app)
            _ = try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease)
            clock.advance(by: 20)
            #expect(try await queue.renew(ids: [id], owner: "a", leaseSeconds: Self.lease) == [id])
            // Someone else's renewal changes nothing.
            #expect(try await queue.renew(ids: [id], owner: "b", leaseSeconds: 3600).isEmpty)
            clock.advance(by: 30)   // 50 s after the claim, 30 after the renewal
            #expect(try await queue.claim(owner: "b", limit: 1, leaseSeconds: Self.lease).isEmpty)
            clock.advance(by: 0.001)
            #expect(try await queue.claim(owner: "b", limit: 1, leaseSeconds: Self.lease).map(\.id) == [id])
        }
    }

    @Test func only_the_lease_holder_completes() async throws {
        try await Self.withQueue { app, queue, _ in
            let id = try await Self.enqueue(queue, app)
            let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            #expect(try await queue.complete(id: id, owner: "b") == false)
            #expect(try await queue.complete(id: id, owner: "a", attempt: 2) == false, "another attempt's fence")
            #expect(try await Self.row(app, id)?.state == "leased")
            #expect(try await queue.complete(job, owner: "a"))
            #expect(try await queue.complete(job, owner: "a") == false, "only once")
            #expect(try await queue.depth() == [.queued: 0, .leased: 0, .dead: 0])
        }
    }

    @Test func a_queued_job_cannot_be_completed_or_failed() async throws {
        try await Self.withQueue { app, queue, _ in
            let id = try await Self.enqueue(queue, app)
            #expect(try await queue.complete(id: id, owner: "a") == false)
            #expect(try await queue.fail(id: id, owner: "a", error: "x", retryable: false) == .notOwned)
            #expect(try await Self.row(app, id)?.state == "queued")
        }
    }

    // MARK: - Failure, backoff, dead letters

    @Test func backoff_grows_exponentially_up_to_the_cap() {
        let backoff = JobBackoff()
        #expect((1...6).map { backoff.ceiling(attempt: $0) } == [1_000, 2_000, 4_000, 8_000, 16_000, 32_000])
        #expect(backoff.ceiling(attempt: 10) == 512_000)
        #expect(backoff.ceiling(attempt: 11) == 600_000)
        #expect(backoff.ceiling(attempt: 1000) == 600_000, "no overflow")
        #expect(backoff.ceiling(attempt: 0) == 1_000)
    }

    @Test func jitter_stays_within_zero_and_the_ceiling() {
        let backoff = JobBackoff()
        for attempt in 1...12 {
            let ceiling = backoff.ceiling(attempt: attempt)
            #expect(backoff.delay(attempt: attempt, unit: 0) == 0)
            #expect(backoff.delay(attempt: attempt, unit: 0.5) == ceiling / 2)
            let top = backoff.delay(attempt: attempt, unit: 0.999_999)
            #expect(top < ceiling && top >= ceiling * 99 / 100)
            // Out-of-range randoms are clamped, never past the ceiling.
            #expect(backoff.delay(attempt: attempt, unit: 7) == ceiling)
            #expect(backoff.delay(attempt: attempt, unit: -1) == 0)
            #expect(backoff.delay(attempt: attempt, unit: .nan) == 0)
        }
        // A remote's retry-after is a floor, capped at an hour.
        #expect(backoff.delay(attempt: 1, retryAfterMilliseconds: 5_000, unit: 0.5) == 5_000)
        #expect(backoff.delay(attempt: 12, retryAfterMilliseconds: 5_000, unit: 0.5) == 300_000)
        #expect(backoff.delay(attempt: 1, retryAfterMilliseconds: 86_400_000, unit: 0) == 3_600_000)
    }

    @Test func a_retryable_failure_requeues_after_the_jittered_backoff() async throws {
        try await Self.withQueue(unit: 0.5, maxAttempts: 5) { app, queue, clock in
            let id = try await Self.enqueue(queue, app)
            var expectedDelays: [Int64] = []
            for attempt in 1...3 {
                let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
                #expect(job.attempt == attempt)
                let now = clock.clock.milliseconds()
                let outcome = try await queue.fail(job, owner: "a", error: "remote 503", retryable: true)
                let delay = JobBackoff().ceiling(attempt: attempt) / 2
                expectedDelays.append(delay)
                #expect(outcome == .retry(runAfterMilliseconds: now + delay))
                let row = try #require(try await Self.row(app, id))
                #expect(row.state == "queued" && row.owner == nil && row.lastError == "remote 503")
                #expect(row.runAfter == now + delay)
                // Not before its time.
                #expect(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).isEmpty)
                clock.advance(by: TimeInterval(delay) / 1000)
            }
            #expect(expectedDelays == [500, 1_000, 2_000], "grows with each attempt")
            // retryAfter from the handler is a floor.
            let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            let now = clock.clock.milliseconds()
            #expect(try await queue.fail(job, owner: "a", error: "429", retryable: true, retryAfter: .seconds(42))
                    == .retry(runAfterMilliseconds: now + 42_000))
        }
    }

    @Test func dead_after_the_last_attempt() async throws {
        try await Self.withQueue(unit: 0) { app, queue, _ in
            let workspace = try await IdentityFixtures(app: app).workspace("W").requireID()
            let id = try await Self.enqueue(queue, app, workspace: workspace, maxAttempts: 2)
            let first = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            #expect(try await queue.fail(first, owner: "a", error: "boom 1", retryable: true) != .dead)
            let second = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            #expect(second.isLastAttempt)
            #expect(try await queue.fail(second, owner: "a", error: "boom 2", retryable: true) == .dead)
            #expect(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).isEmpty)
            let page = try await queue.listDead(workspaceID: workspace, limit: 10)
            #expect(page.jobs.map(\.id) == [id])
            #expect(page.jobs.first?.attempts == 2)
            #expect(page.jobs.first?.lastError == "boom 2")
            #expect(page.jobs.first?.deadAtMilliseconds != nil)
            #expect(page.next == nil)
        }
    }

    @Test func a_permanent_failure_is_dead_at_once() async throws {
        try await Self.withQueue { app, queue, _ in
            let id = try await Self.enqueue(queue, app, maxAttempts: 5)
            let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            #expect(try await queue.fail(id: id, owner: "a", error: "flow deleted", retryable: false) == .dead)
            #expect(try await Self.row(app, id)?.state == "dead")
            #expect(try await queue.complete(job, owner: "a") == false)
        }
    }

    @Test func an_expired_lease_on_the_last_attempt_is_dead() async throws {
        try await Self.withQueue { app, queue, clock in
            let workspace = try await IdentityFixtures(app: app).workspace("W").requireID()
            let id = try await Self.enqueue(queue, app, workspace: workspace, maxAttempts: 1)
            _ = try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease)
            clock.advance(by: 31)
            #expect(try await queue.claim(owner: "b", limit: 1, leaseSeconds: Self.lease).isEmpty)
            let row = try #require(try await Self.row(app, id))
            #expect(row.state == "dead" && row.owner == nil && row.attempts == 1)
            #expect(try await queue.listDead(workspaceID: workspace, limit: 10).jobs.first?.lastError == JobQueue.leaseLostError)
        }
    }

    @Test func last_error_is_cut_to_1_KiB() async throws {
        try await Self.withQueue { app, queue, _ in
            let id = try await Self.enqueue(queue, app)
            let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            try await queue.fail(job, owner: "a", error: String(repeating: "é", count: 2000), retryable: false)
            let stored = try #require(try await Self.row(app, id)?.lastError)
            #expect(stored.utf8.count <= JobQueue.maxErrorBytes)
            #expect(stored.hasSuffix("…") && stored.hasPrefix("éé"))
        }
    }

    @Test func replay_requeues_a_dead_job_of_its_own_workspace_only() async throws {
        try await Self.withQueue { app, queue, clock in
            let fixtures = IdentityFixtures(app: app)
            let mine = try await fixtures.workspace("Mine").requireID()
            let other = try await fixtures.workspace("Other").requireID()
            let id = try await Self.enqueue(queue, app, workspace: mine, maxAttempts: 1)
            let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
            #expect(try await queue.fail(job, owner: "a", error: "boom", retryable: true) == .dead)
            #expect(try await queue.replay(id: id, workspaceID: other) == false)
            #expect(try await queue.listDead(workspaceID: other, limit: 10).jobs.isEmpty)
            clock.advance(by: 5)
            #expect(try await queue.replay(id: id, workspaceID: mine))
            #expect(try await queue.replay(id: id, workspaceID: mine) == false, "no longer dead")
            #expect(try await queue.listDead(workspaceID: mine, limit: 10).jobs.isEmpty)
            let again = try #require(try await queue.claim(owner: "b", limit: 1, leaseSeconds: Self.lease).first)
            #expect(again.id == id && again.attempt == 1, "attempts reset")
            #expect(try await queue.complete(again, owner: "b"))
        }
    }

    @Test func dead_letters_page_newest_first() async throws {
        try await Self.withQueue { app, queue, clock in
            let fixtures = IdentityFixtures(app: app)
            let workspace = try await fixtures.workspace("W").requireID()
            let other = try await fixtures.workspace("O").requireID()
            var died: [UUID] = []
            for index in 0..<5 {
                let id = try await Self.enqueue(queue, app, workspace: index == 2 ? other : workspace)
                let job = try #require(try await queue.claim(owner: "a", limit: 1, leaseSeconds: Self.lease).first)
                try await queue.fail(job, owner: "a", error: "e\(index)", retryable: false)
                if index != 2 { died.append(id) }
                // Two die in the same millisecond: the id breaks the tie.
                if index != 3 { clock.advance(by: 1) }
            }
            var seen: [UUID] = []
            var cursor: DeadJobCursor?
            repeat {
                let page = try await queue.listDead(workspaceID: workspace, limit: 2, cursor: cursor)
                #expect(page.jobs.count <= 2)
                seen += page.jobs.map(\.id)
                cursor = try page.next.map { try #require(DeadJobCursor($0.encoded)) }
            } while cursor != nil
            #expect(seen.count == 4)
            #expect(Set(seen) == Set(died))
            #expect(Array(seen.suffix(2)) == [died[1], died[0]], "newest first")
            #expect(DeadJobCursor("not a cursor") == nil)
        }
    }

    @Test func depth_counts_jobs_per_state() async throws {
        try await Self.withQueue { app, queue, _ in
            for _ in 0..<4 { _ = try await Self.enqueue(queue, app) }
            let jobs = try await queue.claim(owner: "a", limit: 2, leaseSeconds: Self.lease)
            try await queue.fail(jobs[0], owner: "a", error: "x", retryable: false)
            #expect(try await queue.depth() == [.queued: 2, .leased: 1, .dead: 1])
        }
    }

    @Test func deleting_a_workspace_deletes_its_jobs() async throws {
        try await Self.withQueue { app, queue, _ in
            let workspace = try await IdentityFixtures(app: app).workspace("W")
            let id = try await Self.enqueue(queue, app, workspace: try workspace.requireID())
            try await workspace.delete(on: app.db)
            #expect(try await Self.row(app, id) == nil)
        }
    }
}
