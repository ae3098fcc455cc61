import Foundation
import SQLKit

/// The `backup_runs` table (migration 007): written after each successful
/// backup, read by `/metrics`, `smflow backup --check` and the audit.
public enum BackupRuns {
    /// The gauge `/metrics` exports and `deploy/monitoring/alerts.yml`
    /// (`SMFBackupTooOld`) watches. One help text, used everywhere the gauge
    /// is registered (swift-prometheus stops the process on two).
    public static let metricName = "backup_last_success"
    public static let metricHelp = "Unix time (seconds) of the last successful smflow backup, 0 when none is recorded; refreshed at scrape time."
    /// `backup --check` and the audit: the daily schedule plus 2 hours.
    public static let maximumAge: TimeInterval = 26 * 3600

    static func record(on sql: any SQLDatabase, startedMs: Int64, finishedMs: Int64, kind: BackupDatabaseKind,
                       fileName: String, encryptedSize: Int64, sha256: String) async throws {
        try await sql.insert(into: CreateBackupRun.schema)
            .columns("id", "started_ms", "finished_ms", "database_kind", "file_name", "encrypted_size", "sha256", "status")
            .values(SQLBind(UUID()), SQLBind(startedMs), SQLBind(finishedMs), SQLBind(kind.rawValue), SQLBind(fileName),
                    SQLBind(encryptedSize), SQLBind(sha256), SQLBind("success"))
            .run()
    }

    /// Unix milliseconds of the newest successful backup; nil when none.
    public static func lastSuccessMilliseconds(on sql: any SQLDatabase) async throws -> Int64? {
        let row = try await sql.select()
            .column(SQLFunction("MAX", args: SQLColumn("finished_ms")), as: "last")
            .from(CreateBackupRun.schema)
            .where("status", .equal, "success")
            .first()
        return try row?.decode(column: "last", as: Int64?.self)
    }
}
