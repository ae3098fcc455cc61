/// The JSON report (schema: docs/audit-report.schema.json):
/// `{"version":1,"summary":{…},"results":[{key,status,severity,title,evidence,remediation,findings}]}`.
public enum JSONReportRenderer {
    public static let version = 1

    public static func render(_ report: AuditReport) -> String {
        value(report).serialized() + "\n"
    }

    public static func value(_ report: AuditReport) -> JSONValue {
        let summary = report.summary
        return .object([
            ("version", .number(version)),
            ("summary", .object(AuditStatus.reportOrder.map { ($0.rawValue, .number(summary[$0] ?? 0)) })),
            ("results", .array(report.results.map(result))),
        ])
    }

    static func result(_ result: CheckResult) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("key", .string(result.key)),
            ("status", .string(result.status.rawValue)),
            ("severity", .string(result.severity.rawValue)),
            ("title", .string(result.title)),
            ("evidence", .array(result.evidence.map(evidence))),
            ("remediation", .string(result.remediation)),
        ]
        // Detailed findings only when there is more than the evidence already says.
        if result.findings.count > 1 {
            pairs.append(("findings", .array(result.findings.map { finding in
                .object([
                    ("status", .string(finding.status.rawValue)),
                    ("severity", .string(finding.severity.rawValue)),
                    ("file", .optional(finding.evidence.file)),
                    ("line", .optional(finding.evidence.line)),
                    ("detail", .string(finding.evidence.detail)),
                    ("remediation", .optional(finding.remediation)),
                ])
            })))
        }
        return .object(pairs)
    }

    static func evidence(_ evidence: Evidence) -> JSONValue {
        .object([("file", .optional(evidence.file)), ("line", .optional(evidence.line)), ("detail", .string(evidence.detail))])
    }
}

extension AuditStatus {
    /// The order of the summary: pass, fail, warn, manual, n/a.
    public static let reportOrder: [AuditStatus] = [.pass, .fail, .warn, .manual, .notApplicable]
}
