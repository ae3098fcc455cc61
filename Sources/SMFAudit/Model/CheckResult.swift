/// The single result of one checklist key.
public struct CheckResult: Sendable, Equatable {
    public let key: String
    public let section: String
    public let status: AuditStatus
    public let severity: AuditSeverity
    /// The checklist's own words.
    public let title: String
    /// The evidence behind the status (the findings that decided it).
    public let evidence: [Evidence]
    public let remediation: String
    /// Every finding made about the key, including those that did not decide it.
    public let findings: [Finding]
}
