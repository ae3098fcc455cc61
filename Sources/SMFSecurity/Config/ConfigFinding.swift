/// One problem with the configuration, tied to the variable that causes it.
public struct ConfigFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        /// The server refuses to start.
        case error
        /// Reported, the server starts.
        case warning
    }

    public let severity: Severity
    public let variable: String
    /// Stable rule id, e.g. `secret-key.too-short`.
    public let rule: String
    /// What is wrong and how to fix it; never the value itself.
    public let message: String

    public init(_ severity: Severity, variable: String, rule: String, message: String) {
        self.severity = severity
        self.variable = variable
        self.rule = rule
        self.message = message
    }

    init(_ severity: Severity, variable: String, _ problem: PolicyProblem) {
        self.init(severity, variable: variable, rule: problem.rule, message: problem.message)
    }

    /// One line, as printed by `config check` and at refused start-up.
    public var description: String { "\(severity.rawValue): \(message)" }
}

/// The exit status for a configuration error (`EX_CONFIG` from sysexits.h).
public let configErrorExitCode: Int32 = 78
