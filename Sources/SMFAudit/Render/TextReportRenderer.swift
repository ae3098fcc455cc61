/// The terminal report: grouped by checklist section, one line per key with
/// its evidence and fix below, a summary line at the end. Colours only when
/// the caller says so (a TTY without NO_COLOR).
public struct TextReportRenderer: Sendable {
    public let colors: Bool

    public init(colors: Bool) {
        self.colors = colors
    }

    public func render(_ report: AuditReport) -> String {
        var lines: [String] = []
        for group in ChecklistSections.grouped(report.results) {
            lines.append(paint(ChecklistSections.title(group.section), "1"))
            for result in group.results {
                lines.append("  " + badge(result.status) + "  " + result.key + "  " + paint(result.title, "2"))
                // A pass needs little proof on screen; the JSON report keeps all of it.
                let shown = result.status == .pass ? Array(result.evidence.prefix(3)) : result.evidence
                for evidence in shown {
                    lines.append("          " + (evidence.location.map { $0 + "  " } ?? "") + evidence.detail)
                }
                if shown.count < result.evidence.count {
                    lines.append("          " + paint("(\(result.evidence.count - shown.count) more)", "2"))
                }
                if result.status != .pass {
                    lines.append("          " + paint("→ " + result.remediation, "2"))
                }
            }
            lines.append("")
        }
        lines.append(Self.summaryLine(report))
        return lines.joined(separator: "\n") + "\n"
    }

    public static func summaryLine(_ report: AuditReport) -> String {
        let summary = report.summary
        return "\(report.results.count) checks: " + AuditStatus.reportOrder.map { "\(summary[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
    }

    private func badge(_ status: AuditStatus) -> String {
        let label = status.rawValue.uppercased().padding(toLength: 6, withPad: " ", startingAt: 0)
        switch status {
        case .pass: return paint(label, "32")
        case .fail: return paint(label, "1;31")
        case .warn: return paint(label, "33")
        case .manual: return paint(label, "36")
        case .notApplicable: return paint(label, "2")
        }
    }

    private func paint(_ text: String, _ code: String) -> String {
        colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
