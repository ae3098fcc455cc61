import Foundation
import NIOConcurrencyHelpers
@testable import SMFServer

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
