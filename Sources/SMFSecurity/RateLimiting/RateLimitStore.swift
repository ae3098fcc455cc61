/// Where rate-limit state lives. One call = one atomic decision, so no two
/// concurrent requests can both take the last slot (no read-modify-write
/// race across tasks or, for the database store, across processes).
public protocol RateLimitStore: Sendable {
    func decide(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision
    func decideImmediately(key: String, policy: RateLimitPolicy, now: Int64) -> RateLimitDecision?
}

extension RateLimitStore {
    /// A decision without suspending, for stores that can give one (the
    /// memory store); nil means "use `decide`". Lets the HTTP middleware
    /// avoid starting a task per request.
    public func decideImmediately(key: String, policy: RateLimitPolicy, now: Int64) -> RateLimitDecision? { nil }
}
