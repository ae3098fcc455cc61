import Foundation

/// The time, behind an injectable clock so tests can move it (session
/// expiry, throttling windows) without sleeping.
struct AppClock: Sendable {
    let now: @Sendable () -> Date

    static let system = AppClock(now: { Date() })

    /// Whole milliseconds since 1970 (rate limits and usage windows count in these).
    func milliseconds() -> Int64 {
        Int64((now().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
