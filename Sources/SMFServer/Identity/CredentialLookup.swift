import Foundation
import SQLKit

/// The two lookups every authenticated request makes, as single SQL
/// statements selecting only what authentication needs (plus, issue 9,
/// the second lookup under older keys in their grace period and the
/// re-hash that follows it; see `TokenHashing`). Through Fluent's
/// model layer each cost ~0.7 ms of server CPU (scripts/bench-flow-list:
/// `GET /workspaces/{ws}` with an API key ran at ~480 req/s against ~3,300
/// for a route without a lookup); a session also needed a second query for
/// its user, now a join.
enum CredentialLookup {
    struct SessionRow: Decodable {
        let id: UUID
        let user_id: UUID
        let token_hash: String
        let token_key_id: String?
        let csrf_hash: String
        let csrf_key_id: String?
        let expires_at: Date
        let last_seen_at: Date
        let revoked_at: Date?
        let is_disabled: Bool
        /// Only selected by the second lookup (an older key's grace end).
        let retires_at: Date?
    }

    struct APIKeyRow: Decodable {
        let id: UUID
        let workspace_id: UUID
        let key_hash: String
        let hash_key_id: String?
        let scopes: String
        let is_test: Bool
        let expires_at: Date?
        let last_used_at: Date?
        let revoked_at: Date?
        let retires_at: Date?
    }

    /// The session whose token hashes to `tokenHash` under `keyID` (the
    /// current key: the one lookup of nearly every request).
    static func session(tokenHash: String, keyID: String, on sql: any SQLDatabase) async throws -> SessionRow? {
        try await sql.raw("""
            SELECT s.id, s.user_id, s.token_hash, s.token_key_id, s.csrf_hash, s.csrf_key_id, s.expires_at, s.last_seen_at,
            s.revoked_at, u.is_disabled, NULL AS retires_at
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = \(bind: tokenHash) AND COALESCE(s.token_key_id, 'sha256') = \(bind: keyID)
            """).first(decoding: SessionRow.self)
    }

    /// The second lookup, after a miss under the current key: the session
    /// whose hash is one of `tokenHashes` (the token under each older key
    /// in grace), with its key's recorded retirement time.
    static func session(anyOf tokenHashes: [String], on sql: any SQLDatabase) async throws -> SessionRow? {
        try await sql.raw("""
            SELECT s.id, s.user_id, s.token_hash, s.token_key_id, s.csrf_hash, s.csrf_key_id, s.expires_at, s.last_seen_at,
            s.revoked_at, u.is_disabled, r.retires_at
            FROM sessions s JOIN users u ON u.id = s.user_id
            LEFT JOIN secret_key_retirements r ON r.key_id = COALESCE(s.token_key_id, 'sha256')
            WHERE s.token_hash IN (\(binds: tokenHashes))
            """).first(decoding: SessionRow.self)
    }

    static func apiKey(keyHash: String, keyID: String, on sql: any SQLDatabase) async throws -> APIKeyRow? {
        try await sql.raw("""
            SELECT id, workspace_id, key_hash, hash_key_id, scopes, is_test, expires_at, last_used_at, revoked_at, NULL AS retires_at
            FROM api_keys WHERE key_hash = \(bind: keyHash) AND COALESCE(hash_key_id, 'sha256') = \(bind: keyID)
            """).first(decoding: APIKeyRow.self)
    }

    static func apiKey(anyOf keyHashes: [String], on sql: any SQLDatabase) async throws -> APIKeyRow? {
        try await sql.raw("""
            SELECT k.id, k.workspace_id, k.key_hash, k.hash_key_id, k.scopes, k.is_test, k.expires_at, k.last_used_at,
            k.revoked_at, r.retires_at
            FROM api_keys k LEFT JOIN secret_key_retirements r ON r.key_id = COALESCE(k.hash_key_id, 'sha256')
            WHERE k.key_hash IN (\(binds: keyHashes))
            """).first(decoding: APIKeyRow.self)
    }

    /// Re-hashes a session token found under an older key under the current
    /// one. Matches only while the row still holds the old hash, so two
    /// requests racing with the same token write once.
    static func rehashSession(_ id: UUID, from oldHash: String, to newHash: String, keyID: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE sessions SET token_hash = \(bind: newHash), token_key_id = \(bind: keyID)
            WHERE id = \(bind: id) AND token_hash = \(bind: oldHash)
            """).run()
    }

    static func rehashCSRF(_ id: UUID, from oldHash: String, to newHash: String, keyID: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE sessions SET csrf_hash = \(bind: newHash), csrf_key_id = \(bind: keyID)
            WHERE id = \(bind: id) AND csrf_hash = \(bind: oldHash)
            """).run()
    }

    static func rehashAPIKey(_ id: UUID, from oldHash: String, to newHash: String, keyID: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE api_keys SET key_hash = \(bind: newHash), hash_key_id = \(bind: keyID)
            WHERE id = \(bind: id) AND key_hash = \(bind: oldHash)
            """).run()
    }

    static func touchSession(_ id: UUID, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE sessions SET last_seen_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    static func touchAPIKey(_ id: UUID, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE api_keys SET last_used_at = \(bind: now) WHERE id = \(bind: id)").run()
    }
}
