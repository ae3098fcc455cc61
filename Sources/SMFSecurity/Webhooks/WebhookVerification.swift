/// The outcome of checking an inbound webhook's authentication (a signature,
/// a shared secret token or the Meta verify handshake).
///
/// A refusal carries only a `WebhookRefusal` code: it is safe to log and to
/// count in metrics, and never holds the presented value, the expected value
/// or the secret. (Peers have echoed the expected signature in their 401
/// bodies; there is nothing here to echo.)
public enum WebhookVerification: Sendable, Equatable, CustomStringConvertible {
    case verified
    case refused(WebhookRefusal)

    public var isVerified: Bool { self == .verified }

    /// The refusal reason, nil when verified.
    public var refusal: WebhookRefusal? {
        if case .refused(let reason) = self { return reason }
        return nil
    }

    public var description: String {
        switch self {
        case .verified: "verified"
        case .refused(let reason): "refused(\(reason.rawValue))"
        }
    }
}

/// Why an inbound webhook was refused. The raw values are stable, snake_case,
/// and meant for log lines and metric labels. The HTTP answer should not
/// distinguish them (one 401/403 for all), so a caller probing an endpoint
/// learns nothing about which check failed.
public enum WebhookRefusal: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// No signature header / secret token / verify token was presented.
    case missingSignature = "missing_signature"
    /// Something was presented but does not have the required syntax
    /// (wrong prefix, wrong length, non-hex, duplicate fields, several headers).
    case malformedSignature = "malformed_signature"
    /// Well-formed, but it does not match.
    case badSignature = "bad_signature"
    /// A genuine signature whose timestamp is outside the tolerance window:
    /// a replay, or a sender with a badly wrong clock.
    case staleTimestamp = "stale_timestamp"
    /// The endpoint has no secret to check against. We fail closed instead of
    /// skipping the check, which is what several peers do.
    case noSecretConfigured = "no_secret_configured"
    /// Meta handshake: `hub.mode` is not `subscribe`.
    case unsupportedMode = "unsupported_mode"
    /// Meta handshake: `hub.challenge` is missing or not `[A-Za-z0-9_-]{1,128}`,
    /// so it is never reflected back (no reflected content from our domain).
    case malformedChallenge = "malformed_challenge"

    public var description: String { rawValue }
}
