import FluentKit
import Foundation
import Logging
import SMFSecurity
import SQLKit

/// Where a job is in its life. Success has no state: the row is deleted
/// (migration 005 says why).
public enum JobState: String, Sendable, CaseIterable, Codable {
    /// Waiting for `run_after_ms`, then for a worker.
    case queued
    /// Held by a worker until its lease expires (renewed by a heartbeat).
    case leased
    /// Gave up: out of attempts, or a failure that retrying cannot fix.
    /// Listed per workspace and re-playable.
    case dead
}

/// A job a worker holds. `attempt` is the attempt number this lease is for
/// (1 on the first run) and doubles as a fencing token: `complete` and
/// `fail` only touch the row while it is still this lease, so a worker whose
/// lease expired and was taken over cannot finish the new holder's attempt.
public struct ClaimedJob: Sendable, Equatable {
    public let id: UUID
    public let workspaceID: UUID?
    public let kind: String
    /// JSON with ids only (never secrets). Do not log it.
    public let payload: String
    public let attempt: Int
    public let maxAttempts: Int
    /// When the lease ends unless renewed (ms since 1970, queue clock).
    public let leaseExpiresMilliseconds: Int64

    public var isLastAttempt: Bool { attempt >= maxAttempts }

    /// The payload decoded as `type`.
    public func decodePayload<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(payload.utf8))
    }
}

/// A dead-lettered job, as the API lists it. No payload: it holds only ids,
/// but the list has no use for them and the less an API echoes the better.
public struct DeadJob: Sendable, Equatable {
    public let id: UUID
    public let workspaceID: UUID?
    public let kind: String
    public let attempts: Int
    public let maxAttempts: Int
    /// Redacted by whoever reported the failure; at most 1 KiB.
    public let lastError: String?
    public let createdMilliseconds: Int64
    public let deadAtMilliseconds: Int64?
    public let updatedMilliseconds: Int64
}

/// The position after the last row of a dead-letter page (keyset on
/// `updated_ms DESC, id DESC`): rows dying while a client pages are never
/// shown twice.
public struct DeadJobCursor: Sendable, Equatable {
    public let updatedMilliseconds: Int64
    public let id: UUID

    public init(updatedMilliseconds: Int64, id: UUID) {
        self.updatedMilliseconds = updatedMilliseconds
        self.id = id
    }

    /// Opaque text for the API (`next` in a page, `cursor` in the query).
    public var encoded: String {
        Data("j1|\(updatedMilliseconds)|\(id.uuidString)".utf8).base64URLEncoded()
    }

    /// Parses `encoded`; nil for anything else (the API answers 400).
    public init?(_ raw: String) {
        guard let text = Base64URL.decodeText(raw, maxLength: 128) else { return nil }
        let parts = text.split(separator: "|")
        guard parts.count == 3, parts[0] == "j1", let milliseconds = Int64(parts[1]),
              let id = UUID(uuidString: String(parts[2])) else { return nil }
        self.init(updatedMilliseconds: milliseconds, id: id)
    }
}

public struct DeadJobPage: Sendable, Equatable {
    public let jobs: [DeadJob]
    /// Nil on the last page.
    public let next: DeadJobCursor?
}

/// What `fail` did with the job.
public enum JobFailOutcome: Sendable, Equatable {
    /// Back in the queue, due at this time (ms since 1970).
    case retry(runAfterMilliseconds: Int64)
    /// Dead-lettered.
    case dead
    /// The lease was no longer this worker's (expired and taken over, or
    /// the job is gone): nothing changed.
    case notOwned
}

/// Exponential backoff with full jitter: attempt n waits a uniformly random
/// time in [0, min(cap, base · 2ⁿ⁻¹)). Full jitter spreads the retries of
/// jobs that failed together (a remote API down for a minute) instead of
/// sending them back in synchronised waves.
public struct JobBackoff: Sendable, Equatable {
    public var baseMilliseconds: Int64
    public var capMilliseconds: Int64
    /// Upper bound on a `retryAfter` a handler passes on (e.g. Telegram's
    /// `retry_after`): a remote service cannot park a job for days.
    public var maxRetryAfterMilliseconds: Int64

