/// Checks a flow document against the node catalog, the limits and the
/// workspace's credentials, returning every problem at once.
///
/// The work is linear in the size of the document (plus one bounded regex
/// compile per regex setting), and it never traps: any `JSONValue` is a
/// valid input. When a count limit is broken (`document-too-large`,
/// `too-many-nodes`, `too-many-edges`), the shape is still checked but the
/// settings and graph checks are skipped, so the work stays bounded by the
/// limits.
public enum FlowValidator {
    /// Validates a document as received.
    ///
    /// - Parameters:
    ///   - value: the request body decoded as `JSONValue`.
    ///   - byteCount: the size of the body in bytes, as received.
    ///   - credentials: the workspace's credentials, lower-case UUID string →
    ///     kind (load only `credentialReferences(in:)`).
    ///   - purpose: `.save` tolerates missing credentials (warnings), `.deploy` does not.
    ///   - catalog: the node types (`.standard` in the product).
    public static func validate(
        _ value: JSONValue, byteCount: Int, credentials: [String: CredentialKind], purpose: ValidationPurpose,
        catalog: NodeCatalog = .standard
    ) -> FlowValidation {
        var run = ValidationRun(credentials: credentials, purpose: purpose, catalog: catalog)
        var overLimit = false
        if byteCount > FlowLimits.maxDocumentBytes {
            run.error("", FlowProblem.Code.documentTooLarge, "the document has \(byteCount) bytes; at most \(FlowLimits.maxDocumentBytes) are allowed")
            overLimit = true
        }
        run.checkStringsAndDepth(value)
        guard case .object(let top) = value else {
            run.error("", FlowProblem.Code.documentNotObject, "the document must be a JSON object with nodes and edges, not \(value.typeName)")
            return FlowValidation(document: nil, problems: run.finished())
        }
        var shape = run.checkShape(top)
        overLimit = overLimit || shape.overLimit
        if !overLimit {
            run.checkTypesAndSettings(&shape.nodes)
            run.checkGraph(nodes: shape.nodes, edges: shape.edges)
        }
        return FlowValidation(document: shape.document, problems: run.finished())
    }
}

/// The state of one validation: inputs and the problems found so far.
struct ValidationRun {
    let credentials: [String: CredentialKind]
    let purpose: ValidationPurpose
    let catalog: NodeCatalog
    private(set) var problems: [FlowProblem] = []

    init(credentials: [String: CredentialKind], purpose: ValidationPurpose, catalog: NodeCatalog) {
        self.credentials = credentials
        self.purpose = purpose
        self.catalog = catalog
    }

    mutating func error(_ pointer: String, _ code: String, _ detail: String) {
        problems.append(FlowProblem(pointer: pointer, code: code, detail: detail, severity: .error))
    }

    mutating func warning(_ pointer: String, _ code: String, _ detail: String) {
        problems.append(FlowProblem(pointer: pointer, code: code, detail: detail, severity: .warning))
    }

    /// Sorted, capped.
    func finished() -> [FlowProblem] {
        var sorted = problems.sorted()
        if sorted.count > FlowLimits.maxProblems {
            let total = sorted.count
            // The marker is as severe as the worst problem: cutting the list
            // must not change whether the document is valid.
            let severity: FlowProblem.Severity = problems.contains { $0.severity == .error } ? .error : .warning
            sorted.removeLast(total - FlowLimits.maxProblems)
            sorted.insert(
                FlowProblem(
                    pointer: "", code: FlowProblem.Code.tooManyProblems,
                    detail: "\(total) problems found; the first \(FlowLimits.maxProblems) are listed", severity: severity),
                at: 0)
        }
        return sorted
    }
}
