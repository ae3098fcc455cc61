/// Hard bounds on a flow document. They keep validation (and storing and
/// running a flow) cheap whatever a client sends; the server's body limit
/// for flow routes should be `maxDocumentBytes`.
public enum FlowLimits {
    public static let maxNodes = 200
    public static let maxEdges = 400
    /// 256 KiB, as received.
    public static let maxDocumentBytes = 262_144
    /// 16 KiB of UTF-8, for every string and every object key anywhere.
    public static let maxStringBytes = 16_384
    /// Containers nested in containers; the document object is depth 1.
    public static let maxDepth = 32
    /// Node ids: `^[A-Za-z0-9_-]{1,64}$`.
    public static let maxNodeIDLength = 64
    /// Problems returned at most (after sorting); one more, `too-many-problems`,
    /// says that the list was cut.
    public static let maxProblems = 1000
    /// User input quoted in a problem's detail, in characters.
    public static let maxQuotedCharacters = 64
}
