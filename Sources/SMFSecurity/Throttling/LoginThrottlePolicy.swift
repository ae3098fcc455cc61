import Foundation

/// Brute-force defence for sign-in: failures are counted per key (an
/// account, or a client IP) in a sliding window; past the threshold every
/// further attempt is refused for a delay that doubles with each failure,
/// up to a cap — so an attacker is slowed to a crawl, yet the owner is never
/// locked out for longer than the cap.
public struct LoginThrottlePolicy: Sendable, Equatable {
    public var threshold: Int
    public var window: TimeInterval
    public var baseDelay: TimeInterval
    public var maximumDelay: TimeInterval

    public init(threshold: Int, window: TimeInterval, baseDelay: TimeInterval, maximumDelay: TimeInterval) {
        self.threshold = threshold
        self.window = window
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// 5 failures for an account within 15 minutes, then 30 s, 60 s, 120 s … at most 15 minutes.
    public static let account = LoginThrottlePolicy(threshold: 5, window: 15 * 60, baseDelay: 30, maximumDelay: 15 * 60)
    /// 20 failures from one IP within 15 minutes (across any accounts), same growth.
    public static let clientIP = LoginThrottlePolicy(threshold: 20, window: 15 * 60, baseDelay: 30, maximumDelay: 15 * 60)

    /// 10 registrations from one IP within an hour.
    public static let registration = LoginThrottlePolicy(threshold: 10, window: 60 * 60, baseDelay: 60, maximumDelay: 60 * 60)

    /// The state kept per key.
    public struct State: Sendable, Equatable {
        public var failures: Int
        public var windowStart: Date
        public var blockedUntil: Date?

        public init(failures: Int = 0, windowStart: Date, blockedUntil: Date? = nil) {
            self.failures = failures
            self.windowStart = windowStart
            self.blockedUntil = blockedUntil
        }
    }

    /// Seconds the key must still wait, or nil when an attempt may go ahead.
    public func retryAfter(_ state: State?, now: Date) -> TimeInterval? {
        guard let until = state?.blockedUntil, until > now else { return nil }
        return until.timeIntervalSince(now)
    }

    /// The state after one more failure at `now`.
    public func recordingFailure(_ state: State?, now: Date) -> State {
        var next = state ?? State(windowStart: now)
        if now.timeIntervalSince(next.windowStart) > window {
            next = State(windowStart: now)
        }
        next.failures += 1
        if next.failures >= threshold {
            let doublings = min(next.failures - threshold, 30)
            let delay = min(baseDelay * pow(2, Double(doublings)), maximumDelay)
            next.blockedUntil = now.addingTimeInterval(delay)
        }
        return next
    }
}