    public init(baseMilliseconds: Int64 = 1_000, capMilliseconds: Int64 = 600_000, maxRetryAfterMilliseconds: Int64 = 3_600_000) {
        self.baseMilliseconds = baseMilliseconds
        self.capMilliseconds = capMilliseconds
        self.maxRetryAfterMilliseconds = maxRetryAfterMilliseconds
    }

    /// The upper bound of the wait after failed attempt `attempt` (1-based).
    public func ceiling(attempt: Int) -> Int64 {
        let doublings = max(0, attempt - 1)
        // 2^40 s is far past any cap; stop before Int64 overflows.
        guard doublings < 40 else { return capMilliseconds }
        return min(capMilliseconds, baseMilliseconds << Int64(doublings))
    }

    /// The wait after failed attempt `attempt`: full jitter below the
    /// ceiling, never less than the handler's `retryAfter` (itself capped).
    /// - Parameter unit: a random number in [0, 1).
    public func delay(attempt: Int, retryAfterMilliseconds: Int64? = nil, unit: Double) -> Int64 {
        let fraction = unit.isFinite ? min(max(unit, 0), 1) : 0
        let jittered = Int64((Double(ceiling(attempt: attempt)) * fraction).rounded(.down))
        let floor = min(max(retryAfterMilliseconds ?? 0, 0), maxRetryAfterMilliseconds)
        return max(jittered, floor)
    }
}

/// Random numbers for the jitter, injectable so tests pin them.
public struct JobRandom: Sendable {
    /// Returns a number in [0, 1).
    public let unit: @Sendable () -> Double

    public init(unit: @escaping @Sendable () -> Double) {
        self.unit = unit
    }

    public static let system = JobRandom(unit: { Double.random(in: 0..<1) })
}

/// A job that cannot be stored; a programming error in the caller, never
/// caused by a request (kinds are fixed names, payloads hold ids).
public struct InvalidJob: Error, CustomStringConvertible {
    public let description: String
}

/// The durable job queue: a `jobs` table on the application's database.
///
/// Delivery is at least once: a job runs again when its worker dies or
/// loses its lease before `complete`, so handlers make their side effects
/// idempotent (the execution engine keys them by event).
///
/// Every statement is one raw SQL statement with bound values (SQLKit):
/// Fluent cannot express `FOR UPDATE SKIP LOCKED` or `RETURNING`, and one
/// statement per transition means no transaction is held across a round trip.
public struct JobQueue: Sendable {
    /// The largest payload `enqueue` accepts: payloads carry ids, not data.
    public static let maxPayloadBytes = 8 * 1024
    /// `last_error` is cut to this many bytes of UTF-8.
    public static let maxErrorBytes = 1024

    let database: @Sendable () -> any Database
    let clock: AppClock
    let random: JobRandom
    let backoff: JobBackoff
    let defaultMaxAttempts: Int
    let metrics: JobMetrics?
    let logger: Logger

    /// - Parameters:
    ///   - database: a handle onto the shared pool (`{ app.db }`).
    ///   - defaultMaxAttempts: for `enqueue` calls that do not say.
    init(
        database: @escaping @Sendable () -> any Database, clock: AppClock = .system, random: JobRandom = .system,
        backoff: JobBackoff = JobBackoff(), defaultMaxAttempts: Int = 5, metrics: JobMetrics? = nil,
        logger: Logger = Logger(label: "smflow.queue")
    ) {
        self.database = database
        self.clock = clock
        self.random = random
        self.backoff = backoff
        self.defaultMaxAttempts = max(1, defaultMaxAttempts)
        self.metrics = metrics
        self.logger = logger
    }

    /// A queue on one database handle (a request's `req.db`, or a
    /// transaction), for a single operation such as a replay.
    init(database: any Database, clock: AppClock, defaultMaxAttempts: Int = 5, metrics: JobMetrics? = nil,
         logger: Logger = Logger(label: "smflow.queue")) {
        self.init(database: { database }, clock: clock, defaultMaxAttempts: defaultMaxAttempts, metrics: metrics, logger: logger)
    }

    struct NotSQL: Error {}

    private func sql(_ db: (any Database)? = nil) throws -> any SQLDatabase {
        guard let sql = (db ?? database()) as? any SQLDatabase else { throw NotSQL() }
        return sql
    }

    private func isPostgres(_ sql: any SQLDatabase) -> Bool { sql.dialect.name == "postgresql" }

    // MARK: - Enqueue

