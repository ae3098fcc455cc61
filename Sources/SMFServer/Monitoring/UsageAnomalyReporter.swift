import SMFSecurity
import Vapor

/// Feeds every answer into the `UsageAnomalyDetector` and writes what it
/// finds as `usage.anomaly` security events (checklist key
/// `monitor.unusual-usage`; thresholds in docs/CONFIGURATION.md).
///
/// Each answer counts for the client IP and, when the request was
/// authenticated, for the user or API key too, so a stolen key used from
/// many addresses still shows up against its own baseline.
struct UsageAnomalyReporter: Sendable {
    let detector: UsageAnomalyDetector
    let events: SecurityEventRecorder
    let clock: AppClock
    let background: BackgroundWrites

    /// Called by the access log once the answer is known.
    func observe(_ request: Request, status: Int) {
        guard detector.thresholds.enabled else { return }
        let now = clock.milliseconds()
        let ip = Self.ipSubject(request)
        var found = detector.observe(subject: ip, status: status, now: now)
        if let identity = Self.identitySubject(request) {
            found += detector.observe(subject: identity, status: status, now: now)
        }
        // A rejected bearer token or session cookie: many distinct ones from
        // one address is stuffing of stolen tokens.
        if status == 401, let credential = Self.presentedCredential(request) {
            found += detector.observeFailedCredential(subject: ip, account: Self.fingerprint(credential), now: now)
        }
        write(found, request: request)
    }

    /// Called by sign-in when the password was wrong or the account unknown.
    /// `account` is the throttle key (already a hash of the address).
    func failedSignIn(_ request: Request, account: String) {
        guard detector.thresholds.enabled else { return }
        let found = detector.observeFailedCredential(
            subject: Self.ipSubject(request), account: Self.fingerprint(account), now: clock.milliseconds())
        write(found, request: request)
    }

    private func write(_ anomalies: [UsageAnomaly], request: Request) {
        guard !anomalies.isEmpty else { return }
        let events = self.events
        let started = background.run {
            for anomaly in anomalies {
                var details = [
                    "kind": anomaly.kind.rawValue,
                    "subject": anomaly.subject,
                    "observed": String(anomaly.observed),
                    "threshold": Self.decimal(anomaly.threshold),
                    "window_seconds": String(anomaly.windowSeconds),
                ]
                if let baseline = anomaly.baseline { details["baseline"] = Self.decimal(baseline) }
                await events.record(.usageAnomaly, .detected, on: request, details: details)
            }
        }
        if !started {
            request.logger.warning("usage.anomaly events dropped: shutting down", metadata: ["count": .stringConvertible(anomalies.count)])
        }
    }

    static func ipSubject(_ request: Request) -> String {
        "ip:" + (request.clientAddress)
    }

    static func identitySubject(_ request: Request) -> String? {
        guard let caller = request.optionalCaller else { return nil }
        switch caller.credential {
        case .apiKey(let id, _, _): return "api-key:" + id.uuidString.lowercased()
        case .session: return caller.userID.map { "user:" + $0.uuidString.lowercased() }
        }
    }

    static func presentedCredential(_ request: Request) -> String? {
        if let bearer = request.headers.bearerAuthorization?.token, !bearer.isEmpty { return bearer }
        if let cookie = request.cookies[SessionCookies.session]?.string, !cookie.isEmpty { return cookie }
        return nil
    }

    /// In-process identity of a credential or account: only compared for
    /// distinctness within one window, never stored or logged.
    static func fingerprint(_ text: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(text)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    static func decimal(_ value: Double) -> String {
        String((value * 100).rounded() / 100)
    }
}
