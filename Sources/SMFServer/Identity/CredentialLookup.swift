import Foundation
import SQLKit

/// The two lookups every authenticated request makes, as single SQL
/// statements selecting only what authentication needs. Through Fluent's
/// model layer each cost ~0.7 ms of server CPU (scripts/bench-flow-list:
/// `GET /workspaces/{ws}` with an API key ran at ~480 req/s against ~3,300
/// for a route without a lookup); a session also needed a second query for
/// its user, now a join.
enum CredentialLookup {
    struct SessionRow: Decodable {
        let id: UUID
        let user_id: UUID
        let csrf_hash: String
        let expires_at: Date
        let last_seen_at: Date
        let revoked_at: Date?
        let is_disabled: Bool
    }

    struct APIKeyRow: Decodable {
        let id: UUID
        let workspace_id: UUID
        let scopes: String
        let is_test: Bool
        let expires_at: Date?
        let last_used_at: Date?
        let revoked_at: Date?
    }

    static func session(tokenHash: String, on sql: any SQLDatabase) async throws -> SessionRow? {
        try await sql.raw("""
            SELECT s.id, s.user_id, s.csrf_hash, s.expires_at, s.last_seen_at, s.revoked_at, u.is_disabled
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = \(bind: tokenHash)
            """).first(decoding: SessionRow.self)
    }

    static func apiKey(keyHash: String, on sql: any SQLDatabase) async throws -> APIKeyRow? {
        try await sql.raw("""
            SELECT id, workspace_id, scopes, is_test, expires_at, last_used_at, revoked_at
            FROM api_keys WHERE key_hash = \(bind: keyHash)
            """).first(decoding: APIKeyRow.self)
    }

    static func touchSession(_ id: UUID, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE sessions SET last_seen_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    static func touchAPIKey(_ id: UUID, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE api_keys SET last_used_at = \(bind: now) WHERE id = \(bind: id)").run()
    }
}
