/// The generic cell rate algorithm: one number per key, the theoretical
/// arrival time (TAT) of the next request if the client sent exactly at the
/// allowed rate. A request at `now` is admitted when `TAT - tau <= now`,
/// and then moves the TAT one emission interval later. Bursts of up to
/// `burst` requests pass at once; after that the steady rate applies. There
/// are no window edges to exploit (a fixed window admits 2× its limit
/// around the edge; GCRA never admits more than `burst + rate × time`).
///
/// All times are integer milliseconds, so the same arithmetic runs in
/// memory and as one SQL statement (DESIGN pitfall 10).
public struct RateLimitPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Stable name: the metric label and part of the store key.
    public let name: String
    /// Requests allowed per `periodMilliseconds` at the steady rate.
    public let limit: Int
    public let periodMilliseconds: Int64
    /// Requests allowed at once (≥ 1).
    public let burst: Int

    public init(name: String, limit: Int, periodMilliseconds: Int64, burst: Int) {
        precondition(limit > 0 && periodMilliseconds > 0 && burst > 0, "rate limit policy needs positive numbers")
        self.name = name
        self.limit = limit
        self.periodMilliseconds = periodMilliseconds
        self.burst = burst
    }

    /// T: the steady-state spacing between two requests.
    public var emissionInterval: Int64 { max(1, periodMilliseconds / Int64(limit)) }
    /// τ: how far ahead of `now` the TAT may run, i.e. the burst allowance.
    public var tolerance: Int64 { emissionInterval * Int64(burst - 1) }

    public var description: String { "\(name): \(limit) per \(periodMilliseconds / 1000) s, burst \(burst)" }
}

/// The outcome of one decision.
public struct RateLimitDecision: Sendable, Equatable {
    public let allowed: Bool
    /// The TAT to store (unchanged when refused).
    public let newTAT: Int64
    /// Requests that would still pass right now.
    public let remaining: Int
    /// When refused: milliseconds until a request would pass.
    public let retryAfterMilliseconds: Int64
    /// Milliseconds until the allowance is full again.
    public let resetMilliseconds: Int64

    public init(allowed: Bool, newTAT: Int64, remaining: Int, retryAfterMilliseconds: Int64, resetMilliseconds: Int64) {
        self.allowed = allowed
        self.newTAT = newTAT
        self.remaining = remaining
        self.retryAfterMilliseconds = retryAfterMilliseconds
        self.resetMilliseconds = resetMilliseconds
    }
}

public enum GCRA {
    /// Decides one request.
    /// - Parameters:
    ///   - tat: the stored TAT, or nil for a key never seen (or evicted).
    ///   - now: the current time in milliseconds.
    public static func decide(tat stored: Int64?, now: Int64, policy: RateLimitPolicy) -> RateLimitDecision {
        let interval = policy.emissionInterval
        let tolerance = policy.tolerance
        let tat = max(stored ?? now, now)
        let newTAT = tat + interval
        let allowAt = newTAT - tolerance - interval
        if now < allowAt {
            return RateLimitDecision(
                allowed: false, newTAT: tat, remaining: 0,
                retryAfterMilliseconds: allowAt - now, resetMilliseconds: tat - now)
        }
        return RateLimitDecision(
            allowed: true, newTAT: newTAT, remaining: remaining(afterTAT: newTAT, now: now, policy: policy),
            retryAfterMilliseconds: 0, resetMilliseconds: newTAT - now)
    }

    /// How many more requests fit at `now` once the TAT is `tat`.
    public static func remaining(afterTAT tat: Int64, now: Int64, policy: RateLimitPolicy) -> Int {
        let slack = now + policy.tolerance - (tat - policy.emissionInterval)
        guard slack >= 0 else { return 0 }
        return min(policy.burst - 1, Int(slack / policy.emissionInterval))
    }
}
