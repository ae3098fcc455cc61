import Foundation

/// Timeouts and retries per node, with the clock injectable so tests never
/// wait.
///
/// - Timeout per attempt: the node's `timeout_seconds` setting when it has
///   one, else `defaultTimeout`.
/// - Attempts: processors up to `maxAttempts` for retryable errors and
///   timeouts, with exponential backoff `baseDelay · 2^(n-1)` capped at
///   `maxDelay`, scaled by a jitter factor in [0.5, 1) ("equal jitter":
///   retries of many executions spread out, none retries at once).
/// - Actions get `actionMaxAttempts` (1): a side effect is not repeated
///   blindly. A timed-out action is never retried and its failure is not
///   retryable (the effect may have happened).
/// - A retryable error with `retryAfter` (Telegram 429) is retried after
///   exactly that wait when it is at most `maxRetryAfter`, for actions too
///   (the platform refused, so nothing happened), up to
///   `maxAttempts` attempts in all; a longer wait fails the step retryable
///   with that `retryAfter`, for the queue to reschedule.
public struct StepPolicy: Sendable {
    public var defaultTimeout: Duration
    public var maxAttempts: Int
    public var actionMaxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var maxRetryAfter: Duration
    /// Nodes running at once in one execution.
    public var maxConcurrentNodes: Int
    /// Waits between attempts.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// Ends a timeout: returns when `duration` has passed. Separate from
    /// `sleep` so a test can fire timeouts at once while backoff is instant.
    public var timer: @Sendable (Duration) async throws -> Void
    /// A number in [0, 1).
    public var random: @Sendable () -> Double
    public var now: @Sendable () -> Date

    public init(
        defaultTimeout: Duration = .seconds(30), maxAttempts: Int = 3, actionMaxAttempts: Int = 1,
        baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(10), maxRetryAfter: Duration = .seconds(5),
        maxConcurrentNodes: Int = 4,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        timer: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.defaultTimeout = defaultTimeout
        self.maxAttempts = max(1, maxAttempts)
        self.actionMaxAttempts = max(1, actionMaxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.maxConcurrentNodes = max(1, maxConcurrentNodes)
        self.sleep = sleep
        self.timer = timer
        self.random = random
        self.now = now
    }

    /// The timeout of one attempt of `node`.
    public func timeout(for node: PlannedNode) -> Duration {
        if let seconds = node.settings["timeout_seconds"]?.integerValue, seconds > 0 { return .seconds(seconds) }
        return defaultTimeout
    }

    /// Attempts for errors without a `retryAfter`.
    public func attempts(for category: NodeCategory) -> Int {
        category == .action ? actionMaxAttempts : maxAttempts
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failed.
    public func backoff(after attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = baseDelay * (1 << exponent)
        let capped = raw > maxDelay ? maxDelay : raw
        let factor = 0.5 + 0.5 * min(max(random(), 0), 1)
        return capped * factor
    }
}
