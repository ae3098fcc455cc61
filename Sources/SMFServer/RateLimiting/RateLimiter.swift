import SMFSecurity
import Synchronization
import Vapor

/// Applies the rate limit of the route's class (checklist keys
/// `app.rate-limiting`, `mistake.no-rate-limiting`,
/// `monitor.rate-limit-violations`).
///
/// The key is the credential the request presents (a hash of the bearer
/// token or session cookie: per user or API key), else the client IP
/// (trusted-proxy aware). Every limited response carries the IETF draft
/// headers (`RateLimit-Policy`, `RateLimit`) and the older
/// `RateLimit-Limit/-Remaining/-Reset`; a refusal is a 429 problem with
/// `Retry-After`. The request pipeline runs it around error mapping, so
/// error responses get the headers too.
///
/// If the store fails (database down), requests pass: the limiter must not
/// turn a database hiccup into an outage. The failure is logged and counted
/// in `db_errors_total`.
struct RateLimiter: Sendable {
    static let classKey = "smf.rate-limit-class"

    let store: any RateLimitStore
    let policies: [RateLimitClass: RateLimitPolicy]
    let clock: AppClock
    let violations: RateLimitViolations

    /// Decides, then runs `next` (the rest of the pipeline) only if the
    /// request is admitted.
    func limit(_ request: Request, then next: @escaping @Sendable () -> EventLoopFuture<Response>) -> EventLoopFuture<Response> {
        guard let kind = request.route?.userInfo[Self.classKey] as? RateLimitClass, let policy = policies[kind] else {
            return next()
        }
        let key = Self.identity(of: request, kind: kind)
        let now = clock.milliseconds()
        if let decision = store.decideImmediately(key: key, policy: policy, now: now) {
            return apply(decision, policy: policy, key: key, now: now, request: request, next: next)
        }
        let store = self.store
        // Only a failure of the store itself is recovered here (as "let
        // through"); the rest of the chain runs once, outside the recovery.
        let decided: EventLoopFuture<RateLimitDecision?> = request.eventLoop.makeFutureWithTask {
            try await store.decide(key: key, policy: policy, now: now)
        }.map { Optional($0) }.recover { _ in nil }
        return decided.flatMap { decision in
            guard let decision else {
                request.application.smf.metrics.databaseError()
                request.logger.error("rate limiter unavailable; request let through", metadata: ["policy": .string(policy.name)])
                return next()
            }
            return apply(decision, policy: policy, key: key, now: now, request: request, next: next)
        }
    }

    private func apply(
        _ decision: RateLimitDecision, policy: RateLimitPolicy, key: String, now: Int64,
        request: Request, next: @escaping @Sendable () -> EventLoopFuture<Response>
    ) -> EventLoopFuture<Response> {
        let headers = Self.headers(policy: policy, decision: decision)
        guard decision.allowed else {
            request.application.smf.metrics.rateLimitRejected(policy: policy.name)
            let violations = self.violations
            violations.reportLater(key: key, policy: policy, request: request, now: now)
            let base = SMFError.tooManyAttempts(retryAfter: Double(decision.retryAfterMilliseconds) / 1000)
            let problem = SMFError(base.status, code: "rate-limited", title: base.title,
                                   detail: "Rate limit '\(policy.name)' exceeded; retry after the time in Retry-After.",
                                   headers: base.headers)
            let response = ProblemDetails.response(for: problem, to: request)
            for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
            return request.eventLoop.makeSucceededFuture(response)
        }
        return next().map { response in
            for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        }
    }

    /// The bucket key. Sign-in and webhook routes are keyed by client IP
    /// only: their callers are not authenticated by a session or key, so a
    /// presented token proves nothing yet and a caller rotating made-up
    /// tokens would get a fresh bucket each time.
    static func identity(of request: Request, kind: RateLimitClass) -> String {
        if kind == .auth || kind == .webhook { return "ip:" + request.clientAddress }
        if let bearer = request.headers.bearerAuthorization?.token, !bearer.isEmpty {
            return "cred:" + OpaqueToken.hash(bearer).prefix(32)
        }
        if let cookie = request.cookies[SessionCookies.session]?.string, !cookie.isEmpty {
            return "cred:" + OpaqueToken.hash(cookie).prefix(32)
        }
        return "ip:" + (request.clientAddress)
    }

    static func headers(policy: RateLimitPolicy, decision: RateLimitDecision) -> [(String, String)] {
        let window = max(1, policy.periodMilliseconds / 1000)
        let reset = max(0, (decision.resetMilliseconds + 999) / 1000)
        return [
            ("RateLimit-Policy", "\"\(policy.name)\";q=\(policy.limit);w=\(window)"),
            ("RateLimit", "\"\(policy.name)\";r=\(decision.remaining);t=\(reset)"),
            ("RateLimit-Limit", String(policy.limit)),
            ("RateLimit-Remaining", String(decision.remaining)),
            ("RateLimit-Reset", String(reset)),
        ]
    }
}

/// Writes a `ratelimit.exceeded` security event at most once per key and
/// policy per minute, so a flood produces one event a minute, not one per
/// request. (Per process: with N instances, up to N a minute.)
final class RateLimitViolations: Sendable {
    private let lastReported = Mutex<[String: Int64]>([:])
    let events: SecurityEventRecorder
    let background: BackgroundWrites

    init(events: SecurityEventRecorder, background: BackgroundWrites) {
        self.events = events
        self.background = background
    }

    /// Off the request path: the 429 goes out without waiting for the database.
    func reportLater(key: String, policy: RateLimitPolicy, request: Request, now: Int64) {
        let started = background.run { [self] in
            await self.report(key: key, policy: policy, request: request, now: now)
        }
        if !started {
            request.logger.warning("ratelimit.exceeded event dropped: shutting down", metadata: ["policy": .string(policy.name)])
        }
    }

    func report(key: String, policy: RateLimitPolicy, request: Request, now: Int64) async {
        let slot = policy.name + "|" + key
        let due = lastReported.withLock { table -> Bool in
            if let last = table[slot], now - last < 60_000 { return false }
            if table.count > 100_000 { table = table.filter { now - $0.value < 60_000 } }
            table[slot] = now
            return true
        }
        guard due else { return }
        await events.record(.rateLimitExceeded, .denied, on: request,
                            details: ["policy": policy.name, "key": String(key.prefix(48))])
    }
}
