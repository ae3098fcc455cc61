import Fluent
import SQLKit

// 007 — backup runs (issue 9): one row per successful `smflow backup`, so
// that `/metrics` (`backup_last_success`), `smflow backup --check` (the
// compose health check) and `smflow audit --database-url` (`db.backups`)
// all read the same last-success time, whichever process took the backup.

/// `backup_runs`. Times are Unix milliseconds (BIGINT) so that both
/// databases compare them the same way; the file is its name only (the
/// directory is the backup container's business).
struct CreateBackupRun: AsyncMigration {
    static let schema = "backup_runs"

    func prepare(on database: any Database) async throws {
        try await database.schema(Self.schema)
            .id()
            .field("started_ms", .int64, .required)
            .field("finished_ms", .int64, .required)
            // `postgres` or `sqlite`.
            .field("database_kind", .string, .required)
            .field("file_name", .string, .required)
            // Bytes of the encrypted file; SHA-256 of the plaintext dump.
            .field("encrypted_size", .int64, .required)
            .field("sha256", .string, .required)
            // Only `success` is written today; failures are the exit status and the log.
            .field("status", .string, .required)
            .create()
        try await (database as? any SQLDatabase)?.create(index: "backup_runs_finished_idx")
            .on(Self.schema).column("finished_ms").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Self.schema).delete()
    }
}
