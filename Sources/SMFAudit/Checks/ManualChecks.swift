/// The keys no program can decide: the report says what a person must do.
struct ManualChecks: AuditCheck {
    let name = "manual"
    let input = AuditInput.person

    static let tasks: [String: String] = [
        "tasks.weekly-review": "Every week, read the access log and the security events (GET /api/v1/workspaces/{id}/security-events: failed sign-ins, rate-limit and usage.anomaly events) and the resource metrics; note what you looked at.",
        "tasks.monthly-rotation": "Every month, rebuild and redeploy the images on current base images, scan them (e.g. trivy image), rotate API keys and SMF_* keys, and check the certificate's expiry date.",
        "tasks.quarterly-audit": "Every quarter, run this audit with every input (--deployment, --repo, --url, --database-url, --host), have a penetration test done, review the security policies and update dependencies (swift package update).",
    ]

    var keys: Set<String> { Set(Self.tasks.keys) }

    func run(in context: AuditContext) -> [Finding] {
        Self.tasks.sorted { $0.key < $1.key }.map { key, task in
            Finding(key: key, status: .manual, severity: .low, evidence: Evidence(detail: "a person's task"), remediation: task)
        }
    }
}
