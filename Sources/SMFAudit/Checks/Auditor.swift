import SMFCore

/// Runs the registered checks over the given inputs and folds their
/// findings into exactly one result per checklist key.
public struct Auditor: Sendable {
    public let registry: CheckRegistry

    public init(registry: CheckRegistry = .standard) {
        self.registry = registry
    }

    /// - Parameter only: report just these keys (all when nil).
    public func audit(_ context: AuditContext, only: Set<String>? = nil) -> AuditReport {
        let provided = context.request.providedInputs
        var context = context
        context.only = only
        var findings: [String: [Finding]] = [:]
        for check in registry.checks where provided.contains(check.input) {
            if let only, only.isDisjoint(with: check.keys) { continue }
            for finding in check.run(in: context) { findings[finding.key, default: []].append(finding) }
        }
        let results = Checklist.items
            .filter { only?.contains($0.key) ?? true }
            .map { item in
                ResultAggregator.result(for: item, findings: findings[item.key] ?? [],
                                        missingInputs: registry.inputs(for: item.key).filter { !provided.contains($0) })
            }
        return AuditReport(results: results)
    }
}
