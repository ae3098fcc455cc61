import Fluent
import SQLKit

// 002 — shared rate-limit state (issue 4). UNLOGGED on PostgreSQL: the rows
// are cheap to lose in a crash (clients get a fresh allowance) and skipping
// the WAL makes every decision a cheaper write.
struct CreateRateLimit: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        if sql.dialect.name == "postgresql" {
            try await sql.raw("CREATE UNLOGGED TABLE rate_limits (key TEXT PRIMARY KEY, tat_ms BIGINT NOT NULL)").run()
        } else {
            try await sql.raw("CREATE TABLE rate_limits (key TEXT PRIMARY KEY, tat_ms INTEGER NOT NULL)").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await (database as? any SQLDatabase)?.raw("DROP TABLE IF EXISTS rate_limits").run()
    }
}
