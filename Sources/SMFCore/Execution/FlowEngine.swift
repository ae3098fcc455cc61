import Foundation

/// Which execution a run belongs to (passed through to the runner).
public struct ExecutionContext: Sendable, Hashable {
    public var executionID: String
    /// 1 for the first run, more after the queue retried the execution.
    public var attempt: Int

    public init(executionID: String, attempt: Int = 1) {
        self.executionID = executionID
        self.attempt = attempt
    }
}

/// Runs a planned flow for one trigger message.
///
/// **When a node runs.** Every edge is pending, delivered (with a value),
/// skipped (a branch not taken) or failed (its source failed or was skipped
/// because of a failure). A node is decided when none of its incoming edges
/// is pending; then, in this order:
/// 1. the trigger always runs (its output is the trigger message);
/// 2. a non-trigger node with no incoming edge is skipped (validation only
///    warns about unreachable nodes);
/// 3. any failed incoming edge: skipped, and its outgoing edges fail too, so
///    everything downstream of a failure is skipped, even behind a fan-in;
/// 4. any connected input port with no delivered value (all its edges
///    skipped): skipped, and its outgoing edges are skipped;
/// 5. otherwise it runs. A `multiple: true` port receives every delivered
///    value in plan order; edges that were skipped contribute nothing
///    (partial fan-in: a template fed by two router branches renders with
///    the one that was taken).
///
/// **Branches.** Routers emit on the taken port only; the edges of the
/// other ports are skipped. A runner may also leave ports out.
///
/// **Failures.** A failed or timed-out node fails the execution; its
/// dependants are skipped (rule 3) while independent branches still run to
/// completion, so one run does all the work it safely can and a resumed
/// run repeats as little as possible.
///
/// **Concurrency.** Ready nodes start in plan order, up to
/// `StepPolicy.maxConcurrentNodes` at a time, in a task group; records come
/// out in plan order whatever the timing. The observer is called from one
/// place, one event at a time.
///
/// **Resume.** A node found in `completed` (status succeeded) is not run:
/// its recorded outputs and record are reused when the node is reached and
/// would run. Routers' checkpoints hold only the taken port, so a resumed
/// run takes the same branches.
public struct FlowEngine: Sendable {
    public var redactor: Redactor
    public var summaryLimit: Int

    public init(redactor: Redactor = Redactor(secrets: []), summaryLimit: Int = StepSummary.defaultLimit) {
        self.redactor = redactor
        self.summaryLimit = summaryLimit
    }

    public func run(
        plan: ExecutionPlan, trigger: JSONValue, execution: ExecutionContext, runner: some ExternalNodeRunner,
        policy: StepPolicy = StepPolicy(), observer: ExecutionObserver = .none, completed: [String: CompletedStep] = [:]
    ) async -> ExecutionOutcome {
        var state = RunState(plan: plan)
        // What the trigger node outputs is "the message" for every template.
        let trigger = BuiltinNodes.triggerMessage(plan.trigger, message: trigger)
        await withTaskGroup(of: StepResult.self) { group in
            var running = 0
            while true {
                var progressed = true
                while progressed, state.abort == nil {
                    progressed = false
                    for node in plan.nodes where !state.decided[node.index] {
                        guard state.abort == nil else { break }
                        switch state.decide(node) {
                        case .wait:
                            continue
                        case .skip(let reason, let upstreamFailed):
                            let record = StepRecord(nodeID: node.id, type: node.type.id, status: .skipped, error: reason)
                            state.settle(node, record: record, outputs: nil, edgesFail: upstreamFailed)
                            await emit(.finished(record, checkpoint: nil), observer: observer, state: &state)
                            progressed = true
                        case .run(let inputs):
                            if let done = completed[node.id], done.record.status == .succeeded {
                                state.settle(node, record: done.record, outputs: done.outputs, webhook: done.webhookResponse)
                                progressed = true
                                continue
                            }
                            guard running < policy.maxConcurrentNodes else { continue }
                            state.decided[node.index] = true
                            let startedAt = policy.now()
                            do {
                                try await observer.handle(.started(nodeID: node.id, type: node.type.id, category: node.type.category, at: startedAt))
                            } catch {
                                // Without the checkpoint the node must not run
                                // (an action's effect would go unrecorded).
                                let record = StepRecord(
                                    nodeID: node.id, type: node.type.id, status: .failed, startedAt: startedAt,
                                    finishedAt: policy.now(), error: "could not record progress before starting")
                                state.settle(node, record: record, outputs: nil, edgesFail: true)
                                state.failures[node.index] = Failure(message: record.error ?? "", retryable: true, retryAfter: nil)
                                state.abort = "could not record progress"
                                break
                            }
                            let step = StepExecution(
                                node: node, inputs: inputs, message: trigger, execution: execution, policy: policy,
                                startedAt: startedAt)
                            group.addTask { await step.run(runner) }
                            running += 1
                            progressed = true
                        }
                    }
                }
                if running == 0 { break }
                guard let result = await group.next() else { break }
                running -= 1
                let node = plan.nodes[result.index]
                let record = makeRecord(node, result)
                let succeeded = result.status == .succeeded
                state.settle(node, record: record, outputs: succeeded ? result.outputs : nil, webhook: result.webhook, edgesFail: !succeeded)
                if let failure = result.failure { state.failures[node.index] = failure }
                let checkpoint = succeeded ? CompletedStep(record: record, outputs: result.outputs, webhookResponse: result.webhook) : nil
                await emit(.finished(record, checkpoint: checkpoint), observer: observer, state: &state)
            }
        }
        return state.outcome(plan: plan, redactor: redactor, limit: summaryLimit)
    }

