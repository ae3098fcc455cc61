/// A Markdown report (for a pull request comment or a ticket): one table per
/// checklist section.
public enum MarkdownReportRenderer {
    public static func render(_ report: AuditReport) -> String {
        var lines = ["# smflow audit", "", TextReportRenderer.summaryLine(report), ""]
        for group in ChecklistSections.grouped(report.results) {
            lines += ["## " + ChecklistSections.title(group.section), "", "| Key | Status | Severity | Evidence | Remediation |", "|---|---|---|---|---|"]
            for result in group.results {
                let evidence = result.evidence.map { ($0.location.map { "`\($0)` " } ?? "") + $0.detail }.joined(separator: "<br>")
                lines.append("| `\(result.key)` | **\(result.status.rawValue)** | \(result.severity.rawValue) | \(cell(evidence)) | \(cell(result.status == .pass ? "" : result.remediation)) |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
