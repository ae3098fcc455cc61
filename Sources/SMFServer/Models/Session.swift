import Fluent
import Foundation

/// A signed-in browser or API client. The token itself is never stored,
/// only its SHA-256 (`token_hash`); likewise the CSRF token.
final class Session: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "csrf_hash") var csrfHash: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @Field(key: "user_agent") var userAgent: String
    @Field(key: "ip") var ip: String

    init() {}

    init(userID: UUID, tokenHash: String, csrfHash: String, now: Date, expiresAt: Date, userAgent: String, ip: String) {
        self.userID = userID
        self.tokenHash = tokenHash
        self.csrfHash = csrfHash
        self.createdAt = now
        self.lastSeenAt = now
        self.expiresAt = expiresAt
        self.userAgent = userAgent
        self.ip = ip
    }
}
