import Fluent
import Foundation

/// One security-relevant event (checklist keys `monitor.failed-auth`,
/// `tasks.weekly-review`). `details` is JSON without secrets.
final class SecurityEvent: Model, @unchecked Sendable {
    static let schema = "security_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "occurred_at") var occurredAt: Date
    @Field(key: "type") var type: String
    @Field(key: "outcome") var outcome: String
    @OptionalField(key: "user_id") var userID: UUID?
    @OptionalField(key: "api_key_id") var apiKeyID: UUID?
    @OptionalField(key: "workspace_id") var workspaceID: UUID?
    @Field(key: "ip") var ip: String
    @Field(key: "user_agent") var userAgent: String
    @Field(key: "request_id") var requestID: String
    @Field(key: "details") var details: String

    init() {}
}

/// Failure counters for sign-in throttling, keyed by a hash of the account
/// or the client IP (never the address in clear).
final class LoginThrottle: Model, @unchecked Sendable {
    static let schema = "login_throttles"

    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "failures") var failures: Int
    @Field(key: "window_start") var windowStart: Date
    @OptionalField(key: "blocked_until") var blockedUntil: Date?

    init() {}
}
