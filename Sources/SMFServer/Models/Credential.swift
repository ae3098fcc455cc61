import Fluent
import Foundation

/// A stored credential: its identity and kind (what flows reference, issue
/// 7) and, since migration 004, its sealed secrets (issue 8). The secret
/// fields live only in `sealed`, encrypted by `CredentialVault`; `hints` and
/// `publicFields` are what the API may show. Fluent models are
/// `@unchecked Sendable` by Fluent's design and not thread-safe (DESIGN
/// pitfall 7): one instance belongs to one task.
final class Credential: Model, @unchecked Sendable {
    static let schema = "credentials"

    @ID(key: .id) var id: UUID?
    @Field(key: "workspace_id") var workspaceID: UUID
    /// A `CredentialKind` raw value, e.g. `telegram.bot`.
    @Field(key: "kind") var kind: String
    @Field(key: "name") var name: String
    @Field(key: "created_at") var createdAt: Date
    /// Creation time in whole milliseconds: the list's exact, portable keyset
    /// (as `Flow.createdMilliseconds`). 0 for rows older than migration 004.
    @OptionalField(key: "created_ms") var createdMilliseconds: Int64?
    /// `SecretBox` text of a JSON object of the secret fields; nil for rows
    /// made before the vault existed.
    @OptionalField(key: "sealed") var sealed: String?
    /// The id of the key `sealed` was made with (rotation scans it).
    @OptionalField(key: "key_id") var keyID: String?
    /// JSON object of the non-secret fields (`ig_user_id`, `base_url`, `header_name`).
    @OptionalField(key: "public_fields") var publicFields: String?
    /// JSON object: secret field → masked hint (`…abcd`, or `…` alone for short secrets).
    @OptionalField(key: "hints") var hints: String?
    /// When the secrets were last written (issue 9 reports stale credentials).
    @OptionalField(key: "secret_updated_at") var secretUpdatedAt: Date?
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}

    init(workspaceID: UUID, kind: String, name: String, now: Date) {
        self.workspaceID = workspaceID
        self.kind = kind
        self.name = name
        self.createdAt = now
        self.createdMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        self.updatedAt = now
    }
}
