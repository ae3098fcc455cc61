/// Why a document is being validated; it decides how strict credential
/// checks are.
public enum ValidationPurpose: Sendable, Hashable {
    /// Saving a draft: a required credential that is absent or null is a
    /// warning (`credential-missing`); everything else is as for deploy.
    case save
    /// Deploying: a missing required credential is an error.
    case deploy
}

/// The outcome of `FlowValidator.validate`.
public struct FlowValidation: Sendable {
    /// The document, when its shape was sound enough to build one (every
    /// node and edge well-formed); present even when settings or the graph
    /// have errors. Nil for a broken shape.
    public let document: FlowDocument?
    /// Every problem found, sorted by pointer (indices numerically), then
    /// code. Capped at `FlowLimits.maxProblems` (then a `too-many-problems`
    /// entry is added).
    public let problems: [FlowProblem]

    public init(document: FlowDocument?, problems: [FlowProblem]) {
        self.document = document
        self.problems = problems
    }

    public var errors: [FlowProblem] { problems.filter { $0.severity == .error } }
    public var warnings: [FlowProblem] { problems.filter { $0.severity == .warning } }
    /// No errors (warnings allowed).
    public var isValid: Bool { !problems.contains { $0.severity == .error } }
}
