import SMFCore

/// Every check the audit knows. To add one, write a type conforming to
/// `AuditCheck` in its own file, add it here, and take its keys out of
/// `NotYetBuiltCheck.pending` (`except:`).
public struct CheckRegistry: Sendable {
    public let checks: [any AuditCheck]

    public init(checks: [any AuditCheck]) {
        self.checks = checks
    }

    public static let standard = CheckRegistry(checks: [
        EnvChecks(),
        ComposeChecks(),
        DockerfileChecks(),
        NginxChecks(),
        KubernetesChecks(),
        RepoChecks(),
        ManualChecks(),
        LiveChecks(),
        DatabaseChecks(),
        HostChecks(),
    ] + NotYetBuiltCheck.pending)

    /// The inputs that can decide `key`, for the n/a message.
    public func inputs(for key: String) -> [AuditInput] {
        let inputs = Set(checks.filter { $0.keys.contains(key) }.map(\.input))
        return AuditInput.allCases.filter { inputs.contains($0) && $0 != .person }
    }
}

/// Stands in for the keys of an input that no check decides yet (the live
/// `monitor.db-errors`, `health.resource-usage`; the
/// database's `db.backups`): it declares them (from the checklist's
/// `surfaces`, minus what the built checks decide), so that giving the flag
/// says honestly that nothing was checked rather than faking a result.
public struct NotYetBuiltCheck: AuditCheck {
    public let input: AuditInput
    public let keys: Set<String>
    public var name: String { "\(input.rawValue) (not built yet)" }

    public static let pending: [NotYetBuiltCheck] = [
        // Live keys no probe decides yet: database errors and resource usage need the
        // deployment's metrics, which are (rightly) not public.
        NotYetBuiltCheck(input: .live, surfaces: ["live"], except: LiveChecks().keys),
        // The product's own database (`app`) is reached through --database-url as well.
        NotYetBuiltCheck(input: .database, surfaces: ["db", "app"], except: DatabaseChecks().keys),
    ]

    init(input: AuditInput, surfaces: Set<String>, except built: Set<String> = []) {
        self.input = input
        self.keys = Set(Checklist.items.filter { !surfaces.isDisjoint(with: $0.surfaces) }.map(\.key)).subtracting(built)
    }

    public func run(in context: AuditContext) -> [Finding] {
        keys.sorted().map { key in
            Finding(key: key, status: .notApplicable, severity: .info,
                    evidence: Evidence(detail: "\(input.flag) given, but no \(input.rawValue) check for this key is built yet: nothing was checked over this input"),
                    remediation: "Until these checks exist, verify by hand (docs/AUDIT.md lists what they will probe).")
        }
    }
}
