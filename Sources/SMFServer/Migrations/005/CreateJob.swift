import Fluent
import SQLKit

// 005 — the durable job queue (issue 8). See `Queue/JobQueue.swift` for the
// statements that use these columns and indexes.
//
// A job row lives only while there is work to do: `queued` (waiting for
// `run_after_ms`), `leased` (a worker holds it until `lease_expires_ms`),
// `dead` (gave up; listed and re-playable). A job that succeeds is DELETED:
// the execution record (migration 006) is the history, so keeping done jobs
// would only duplicate it, grow the table without bound and slow the claim
// query, which must stay an index range scan over live work. A queue table
// that stays small also keeps PostgreSQL's vacuum cheap.
//
// Times are whole milliseconds since 1970 (`AppClock.milliseconds()`), like
// the rate limits: integer comparisons, the same on both databases.

struct CreateJob: AsyncMigration {
    static let schema = "jobs"

    func prepare(on database: any Database) async throws {
        try await database.schema(Self.schema)
            .id()
            // Null for system jobs that belong to no workspace; a workspace's
            // jobs go with it.
            .field("workspace_id", .uuid, .references(Workspace.schema, "id", onDelete: .cascade))
            // A fixed job name (`flow.execute`), never user input.
            .field("kind", .string, .required)
            // JSON with ids only — never secrets; workers load the rest.
            .field("payload", .string, .required)
            // queued | leased | dead
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("max_attempts", .int, .required)
            .field("run_after_ms", .int64, .required)
            .field("lease_owner", .string)
            .field("lease_expires_ms", .int64)
            // At most 1 KiB, redacted by whoever reports the failure.
            .field("last_error", .string)
            .field("created_ms", .int64, .required)
            .field("updated_ms", .int64, .required)
            .field("dead_at_ms", .int64)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        // The claim query: due queued jobs and expired leases, oldest first.
        try await sql.create(index: "jobs_claim_idx").on(Self.schema)
            .column("state").column("run_after_ms").run()
        // The dead-letter list of a workspace, newest first (keyset on updated_ms, id).
        try await sql.create(index: "jobs_workspace_state_idx").on(Self.schema)
            .column("workspace_id").column("state").column("updated_ms").column("id").run()
        if sql.dialect.name == "postgresql" {
            // Every job is inserted, updated and deleted within seconds: vacuum
            // this table after 1% of its rows changed instead of the default
            // 20%, so dead tuples do not pile up under the claim index.
            try await sql.raw("ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02)").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Self.schema).delete()
    }
}
