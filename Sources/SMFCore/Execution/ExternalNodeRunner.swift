/// Runs the node types that talk to the outside world (`llm.chat`,
/// `http.request`, `transcribe.audio` and the platform actions): the server
/// implements it over its HTTP clients and credential vault; tests use
/// fakes. The engine owns timeouts and retries around it.
public protocol ExternalNodeRunner: Sendable {
    /// Runs one attempt. Throw a `NodeRunError` to say whether trying again
    /// is safe; any other error counts as not retryable.
    func run(_ request: NodeRequest) async throws -> NodeResult
}

/// Everything a runner needs for one attempt.
public struct NodeRequest: Sendable {
    public let nodeID: String
    public let type: NodeType
    /// As written in the document (templates not rendered; credential ids).
    public let settings: [String: JSONValue]
    /// Input port → delivered values, converted to the port's type
    /// (`llm.chat` gets `.text`, `transcribe.audio` gets `.media`).
    public let inputs: [String: [PortValue]]
    /// The same values as their source nodes produced them (a message stays
    /// a message, JSON stays JSON): what templates' `{{json…}}` reads.
    public let sources: [String: [PortValue]]
    /// The normalised trigger message.
    public let message: JSONValue
    public let executionID: String
    /// The execution's attempt (1 for the first run, more after the queue
    /// retried it).
    public let executionAttempt: Int
    /// This node's attempt within this run, from 1.
    public let attempt: Int

    public init(
        nodeID: String, type: NodeType, settings: [String: JSONValue], inputs: [String: [PortValue]],
        sources: [String: [PortValue]]? = nil, message: JSONValue, executionID: String, executionAttempt: Int, attempt: Int
    ) {
        self.nodeID = nodeID
        self.type = type
        self.settings = settings
        self.inputs = inputs
        self.sources = sources ?? inputs
        self.message = message
        self.executionID = executionID
        self.executionAttempt = executionAttempt
        self.attempt = attempt
    }

    /// The renderer for this node's template settings: the source values
    /// in port-name order, then plan order.
    public var templates: TemplateRenderer {
        TemplateRenderer(inputs: sources.keys.sorted().flatMap { sources[$0] ?? [] }, message: message)
    }

    /// The string setting `key` rendered as a template (nil when absent).
    /// Pass `escape` for values placed in URLs or headers.
    public func rendered(_ key: String, escape: (String) -> String = { $0 }) -> String? {
        settings[key]?.stringValue.map { templates.render($0, escape: escape) }
    }

    /// A stable key for one effect of this node in this execution (the same
    /// across the queue's retries), for platforms that de-duplicate.
    public var idempotencyKey: String { executionID + ":" + nodeID }
}

/// What a node produced: output port → value. A port left out does not
/// emit (its edges count as not taken).
public struct NodeResult: Sendable, Hashable {
    public var outputs: [String: PortValue]

    public init(outputs: [String: PortValue]) {
        self.outputs = outputs
    }
}

/// An error a runner throws to steer retries. The description lands in
/// the step record (after redaction): keep it short and free of bodies.
public protocol NodeRunError: Error, Sendable, CustomStringConvertible {
    /// Whether another attempt is safe and may succeed. For actions, say
    /// true only when the platform certainly did not act (connection
    /// refused, HTTP 429 or 5xx answered before any effect).
    var isRetryable: Bool { get }
    /// How long the remote side asked to wait (Telegram 429 `retry_after`).
    var retryAfter: Duration? { get }
}

/// A ready-made `NodeRunError`.
public struct NodeFailure: NodeRunError, Hashable {
    public var message: String
    public var isRetryable: Bool
    public var retryAfter: Duration?

    public init(_ message: String, retryable: Bool, retryAfter: Duration? = nil) {
        self.message = message
        self.isRetryable = retryable
        self.retryAfter = retryAfter
    }

    public static func permanent(_ message: String) -> NodeFailure { NodeFailure(message, retryable: false) }
    public static func retryable(_ message: String, after: Duration? = nil) -> NodeFailure {
        NodeFailure(message, retryable: true, retryAfter: after)
    }

    public var description: String { message }
}
