/// One group of checks over one kind of input. A check declares the keys it
/// can decide and the input it reads; the `Auditor` runs it only when that
/// input was given. Live, database and host checks are added the same way:
/// a new type in its own file, listed in `CheckRegistry.standard`.
public protocol AuditCheck: Sendable {
    /// A short name for docs and debugging ("nginx", "compose").
    var name: String { get }
    /// The input the check reads; it runs only when it was given.
    var input: AuditInput { get }
    /// Every key the check may report a finding for.
    var keys: Set<String> { get }
    /// Findings about its keys. Keys it has nothing to say about (for the
    /// given files) get no finding and fall back to `n/a`.
    func run(in context: AuditContext) -> [Finding]
}
