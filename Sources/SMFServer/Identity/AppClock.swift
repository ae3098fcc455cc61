import Foundation

/// The time, behind an injectable clock so tests can move it (session
/// expiry, throttling windows) without sleeping.
struct AppClock: Sendable {
    let now: @Sendable () -> Date

    static let system = AppClock(now: { Date() })
}
