import ArgumentParser
import SMFAudit

/// `smflow audit`: placeholder until the audit lands (issue 6).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a deployment against the production security checklist."
    )

    func run() async throws {
        throw ValidationError("smflow audit is not built yet")
    }
}