    /// Delivers an event; a throwing observer aborts the run (no new node
    /// starts). After an abort, events are still attempted so that finished
    /// effects get checkpointed if the store recovered.
    private func emit(_ event: StepEvent, observer: ExecutionObserver, state: inout RunState) async {
        do {
            try await observer.handle(event)
        } catch {
            if state.abort == nil { state.abort = "could not record progress" }
        }
    }

    /// The record of a step that ran, with redacted, truncated summaries.
    private func makeRecord(_ node: PlannedNode, _ result: StepResult) -> StepRecord {
        var inputMembers: [String: JSONValue] = [:]
        for (port, values) in result.inputs {
            let multiple = node.type.input(named: port)?.multiple ?? false
            inputMembers[port] = multiple ? .array(values.map(\.jsonValue)) : (values.first?.jsonValue ?? .null)
        }
        var output: JSONValue?
        if let webhook = result.webhook {
            output = ["status": .integer(Int64(webhook.status)), "content_type": .string(webhook.contentType), "body": .string(webhook.body)]
        } else if result.status == .succeeded {
            output = .object(result.outputs.mapValues(\.jsonValue))
        }
        return StepRecord(
            nodeID: node.id, type: node.type.id, status: result.status, startedAt: result.startedAt,
            finishedAt: result.finishedAt, attempts: result.attempts,
            inputSummary: node.type.category == .trigger ? nil : StepSummary.json(.object(inputMembers), redactor: redactor, limit: summaryLimit),
            outputSummary: output.map { StepSummary.json($0, redactor: redactor, limit: summaryLimit) },
            error: result.failure.map { StepSummary.text($0.message, redactor: redactor, limit: summaryLimit) })
    }
}

/// Why a step failed, and whether trying again may help.
struct Failure: Sendable {
    var message: String
    var retryable: Bool
    var retryAfter: Duration?
}

/// The coordinator's bookkeeping (touched only by the coordinating task).
struct RunState {
    enum EdgeState {
        case pending, delivered(PortValue), skipped, failed
    }

    enum Decision {
        case wait
        case skip(String, upstreamFailed: Bool)
        case run([String: [PortValue]])
    }

    var edges: [EdgeState]
    var decided: [Bool]
    var records: [StepRecord?]
    var webhooks: [Int: WebhookResponse] = [:]
    var failures: [Int: Failure] = [:]
    /// Set when the run stops starting nodes.
    var abort: String?

    init(plan: ExecutionPlan) {
        edges = Array(repeating: .pending, count: plan.edges.count)
        decided = Array(repeating: false, count: plan.nodes.count)
        records = Array(repeating: nil, count: plan.nodes.count)
    }

    func decide(_ node: PlannedNode) -> Decision {
        if node.type.category == .trigger { return .run([:]) }
        if node.incoming.isEmpty { return .skip("no edge leads into this node", upstreamFailed: false) }
        var inputs: [String: [PortValue]] = [:]
        var emptyPort: String?
        var upstreamFailed = false
        for port in node.incoming.keys.sorted() {
            var values: [PortValue] = []
            for edge in node.incoming[port] ?? [] {
                switch edges[edge] {
                case .pending: return .wait
                case .failed: upstreamFailed = true
                case .skipped: break
                case .delivered(let value): values.append(value)
                }
            }
            if values.isEmpty {
                if emptyPort == nil { emptyPort = port }
            } else {
                inputs[port] = values
            }
        }
        if upstreamFailed { return .skip("an upstream node failed", upstreamFailed: true) }
        if let emptyPort { return .skip("no value reached the input \(emptyPort) (branch not taken)", upstreamFailed: false) }
        return .run(inputs)
    }

    /// Records a node's end and resolves its outgoing edges: delivered for
    /// the ports in `outputs`, skipped for the rest, failed for all when
    /// `edgesFail`.
    mutating func settle(
        _ node: PlannedNode, record: StepRecord, outputs: [String: PortValue]?, webhook: WebhookResponse? = nil, edgesFail: Bool = false
    ) {
        decided[node.index] = true
        records[node.index] = record
        if let webhook { webhooks[node.index] = webhook }
        for (port, indices) in node.outgoing {
            for edge in indices {
                if edgesFail {
                    edges[edge] = .failed
                } else if let value = outputs?[port] {
                    edges[edge] = .delivered(value)
                } else {
                    edges[edge] = .skipped
                }
            }
        }
    }

    func outcome(plan: ExecutionPlan, redactor: Redactor, limit: Int) -> ExecutionOutcome {
        let steps = plan.nodes.map { node in
            records[node.index]
                ?? StepRecord(nodeID: node.id, type: node.type.id, status: .skipped, error: "not started: \(abort ?? "the run ended")")
        }
        let failed = plan.nodes.filter { failures[$0.index] != nil || steps[$0.index].status == .failed || steps[$0.index].status == .timedOut }
        let webhook = plan.nodes.lazy.compactMap { webhooks[$0.index] }.first
        guard !failed.isEmpty || abort != nil else {
            return ExecutionOutcome(status: .succeeded, steps: steps, webhookResponse: webhook)
        }
        let known = failed.compactMap { failures[$0.index] }
        let retryable = known.count == failed.count && known.allSatisfy(\.retryable)
        let retryAfter = known.compactMap(\.retryAfter).max()
        let error: String
        if let first = failed.first {
            let message = failures[first.index]?.message ?? steps[first.index].error ?? "failed"
            error = StepSummary.text("node \(first.id): \(message)", redactor: redactor, limit: limit)
        } else {
            error = abort ?? "aborted"
        }
        return ExecutionOutcome(
            status: .failed, steps: steps, webhookResponse: webhook, isRetryable: retryable || (failed.isEmpty && abort != nil),
            retryAfter: retryable ? retryAfter : nil, error: error)
    }
}
