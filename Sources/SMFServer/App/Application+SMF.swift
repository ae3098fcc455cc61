import SMFSecurity
import Vapor

/// What `configure` attaches to the application: the validated config and
/// the services built from it. Stored once at configuration time and only
/// read afterwards.
struct AppContext: Sendable {
    let config: AppConfig
    let clientIPResolver: ClientIPResolver
    let metrics: HTTPMetrics
    let readiness: ReadinessProbe
    let clock: AppClock
    let hasher: PasswordHasher
    let events: SecurityEventRecorder
    let usage: UsageAnomalyReporter
}

extension Application {
    private struct ContextKey: StorageKey {
        typealias Value = AppContext
    }

    var smf: AppContext {
        get {
            guard let context = storage[ContextKey.self] else {
                // Programming error, not input: configure() always sets it.
                fatalError("configure(_:config:) has not been called on this Application")
            }
            return context
        }
        set { storage[ContextKey.self] = newValue }
    }
}

extension Request {
    private struct RequestIDKey: StorageKey {
        typealias Value = String
    }

    private struct ClientIPKey: StorageKey {
        typealias Value = IPAddress?
    }

    /// The request id set by `RequestIDMiddleware` (Vapor's own id before it runs).
    public var requestID: String {
        get { storage[RequestIDKey.self] ?? id }
        set { storage[RequestIDKey.self] = newValue }
    }

    /// The client's address: the TCP peer, or the forwarded client when the
    /// peer is a trusted proxy. Computed once per request.
    public var clientIP: IPAddress? {
        if let cached = storage[ClientIPKey.self] { return cached }
        let peer = remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        let resolved = application.smf.clientIPResolver.clientIP(
            peer: peer, forwardedFor: headers[.xForwardedFor])
        storage[ClientIPKey.self] = .some(resolved)
        return resolved
    }
}
