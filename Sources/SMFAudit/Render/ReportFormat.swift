/// The output formats of `smflow audit --format`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, sarif, markdown

    public func render(_ report: AuditReport, colors: Bool) -> String {
        switch self {
        case .text: TextReportRenderer(colors: colors).render(report)
        case .json: JSONReportRenderer.render(report)
        case .sarif: SARIFRenderer.render(report)
        case .markdown: MarkdownReportRenderer.render(report)
        }
    }
}
