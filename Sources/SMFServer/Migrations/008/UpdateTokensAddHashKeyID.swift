import Fluent
import SQLKit

// 008 — keyed token hashes and secret-key rotation (issue 9): the key id
// beside every stored token hash, and the retirement times that
// `smflow secrets rotate-secret-key` records for old keys.

/// Adds `sessions.token_key_id`, `sessions.csrf_key_id` and
/// `api_keys.hash_key_id`. Rows from before this migration hold plain
/// SHA-256 hashes, so the columns default to the legacy id `sha256`
/// (`TokenKeyRing.legacyKeyID`): they keep working until the first
/// rotation's grace period ends.
struct UpdateTokensAddHashKeyID: AsyncMigration {
    static let columns: [(table: String, column: String)] = [
        (Session.schema, "token_key_id"),
        (Session.schema, "csrf_key_id"),
        (APIKey.schema, "hash_key_id"),
    ]

    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite's ALTER TABLE takes one at a time.
        for (table, column) in Self.columns {
            try await database.schema(table)
                .field(FieldKey(stringLiteral: column), .string, .sql(.default("sha256")))
                .update()
        }
        guard let sql = database as? any SQLDatabase else { return }
        // Counting and purging rows under a retired key.
        try await sql.create(index: "sessions_token_key_id_idx").on(Session.schema).column("token_key_id").run()
        try await sql.create(index: "api_keys_hash_key_id_idx").on(APIKey.schema).column("hash_key_id").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase {
            try await sql.drop(index: "api_keys_hash_key_id_idx").ifExists().run()
            try await sql.drop(index: "sessions_token_key_id_idx").ifExists().run()
        }
        for (table, column) in Self.columns.reversed() {
            try await database.schema(table).deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}

/// `secret_key_retirements`: one row per signing key that was replaced,
/// with the moment it stops being accepted. Every app process reads the
/// same rows, so they all refuse an old key at the same time; a row's
/// `retires_at` only ever moves earlier (a retired key never comes back).
struct CreateSecretKeyRetirement: AsyncMigration {
    static let schema = "secret_key_retirements"

    func prepare(on database: any Database) async throws {
        try await database.schema(Self.schema)
            .field("key_id", .string, .identifier(auto: false))
            .field("replaced_by", .string, .required)
            .field("recorded_at", .datetime, .required)
            .field("retires_at", .datetime, .required)
            // When the retirement was written as a security event (and rows
            // under the key purged); NULL while the grace period runs.
            .field("retired_recorded_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Self.schema).delete()
    }
}
