/// SARIF 2.1.0 for code-scanning UIs: one rule per checklist key, one result
/// per key with SARIF's `kind` (fail, pass, review for manual,
/// notApplicable); failures and warnings also get one result per finding so
/// that each file:line is annotated.
public enum SARIFRenderer {
    public static func render(_ report: AuditReport) -> String {
        value(report).serialized() + "\n"
    }

    public static func value(_ report: AuditReport) -> JSONValue {
        let rules: [JSONValue] = report.results.map { result in
            .object([
                ("id", .string(result.key)),
                ("name", .string(result.key)),
                ("shortDescription", .object([("text", .string(result.title))])),
                ("properties", .object([("section", .string(result.section))])),
            ])
        }
        var results: [JSONValue] = []
        for (index, result) in report.results.enumerated() {
            let problems = result.findings.filter { $0.status == .fail || $0.status == .warn }
            if problems.isEmpty {
                results.append(sarifResult(ruleIndex: index, key: result.key, status: result.status, severity: result.severity,
                                           message: result.evidence.map(\.detail).joined(separator: "; ") + (result.status == .manual ? " — " + result.remediation : ""),
                                           evidence: result.evidence.first))
            } else {
                for finding in problems {
                    results.append(sarifResult(ruleIndex: index, key: result.key, status: finding.status, severity: finding.severity,
                                               message: finding.evidence.detail + (finding.remediation.map { " Fix: " + $0 } ?? ""), evidence: finding.evidence))
                }
            }
        }
        return .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("smflow audit")),
                    ("fullName", .string("smflow audit: the production security checklist (docs/AUDIT.md)")),
                    ("rules", .array(rules)),
                ]))])),
                ("results", .array(results)),
            ])])),
        ])
    }

    private static func sarifResult(ruleIndex: Int, key: String, status: AuditStatus, severity: AuditSeverity, message: String, evidence: Evidence?) -> JSONValue {
        let kind: String
        let level: String
        switch status {
        case .fail: kind = "fail"; level = severity >= .high ? "error" : "warning"
        case .warn: kind = "fail"; level = severity >= .high ? "warning" : "note"
        case .pass: kind = "pass"; level = "none"
        case .manual: kind = "review"; level = "none"
        case .notApplicable: kind = "notApplicable"; level = "none"
        }
        var pairs: [(String, JSONValue)] = [
            ("ruleId", .string(key)),
            ("ruleIndex", .number(ruleIndex)),
            ("kind", .string(kind)),
            ("level", .string(level)),
            ("message", .object([("text", .string(message.isEmpty ? key : message))])),
        ]
        if let file = evidence?.file {
            var physical: [(String, JSONValue)] = [("artifactLocation", .object([("uri", .string(file.hasPrefix("/") ? "file://" + file : file))]))]
            if let line = evidence?.line { physical.append(("region", .object([("startLine", .number(max(1, line)))]))) }
            pairs.append(("locations", .array([.object([("physicalLocation", .object(physical))])])))
        }
        pairs.append(("properties", .object([("severity", .string(severity.rawValue)), ("status", .string(status.rawValue))])))
        return .object(pairs)
    }
}
