import Foundation
import NIOConcurrencyHelpers

/// The time, behind an injectable clock so tests can move it (session
/// expiry, throttling windows) without sleeping.
struct AppClock: Sendable {
    let now: @Sendable () -> Date

    static let system = AppClock(now: { Date() })
}

/// A clock tests advance by hand.
final class ManualClock: Sendable {
    private let current: NIOLockedValueBox<Date>

    init(_ start: Date = Date()) {
        current = NIOLockedValueBox(start)
    }

    var clock: AppClock { AppClock(now: { [current] in current.withLockedValue { $0 } }) }

    func advance(by seconds: TimeInterval) {
        current.withLockedValue { $0 = $0.addingTimeInterval(seconds) }
    }
}
