import SMFCore

/// Folds the findings about one key into its single result.
enum ResultAggregator {
    static func result(for item: ChecklistItem, findings: [Finding], missingInputs: [AuditInput]) -> CheckResult {
        let status = findings.map(\.status).max { $0.precedence < $1.precedence } ?? .notApplicable
        var deciding = findings.filter { $0.status == status }
        // A failing key shows its warnings too: both need fixing.
        if status == .fail { deciding += findings.filter { $0.status == .warn } }
        var evidence = deciding.map(\.evidence)
        if status == .notApplicable, !missingInputs.isEmpty {
            let flags = missingInputs.map(\.flag).joined(separator: " or ")
            evidence.append(Evidence(detail: "not checked: needs \(flags)"))
        }
        let severity = deciding.map(\.severity).max() ?? .info
        return CheckResult(
            key: item.key, section: item.section, status: status, severity: severity, title: item.seed,
            evidence: unique(evidence), remediation: remediation(status: status, deciding: deciding, missingInputs: missingInputs),
            findings: findings)
    }

    private static func remediation(status: AuditStatus, deciding: [Finding], missingInputs: [AuditInput]) -> String {
        let fixes = unique(deciding.sorted { $0.severity > $1.severity }.compactMap(\.remediation))
        switch status {
        case .pass:
            return "Nothing to do."
        case .notApplicable:
            var steps = fixes
            if !missingInputs.isEmpty { steps.append("Run again with \(missingInputs.map(\.flag).joined(separator: " or ")).") }
            return steps.isEmpty ? "See the evidence: the inputs given do not decide this key." : steps.joined(separator: " ")
        default:
            return fixes.isEmpty ? "See the evidence." : fixes.joined(separator: " ")
        }
    }

    private static func unique<T: Equatable>(_ items: [T]) -> [T] {
        var seen: [T] = []
        for item in items where !seen.contains(item) { seen.append(item) }
        return seen
    }
}
