import Fluent
import Foundation

/// A signed-in browser or API client. The token itself is never stored,
/// only its HMAC-SHA256 under a key derived from `SMF_SECRET_KEY`
/// (`token_hash`, the key's id in `token_key_id`; see `TokenKeyRing`);
/// likewise the CSRF token, which is bound to this row.
final class Session: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "csrf_hash") var csrfHash: String
    /// Migration 008; nil only on a model that was never given one (the
    /// column then defaults to the legacy `sha256`).
    @OptionalField(key: "token_key_id") var tokenKeyID: String?
    @OptionalField(key: "csrf_key_id") var csrfKeyID: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @Field(key: "user_agent") var userAgent: String
    @Field(key: "ip") var ip: String

    init() {}

    init(userID: UUID, tokenHash: String, csrfHash: String, keyID: String? = nil, now: Date, expiresAt: Date, userAgent: String, ip: String) {
        self.userID = userID
        self.tokenHash = tokenHash
        self.csrfHash = csrfHash
        if let keyID {
            self.tokenKeyID = keyID
            self.csrfKeyID = keyID
        }
        self.createdAt = now
        self.lastSeenAt = now
        self.expiresAt = expiresAt
        self.userAgent = userAgent
        self.ip = ip
    }
}
