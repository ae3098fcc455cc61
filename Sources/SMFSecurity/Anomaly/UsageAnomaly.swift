/// Something one client did that its history or a fixed threshold says is
/// not normal use (checklist key `monitor.unusual-usage`).
public struct UsageAnomaly: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The request rate in the current window jumped far above the
        /// subject's own baseline (EWMA of earlier windows).
        case rateSpike = "rate-spike"
        /// Many 404s from one subject: probing for paths (scanning).
        case notFoundScan = "not-found-scan"
        /// Many 403s: probing for resources the caller may not touch.
        case forbiddenProbe = "forbidden-probe"
        /// Failed sign-ins (or rejected credentials) for many different
        /// accounts from one address: credential stuffing.
        case credentialStuffing = "credential-stuffing"
    }

    public let kind: Kind
    /// `ip:ADDRESS`, `user:UUID` or `api-key:UUID`.
    public let subject: String
    /// What was seen in the current window (requests, 404s, 403s or distinct accounts).
    public let observed: Int
    /// The threshold it crossed.
    public let threshold: Double
    /// The subject's baseline: requests per window for rate spikes, the
    /// share of such answers for 403/404 ratios; nil while there is none.
    public let baseline: Double?
    public let windowSeconds: Int

    public init(kind: Kind, subject: String, observed: Int, threshold: Double, baseline: Double?, windowSeconds: Int) {
        self.kind = kind
        self.subject = subject
        self.observed = observed
        self.threshold = threshold
        self.baseline = baseline
        self.windowSeconds = windowSeconds
    }
}
