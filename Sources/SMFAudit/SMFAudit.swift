import SMFCore

/// `smflow audit`, the executable production checklist: read a deployment's
/// files, probe it live (`--url`), query its database (`--database-url`) and
/// the host (`--host`), report every checklist key.
///
/// Flow: `AuditRequest` (paths) → `AuditContext.load` (parsed files) →
/// `Auditor.audit` (the registered `AuditCheck`s, folded per key) →
/// `AuditReport` → a `ReportFormat` renders it. The library never prints.
public enum SMFAudit {
    /// Runs the whole audit for a request. `only` must hold checklist keys.
    public static func run(_ request: AuditRequest, only: Set<String>? = nil, registry: CheckRegistry = .standard) throws(AuditInputError) -> AuditReport {
        if let only {
            let unknown = only.subtracting(Checklist.keys).sorted()
            if !unknown.isEmpty { throw AuditInputError("--only: unknown key(s) \(unknown.joined(separator: ", ")); see docs/AUDIT.md for the keys") }
        }
        let context = try AuditContext.load(request)
        return Auditor(registry: registry).audit(context, only: only)
    }
}
