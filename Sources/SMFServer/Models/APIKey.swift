import Fluent
import Foundation

/// A workspace's key for automation, stored as the HMAC-SHA256 of the whole
/// key under a key derived from `SMF_SECRET_KEY` (`TokenKeyRing`).
final class APIKey: Model, @unchecked Sendable {
    static let schema = "api_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "workspace_id") var workspaceID: UUID
    @Field(key: "name") var name: String
    @Field(key: "key_hash") var keyHash: String
    /// The id of the key `keyHash` is under (migration 008; the column
    /// defaults to the legacy `sha256` when a model leaves it nil).
    @OptionalField(key: "hash_key_id") var hashKeyID: String?
    /// The first characters of the key, shown in lists so people can tell keys apart.
    @Field(key: "hint") var hint: String
    /// Space-separated scopes.
    @Field(key: "scopes") var scopes: String
    @Field(key: "is_test") var isTest: Bool
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "expires_at") var expiresAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}
