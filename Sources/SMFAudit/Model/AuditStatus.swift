/// The outcome of one checklist key (or of one finding under it).
public enum AuditStatus: String, Sendable, CaseIterable, Codable {
    case pass
    case fail
    case warn
    /// A person must do or verify it; the report says what.
    case manual
    /// The input that decides it was not given; the report names the flag.
    case notApplicable = "n/a"

    /// Which status wins when several findings speak for one key: a single
    /// failure must never be hidden by passes, and any automated verdict is
    /// more useful than "a person must look".
    var precedence: Int {
        switch self {
        case .fail: 4
        case .warn: 3
        case .pass: 2
        case .manual: 1
        case .notApplicable: 0
        }
    }
}

/// How bad a finding is; used for SARIF levels and to sort remediations.
public enum AuditSeverity: String, Sendable, CaseIterable, Codable, Comparable {
    case info, low, medium, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: AuditSeverity, rhs: AuditSeverity) -> Bool { lhs.rank < rhs.rank }
}