    /// Stores a job. Pass the caller's transaction as `db` to make the job
    /// part of it (the webhook ingest writes its event and the job together,
    /// so an accepted event always has its job and a rolled-back one none).
    /// - Parameters:
    ///   - kind: a fixed job name (`flow.execute`): lower-case letters,
    ///     digits and `._-`, at most 64.
    ///   - payload: JSON text with ids only, never secrets (≤ 8 KiB).
    ///   - runAfter: not before this time (now when nil).
    ///   - maxAttempts: nil = the queue's default.
    /// - Returns: the job id.
    @discardableResult
    public func enqueue(
        kind: String, payload: String, workspaceID: UUID?, runAfter: Date? = nil, maxAttempts: Int? = nil,
        on db: any Database
    ) async throws -> UUID {
        let now = clock.now()
        return try await Self.insert(
            kind: kind, payload: payload, workspaceID: workspaceID, runAfter: runAfter ?? now,
            maxAttempts: maxAttempts ?? defaultMaxAttempts, now: now, on: db)
    }

    /// `enqueue` without a queue value, for code that has a transaction and
    /// the time but no `JobQueue` at hand (the webhook ingest). The job is
    /// recorded as created at `runAfter`: pass the current time, or use the
    /// instance method to schedule for later.
    @discardableResult
    public static func enqueue(
        kind: String, payload: String, workspaceID: UUID?, runAfter: Date, maxAttempts: Int, on db: any Database
    ) async throws -> UUID {
        try await insert(kind: kind, payload: payload, workspaceID: workspaceID, runAfter: runAfter,
                         maxAttempts: maxAttempts, now: runAfter, on: db)
    }

    private static func insert(
        kind: String, payload: String, workspaceID: UUID?, runAfter: Date, maxAttempts attempts: Int, now: Date,
        on db: any Database
    ) async throws -> UUID {
        try validate(kind: kind, payload: payload, maxAttempts: attempts)
        guard let sql = db as? any SQLDatabase else { throw NotSQL() }
        let created = milliseconds(now)
        let due = milliseconds(runAfter)
        let id = UUID()
        try await sql.raw("""
            INSERT INTO jobs (id, workspace_id, kind, payload, state, attempts, max_attempts, run_after_ms, created_ms, updated_ms)
            VALUES (\(bind: id), \(bind: workspaceID), \(bind: kind), \(bind: payload), \(bind: JobState.queued.rawValue), \
            \(bind: 0), \(bind: attempts), \(bind: due), \(bind: created), \(bind: created))
            """).run()
        return id
    }

