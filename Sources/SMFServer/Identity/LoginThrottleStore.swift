import Fluent
import Foundation
import SMFSecurity

/// Persists `LoginThrottlePolicy` state in `login_throttles`, so every app
/// process sees the same counters. Keys never hold an address in clear:
/// accounts are keyed by the SHA-256 of the canonical email.
///
/// Read-modify-write without a lock: two failures racing may count as one,
/// which lets an attacker at most a few extra attempts before the block.
struct LoginThrottleStore: Sendable {
    static func accountKey(_ canonicalEmail: String) -> String { "account:" + OpaqueToken.hash(canonicalEmail) }
    static func ipKey(_ ip: String) -> String { "ip:" + ip }
    static func registrationKey(_ ip: String) -> String { "register:" + ip }

    static func retryAfter(_ key: String, policy: LoginThrottlePolicy, now: Date, on db: any Database) async throws -> TimeInterval? {
        guard let row = try await LoginThrottle.find(key, on: db) else { return nil }
        return policy.retryAfter(.init(failures: row.failures, windowStart: row.windowStart, blockedUntil: row.blockedUntil), now: now)
    }

    static func recordFailure(_ key: String, policy: LoginThrottlePolicy, now: Date, on db: any Database) async throws {
        let row = try await LoginThrottle.find(key, on: db)
        let previous = row.map { LoginThrottlePolicy.State(failures: $0.failures, windowStart: $0.windowStart, blockedUntil: $0.blockedUntil) }
        let next = policy.recordingFailure(previous, now: now)
        let target = row ?? {
            let fresh = LoginThrottle()
            fresh.id = key
            return fresh
        }()
        target.failures = next.failures
        target.windowStart = next.windowStart
        target.blockedUntil = next.blockedUntil
        try await target.save(on: db)
    }

    static func reset(_ key: String, on db: any Database) async throws {
        try await LoginThrottle.query(on: db).filter(\.$id == key).delete()
    }
}
