/// One thing wrong with a flow document, located by a JSON pointer.
public struct FlowProblem: Sendable, Hashable, Codable {
    /// An RFC 6901 JSON pointer into the document as received, e.g.
    /// `/nodes/3/settings/temperature`; `""` is the whole document. A
    /// missing member is pointed at where it should be.
    public let pointer: String
    /// A stable slug (`unknown-node-type`); clients may switch on it. The
    /// list is in `FlowProblem.Code`.
    public let code: String
    /// Human text. Quotes at most 64 characters of the user's input.
    public let detail: String
    public let severity: Severity

    public enum Severity: String, Sendable, Hashable, Codable {
        /// The flow cannot run (or, when saving, is refused by the server's choice).
        case error
        /// Worth fixing, does not make the document invalid.
        case warning
    }

    public init(pointer: String, code: String, detail: String, severity: Severity) {
        self.pointer = pointer
        self.code = code
        self.detail = detail
        self.severity = severity
    }
}

extension FlowProblem: Comparable {
    /// By pointer (segment by segment, array indices numerically, so
    /// `/nodes/2` comes before `/nodes/10`), then code, then the rest.
    public static func < (lhs: FlowProblem, rhs: FlowProblem) -> Bool {
        if lhs.pointer != rhs.pointer { return JSONPointer.precedes(lhs.pointer, rhs.pointer) }
        if lhs.code != rhs.code { return lhs.code < rhs.code }
        if lhs.severity != rhs.severity { return lhs.severity == .error }
        return lhs.detail < rhs.detail
    }
}
