import Foundation

/// What happened to one node in one execution: the record the server
/// stores and shows. Summaries and errors are already redacted and cut to
/// `StepSummary.defaultLimit` bytes.
public struct StepRecord: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case succeeded, failed, skipped
        case timedOut = "timed_out"
        /// Started, not finished: only in the live view the server keeps
        /// while an execution runs; the engine never returns it.
        case running
    }

    public var nodeID: String
    public var type: String
    public var status: Status
    /// Nil for a skipped step (it never started).
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Runner calls made (0 for skipped steps).
    public var attempts: Int
    /// Compact JSON `{"port": value}` (`[values]` for a `multiple` port).
    public var inputSummary: String?
    /// Compact JSON `{"port": value}` of the ports that emitted; for
    /// `webhook.respond`, the response.
    public var outputSummary: String?
    /// Why it failed or was skipped.
    public var error: String?

    public init(
        nodeID: String, type: String, status: Status, startedAt: Date? = nil, finishedAt: Date? = nil, attempts: Int = 0,
        inputSummary: String? = nil, outputSummary: String? = nil, error: String? = nil
    ) {
        self.nodeID = nodeID
        self.type = type
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
        self.inputSummary = inputSummary
        self.outputSummary = outputSummary
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", type, status
        case startedAt = "started_at", finishedAt = "finished_at", attempts
        case inputSummary = "input_summary", outputSummary = "output_summary", error
    }
}

/// A step that succeeded in an earlier attempt of the same execution: what
/// the server checkpoints (from `StepEvent.finished`) and hands back to
/// `FlowEngine.run` after a crash. The engine reuses its outputs and never
/// calls the runner for that node again, which is how side effects are not
/// repeated.
///
/// `outputs` are the raw values (not redacted: downstream nodes need them
/// exactly). Store them like the trigger payload, never in API responses.
public struct CompletedStep: Sendable, Hashable, Codable {
    public var record: StepRecord
    /// Output port → value, only for the ports that emitted (a router's
    /// taken branch), so a resumed run takes the same branch.
    public var outputs: [String: PortValue]
    public var webhookResponse: WebhookResponse?

    public init(record: StepRecord, outputs: [String: PortValue], webhookResponse: WebhookResponse? = nil) {
        self.record = record
        self.outputs = outputs
        self.webhookResponse = webhookResponse
    }

    public var nodeID: String { record.nodeID }

    enum CodingKeys: String, CodingKey {
        case record, outputs
        case webhookResponse = "webhook_response"
    }
}

/// Progress, delivered to the observer one at a time (never concurrently),
/// in the order it happens.
public enum StepEvent: Sendable, Hashable {
    /// The node is about to run. For actions the engine awaits the observer
    /// before calling the runner: the server checkpoints "effect in flight"
    /// here, and if that throws the action does not run.
    case started(nodeID: String, type: String, category: NodeCategory, at: Date)
    /// The node finished or was skipped; `checkpoint` is set when it
    /// succeeded (store it to resume without repeating it). Not sent for
    /// steps reused from `completed`.
    case finished(StepRecord, checkpoint: CompletedStep?)
}

/// Receives `StepEvent`s. Throwing aborts the execution (retryable): no
/// further node starts, a started action is not run.
public struct ExecutionObserver: Sendable {
    let handle: @Sendable (StepEvent) async throws -> Void

    public init(_ handle: @escaping @Sendable (StepEvent) async throws -> Void) {
        self.handle = handle
    }

    public static let none = ExecutionObserver { _ in }
}

/// The HTTP answer a `webhook.respond` node set.
public struct WebhookResponse: Sendable, Hashable, Codable {
    public var status: Int
    public var body: String
    public var contentType: String

    public init(status: Int, body: String, contentType: String) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    enum CodingKeys: String, CodingKey {
        case status, body
        case contentType = "content_type"
    }
}

/// The result of one `FlowEngine.run`.
public struct ExecutionOutcome: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        case succeeded, failed
    }

    public var status: Status
    /// One record per node, in plan order.
    public var steps: [StepRecord]
    /// From the first `webhook.respond` (in plan order) that ran.
    public var webhookResponse: WebhookResponse?
    /// Whether running the execution again may succeed: every failure was
    /// retryable (a processor's timeout or transient error, an action error
    /// the runner declared safe to repeat, an observer failure).
    public var isRetryable: Bool
    /// The longest wait a runner asked for (a 429's `retry_after` beyond the
    /// policy's cap): when the queue should try again at the earliest.
    public var retryAfter: Duration?
    /// The first failure, redacted ("node reply: …").
    public var error: String?

    public init(
        status: Status, steps: [StepRecord], webhookResponse: WebhookResponse? = nil, isRetryable: Bool = false,
        retryAfter: Duration? = nil, error: String? = nil
    ) {
        self.status = status
        self.steps = steps
        self.webhookResponse = webhookResponse
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
        self.error = error
    }

    /// The record of node `id`.
    public func step(_ id: String) -> StepRecord? {
        steps.first { $0.nodeID == id }
    }
}