    /// As above, with the payload encoded from `payload` (sorted keys).
    @discardableResult
    public func enqueue(
        kind: String, payload: some Encodable, workspaceID: UUID?, runAfter: Date? = nil, maxAttempts: Int? = nil,
        on db: any Database
    ) async throws -> UUID {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(payload), as: UTF8.self)
        return try await enqueue(kind: kind, payload: text, workspaceID: workspaceID, runAfter: runAfter, maxAttempts: maxAttempts, on: db)
    }

    /// The rules every stored job meets, also for code that writes the
    /// `jobs` row in its own statement (the webhook ingest on PostgreSQL).
    static func validate(kind: String, payload: String, maxAttempts attempts: Int) throws {
        try check(kind: kind)
        guard payload.utf8.count <= maxPayloadBytes else {
            throw InvalidJob(description: "job payload over \(maxPayloadBytes) bytes (kind \(kind)); payloads carry ids only")
        }
        guard (1...1000).contains(attempts) else { throw InvalidJob(description: "maxAttempts must be from 1 to 1000") }
    }

    static func check(kind: String) throws {
        let bytes = Array(kind.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, (97...122).contains(first),
              bytes.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 95 || $0 == 45 })
        else { throw InvalidJob(description: "job kind must be 1-64 of a-z 0-9 . _ - starting with a letter") }
    }

    // MARK: - Claim

    /// Leases up to `limit` due jobs to `owner` for `leaseSeconds`: queued
    /// jobs whose time has come and jobs whose lease expired (their worker
    /// died or hung), oldest `run_after_ms` first. Each claim counts as an
    /// attempt. An expired job that has no attempt left is dead-lettered
    /// instead of claimed.
    ///
    /// PostgreSQL: `FOR UPDATE SKIP LOCKED` in the sub-select, so concurrent
    /// claimers (any number of worker processes) skip each other's rows
    /// instead of waiting or taking the same job. SQLite has one writer at a
    /// time, so the same statement without the locking clause is already
    /// exclusive.
    public func claim(owner: String, limit: Int, leaseSeconds: Int) async throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let sql = try sql()
        let now = clock.milliseconds()
        try await reapExpired(sql, now: now)
        let expires = now + Int64(max(1, leaseSeconds)) * 1000
        let locking: SQLQueryString = isPostgres(sql) ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try await sql.raw("""
            UPDATE jobs SET state = \(bind: JobState.leased.rawValue), lease_owner = \(bind: owner), \
            lease_expires_ms = \(bind: expires), attempts = attempts + 1, updated_ms = \(bind: now), \
            last_error = CASE WHEN state = \(bind: JobState.leased.rawValue) THEN \(bind: Self.leaseLostError) ELSE last_error END
            WHERE id IN (
                SELECT id FROM jobs
                WHERE (state = \(bind: JobState.queued.rawValue) AND run_after_ms <= \(bind: now))
                   OR (state = \(bind: JobState.leased.rawValue) AND lease_expires_ms < \(bind: now) AND attempts < max_attempts)
                ORDER BY run_after_ms
                LIMIT \(bind: limit)\(locking)
            )
            RETURNING id, workspace_id, kind, payload, attempts, max_attempts, lease_expires_ms, run_after_ms
            """).all()
        var claimed: [(job: ClaimedJob, due: Int64)] = []
        claimed.reserveCapacity(rows.count)
        for row in rows {
            let job = ClaimedJob(
                id: try row.decode(column: "id", as: UUID.self),
                workspaceID: try row.decode(column: "workspace_id", as: UUID?.self),
                kind: try row.decode(column: "kind", as: String.self),
                payload: try row.decode(column: "payload", as: String.self),
                attempt: try row.decode(column: "attempts", as: Int.self),
                maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
                leaseExpiresMilliseconds: try row.decode(column: "lease_expires_ms", as: Int64.self))
            claimed.append((job, try row.decode(column: "run_after_ms", as: Int64.self)))
        }
        metrics?.jobsClaimed(claimed.count)
        // RETURNING has no order; hand them out oldest first.
        return claimed.sorted { $0.due < $1.due }.map(\.job)
    }

    /// What `last_error` says about an attempt whose worker never reported back.
    static let leaseLostError = "lease expired before the worker reported a result (worker stopped or lost the database)"

    /// Expired leases with no attempt left go to the dead letters. They
    /// cannot be claimed (the claim asks for attempts < max_attempts), so
    /// without this they would stay leased forever.
    private func reapExpired(_ sql: any SQLDatabase, now: Int64) async throws {
        let rows = try await sql.raw("""
            UPDATE jobs SET state = \(bind: JobState.dead.rawValue), dead_at_ms = \(bind: now), updated_ms = \(bind: now), \
            lease_owner = NULL, lease_expires_ms = NULL, last_error = \(bind: Self.leaseLostError)
            WHERE state = \(bind: JobState.leased.rawValue) AND lease_expires_ms < \(bind: now) AND attempts >= max_attempts
            RETURNING id, kind, attempts
            """).all()
        guard !rows.isEmpty else { return }
        metrics?.jobsDead(rows.count)
        for row in rows {
            logger.error("job dead: lease expired on its last attempt", metadata: [
                "job_id": .string((try? row.decode(column: "id", as: UUID.self).uuidString) ?? "?"),
                "job_kind": .string((try? row.decode(column: "kind", as: String.self)) ?? "?"),
                "attempt": .stringConvertible((try? row.decode(column: "attempts", as: Int.self)) ?? 0),
            ])
        }
    }

    // MARK: - Heartbeat, completion, failure

    /// Extends the leases `owner` still holds among `ids`.
    /// - Returns: the ids renewed; an id missing was lost (expired and
    ///   taken over, or finished elsewhere).
    @discardableResult
    public func renew(ids: [UUID], owner: String, leaseSeconds: Int) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let sql = try sql()
        let now = clock.milliseconds()
        let expires = now + Int64(max(1, leaseSeconds)) * 1000
        var renewed = Set<UUID>()
        // Bounded statement size however many jobs are in flight.
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let rows = try await sql.raw("""
                UPDATE jobs SET lease_expires_ms = \(bind: expires), updated_ms = \(bind: now)
                WHERE id IN (\(binds: chunk)) AND state = \(bind: JobState.leased.rawValue) AND lease_owner = \(bind: owner)
                RETURNING id
                """).all()
            for row in rows { renewed.insert(try row.decode(column: "id", as: UUID.self)) }
        }
        return renewed
    }

    /// Deletes a finished job if `owner` still holds it.
    /// - Parameter attempt: the fencing token (`ClaimedJob.attempt`); nil
    ///   checks the owner only.
    /// - Returns: whether it was still held (false: the lease was lost and
    ///   the job may run, or have run, again).
    @discardableResult
    public func complete(id: UUID, owner: String, attempt: Int? = nil) async throws -> Bool {
        let fence: SQLQueryString = attempt.map { " AND attempts = \(bind: $0)" } ?? ""
        let rows = try await sql().raw("""
            DELETE FROM jobs WHERE id = \(bind: id) AND state = \(bind: JobState.leased.rawValue) AND lease_owner = \(bind: owner)\(fence)
            RETURNING id
            """).all()
        if !rows.isEmpty { metrics?.jobCompleted() }
        return !rows.isEmpty
    }

    /// `complete(id:owner:attempt:)` for a claimed job.
    @discardableResult
    public func complete(_ job: ClaimedJob, owner: String) async throws -> Bool {
        try await complete(id: job.id, owner: owner, attempt: job.attempt)
    }

    /// Records a failed attempt: back to the queue after a backoff, or dead
    /// when `retryable` is false or this was the last attempt.
    /// - Parameters:
    ///   - error: already redacted by the caller (no secrets, no payload);
    ///     stored cut to 1 KiB.
    ///   - retryAfter: the earliest retry a remote asked for (e.g. 429
    ///     `retry_after`); the backoff never goes below it.
    @discardableResult
    public func fail(
        _ job: ClaimedJob, owner: String, error: String, retryable: Bool, retryAfter: Duration? = nil
    ) async throws -> JobFailOutcome {
        let now = clock.milliseconds()
        let message = Self.truncated(error)
        let outcome: JobFailOutcome
        let rows: [any SQLRow]
        if retryable, job.attempt < job.maxAttempts {
            let delay = backoff.delay(attempt: job.attempt, retryAfterMilliseconds: retryAfter.map(Self.milliseconds), unit: random.unit())
            let due = now + delay
            outcome = .retry(runAfterMilliseconds: due)
            rows = try await sql().raw("""
                UPDATE jobs SET state = \(bind: JobState.queued.rawValue), run_after_ms = \(bind: due), lease_owner = NULL, \
                lease_expires_ms = NULL, last_error = \(bind: message), updated_ms = \(bind: now)
                WHERE id = \(bind: job.id) AND state = \(bind: JobState.leased.rawValue) AND lease_owner = \(bind: owner) \
                AND attempts = \(bind: job.attempt)
                RETURNING id
                """).all()
        } else {
            outcome = .dead
            rows = try await sql().raw("""
                UPDATE jobs SET state = \(bind: JobState.dead.rawValue), dead_at_ms = \(bind: now), lease_owner = NULL, \
                lease_expires_ms = NULL, last_error = \(bind: message), updated_ms = \(bind: now)
                WHERE id = \(bind: job.id) AND state = \(bind: JobState.leased.rawValue) AND lease_owner = \(bind: owner) \
                AND attempts = \(bind: job.attempt)
                RETURNING id
                """).all()
        }
        guard !rows.isEmpty else { return .notOwned }
        switch outcome {
        case .retry: metrics?.jobRetried()
        case .dead: metrics?.jobsDead()
        case .notOwned: break
        }
        return outcome
    }

    /// `fail` by id, for a caller without the `ClaimedJob`: reads the
    /// attempt it holds first (one more round trip).
    @discardableResult
    public func fail(
        id: UUID, owner: String, error: String, retryable: Bool, retryAfter: Duration? = nil
    ) async throws -> JobFailOutcome {
        guard let row = try await sql().raw("""
            SELECT id, workspace_id, kind, payload, attempts, max_attempts, lease_expires_ms FROM jobs
            WHERE id = \(bind: id) AND state = \(bind: JobState.leased.rawValue) AND lease_owner = \(bind: owner)
            """).first() else { return .notOwned }
        let job = ClaimedJob(
            id: id, workspaceID: try row.decode(column: "workspace_id", as: UUID?.self),
            kind: try row.decode(column: "kind", as: String.self), payload: "",
            attempt: try row.decode(column: "attempts", as: Int.self),
            maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
            leaseExpiresMilliseconds: try row.decode(column: "lease_expires_ms", as: Int64?.self) ?? 0)
        return try await fail(job, owner: owner, error: error, retryable: retryable, retryAfter: retryAfter)
    }

    // MARK: - Dead letters

    /// Puts a dead job of `workspaceID` back in the queue, due now, with
    /// its attempts reset. `last_error` stays until the next attempt
    /// replaces it or success deletes the row.
    /// - Returns: false when there is no dead job with this id in this
    ///   workspace (the API answers 404 either way: no probing other
    ///   workspaces' ids).
    @discardableResult
    public func replay(id: UUID, workspaceID: UUID) async throws -> Bool {
        let now = clock.milliseconds()
        let rows = try await sql().raw("""
            UPDATE jobs SET state = \(bind: JobState.queued.rawValue), attempts = \(bind: 0), run_after_ms = \(bind: now), \
            dead_at_ms = NULL, lease_owner = NULL, lease_expires_ms = NULL, updated_ms = \(bind: now)
            WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID) AND state = \(bind: JobState.dead.rawValue)
            RETURNING id
            """).all()
        return !rows.isEmpty
    }

    /// A page of `workspaceID`'s dead jobs, most recently failed first.
    /// - Parameter limit: clamped to 1...200.
    public func listDead(workspaceID: UUID, limit: Int, cursor: DeadJobCursor? = nil) async throws -> DeadJobPage {
        let pageSize = min(max(limit, 1), 200)
        let after: SQLQueryString = cursor.map {
            " AND (updated_ms < \(bind: $0.updatedMilliseconds) OR (updated_ms = \(bind: $0.updatedMilliseconds) AND id < \(bind: $0.id)))"
        } ?? ""
        let rows = try await sql().raw("""
            SELECT id, workspace_id, kind, attempts, max_attempts, last_error, created_ms, dead_at_ms, updated_ms FROM jobs
            WHERE workspace_id = \(bind: workspaceID) AND state = \(bind: JobState.dead.rawValue)\(after)
            ORDER BY updated_ms DESC, id DESC
            LIMIT \(bind: pageSize + 1)
            """).all()
        var jobs: [DeadJob] = []
        for row in rows.prefix(pageSize) {
            jobs.append(DeadJob(
                id: try row.decode(column: "id", as: UUID.self),
                workspaceID: try row.decode(column: "workspace_id", as: UUID?.self),
                kind: try row.decode(column: "kind", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self),
                maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
                lastError: try row.decode(column: "last_error", as: String?.self),
                createdMilliseconds: try row.decode(column: "created_ms", as: Int64.self),
                deadAtMilliseconds: try row.decode(column: "dead_at_ms", as: Int64?.self),
                updatedMilliseconds: try row.decode(column: "updated_ms", as: Int64.self)))
        }
        let next = rows.count > pageSize ? jobs.last.map { DeadJobCursor(updatedMilliseconds: $0.updatedMilliseconds, id: $0.id) } : nil
        return DeadJobPage(jobs: jobs, next: next)
    }

    // MARK: - Metrics

    /// Jobs per state (every state present, zero when none).
    public func depth() async throws -> [JobState: Int] {
        let rows = try await sql().raw("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all()
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in rows {
            guard let state = JobState(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
            counts[state] = try row.decode(column: "n", as: Int.self)
        }
        return counts
    }

    // MARK: - Helpers

    /// Whole milliseconds since 1970, as `AppClock.milliseconds()` counts.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds.multipliedReportingOverflow(by: 1000).overflow ? .max : seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// `text` cut to at most `maxErrorBytes` bytes of UTF-8, on a character boundary.
    static func truncated(_ text: String) -> String {
        guard text.utf8.count > maxErrorBytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            guard used + size <= maxErrorBytes - 3 else { break }
            result.append(character)
            used += size
        }
        return result + "…"
    }
}
