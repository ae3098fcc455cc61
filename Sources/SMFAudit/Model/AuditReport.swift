/// What `smflow audit` found: one result per checklist key, in checklist order.
public struct AuditReport: Sendable {
    public let results: [CheckResult]

    public init(results: [CheckResult]) {
        self.results = results
    }

    /// How many results have each status (every status present, zero or not).
    public var summary: [AuditStatus: Int] {
        var counts = Dictionary(uniqueKeysWithValues: AuditStatus.allCases.map { ($0, 0) })
        for result in results { counts[result.status, default: 0] += 1 }
        return counts
    }

    /// Whether any result is at or above `level` (`.fail`, or `.warn` for warn-and-fail).
    public func hasResults(atOrAbove level: AuditStatus) -> Bool {
        results.contains { result in
            switch level {
            case .warn: result.status == .fail || result.status == .warn
            default: result.status == .fail
            }
        }
    }
}
