import Fluent
import Foundation

/// An account. Fluent models are `@unchecked Sendable` by Fluent's design
/// and not thread-safe (DESIGN pitfall 7): one instance belongs to one task.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    /// Lowercased address: the uniqueness key.
    @Field(key: "email_canonical") var emailCanonical: String
    /// As typed, with the domain lowercased.
    @Field(key: "email") var email: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "is_disabled") var isDisabled: Bool
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "password_changed_at") var passwordChangedAt: Date

    init() {}

    init(email: String, emailCanonical: String, passwordHash: String, now: Date) {
        self.email = email
        self.emailCanonical = emailCanonical
        self.passwordHash = passwordHash
        self.isDisabled = false
        self.createdAt = now
        self.passwordChangedAt = now
    }
}
