/// One observation a check makes about one checklist key. A key's result is
/// derived from all findings made about it (see `ResultAggregator`).
public struct Finding: Sendable, Equatable {
    public let key: String
    public let status: AuditStatus
    public let severity: AuditSeverity
    public let evidence: Evidence
    /// What to do about it; nil for passes.
    public let remediation: String?

    public init(key: String, status: AuditStatus, severity: AuditSeverity, evidence: Evidence, remediation: String? = nil) {
        self.key = key
        self.status = status
        self.severity = severity
        self.evidence = evidence
        self.remediation = remediation
    }

    /// A passing observation (severity info).
    public static func pass(_ key: String, _ evidence: Evidence) -> Finding {
        Finding(key: key, status: .pass, severity: .info, evidence: evidence)
    }

    public static func fail(_ key: String, _ severity: AuditSeverity, _ evidence: Evidence, fix: String) -> Finding {
        Finding(key: key, status: .fail, severity: severity, evidence: evidence, remediation: fix)
    }

    public static func warn(_ key: String, _ severity: AuditSeverity, _ evidence: Evidence, fix: String) -> Finding {
        Finding(key: key, status: .warn, severity: severity, evidence: evidence, remediation: fix)
    }

    public static func notApplicable(_ key: String, _ detail: String) -> Finding {
        Finding(key: key, status: .notApplicable, severity: .info, evidence: Evidence(detail: detail))
    }

    /// The same observation under several keys (e.g. a published database
    /// port is both `db.not-exposed` and `mistake.exposed-internal-services`).
    public static func each(_ keys: [String], _ make: (String) -> Finding) -> [Finding] {
        keys.map(make)
    }
}
