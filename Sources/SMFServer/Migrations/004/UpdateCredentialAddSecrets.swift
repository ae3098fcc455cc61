import Fluent
import SQLKit

// 004 — the credential vault (issue 8): sealed secrets, the key that sealed
// them, what the API may show (public fields, masked hints), and times.

struct UpdateCredentialAddSecrets: AsyncMigration {
    /// Added one per statement: SQLite's ALTER TABLE takes one column at a time.
    static let columns: [(String, DatabaseSchema.DataType)] = [
        ("sealed", .string),
        ("key_id", .string),
        ("public_fields", .string),
        ("hints", .string),
        ("secret_updated_at", .datetime),
        ("updated_at", .datetime),
        ("created_ms", .int64),
    ]

    func prepare(on database: any Database) async throws {
        for (name, type) in Self.columns {
            try await database.schema(Credential.schema).field(FieldKey(stringLiteral: name), type).update()
        }
        guard let sql = database as? any SQLDatabase else { return }
        // Rotation looks for rows not under the current key.
        try await sql.create(index: "credentials_key_id_idx").on(Credential.schema).column("key_id").run()
        // The list's keyset order (as flows').
        try await sql.create(index: "credentials_workspace_order_idx").on(Credential.schema)
            .column("workspace_id").column("created_ms").column("id").run()
        // Rows from before the vault get a sort key; they hold no secrets.
        try await sql.raw("UPDATE credentials SET created_ms = 0 WHERE created_ms IS NULL").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase {
            try await sql.drop(index: "credentials_workspace_order_idx").ifExists().run()
            try await sql.drop(index: "credentials_key_id_idx").ifExists().run()
        }
        for (name, _) in Self.columns.reversed() {
            try await database.schema(Credential.schema).deleteField(FieldKey(stringLiteral: name)).update()
        }
    }
}
