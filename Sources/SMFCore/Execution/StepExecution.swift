import Foundation
import Synchronization

/// What one node's step came to, handed from its child task to the
/// coordinator.
struct StepResult: Sendable {
    var index: Int
    var status: StepRecord.Status
    /// Converted inputs (raw ones when conversion failed), for the summary.
    var inputs: [String: [PortValue]]
    var outputs: [String: PortValue] = [:]
    var webhook: WebhookResponse?
    var attempts: Int
    var startedAt: Date
    var finishedAt: Date
    var failure: Failure?
}

/// One node's step: input conversion, then a built-in evaluation or runner
/// attempts with timeout, backoff and `retryAfter` per `StepPolicy`.
struct StepExecution: Sendable {
    let node: PlannedNode
    let inputs: [String: [PortValue]]
    let message: JSONValue
    let execution: ExecutionContext
    let policy: StepPolicy
    let startedAt: Date

    func run(_ runner: some ExternalNodeRunner) async -> StepResult {
        let converted: [String: [PortValue]]
        do {
            converted = try convertedInputs()
        } catch {
            return finish(.failed, inputs: inputs, attempts: 0, failure: Failure(message: error.description, retryable: false))
        }
        if BuiltinNodes.handles(node.type) {
            do {
                // Converted only to check them; built-ins read the values as
                // produced (templates' `{{json…}}` sees a message's members).
                let output = try BuiltinNodes.run(node, inputs: inputs, message: message)
                return finish(.succeeded, inputs: converted, attempts: 1, outputs: output.outputs, webhook: output.webhookResponse)
            } catch {
                return finish(.failed, inputs: converted, attempts: 1, failure: Failure(message: error.description, retryable: false))
            }
        }
        return await runExternal(runner, inputs: converted)
    }

    private func convertedInputs() throws(PortValueError) -> [String: [PortValue]] {
        var result: [String: [PortValue]] = [:]
        for (port, values) in inputs {
            guard let spec = node.type.input(named: port) else { continue }
            var list: [PortValue] = []
            for value in values { list.append(try value.feeding(spec.type)) }
            result[port] = list
        }
        return result
    }

    private func finish(
        _ status: StepRecord.Status, inputs: [String: [PortValue]], attempts: Int, outputs: [String: PortValue] = [:],
        webhook: WebhookResponse? = nil, failure: Failure? = nil
    ) -> StepResult {
        StepResult(
            index: node.index, status: status, inputs: inputs, outputs: outputs, webhook: webhook, attempts: attempts,
            startedAt: startedAt, finishedAt: policy.now(), failure: failure)
    }

    // MARK: - Runner attempts

    private func runExternal(_ runner: some ExternalNodeRunner, inputs: [String: [PortValue]]) async -> StepResult {
        let isAction = node.type.category == .action
        let limit = policy.attempts(for: node.type.category)
        let timeout = policy.timeout(for: node)
        var attempt = 0
        while true {
            attempt += 1
            let request = NodeRequest(
                nodeID: node.id, type: node.type, settings: node.settings, inputs: inputs, sources: self.inputs, message: message,
                executionID: execution.executionID, executionAttempt: execution.attempt, attempt: attempt)
            let wait: Duration
            switch await Self.attempt(request, runner: runner, timeout: timeout, timer: policy.timer) {
            case .finished(let result):
                if let problem = checkOutputs(result.outputs) {
                    return finish(.failed, inputs: inputs, attempts: attempt, failure: Failure(message: problem, retryable: false))
                }
                return finish(.succeeded, inputs: inputs, attempts: attempt, outputs: result.outputs)
            case .timedOut:
                let message = "timed out after \(timeout.components.seconds) s"
                // An action that timed out may have acted: never again.
                guard !isAction else {
                    return finish(.timedOut, inputs: inputs, attempts: attempt, failure: Failure(message: message, retryable: false))
                }
                guard attempt < limit else {
                    return finish(.timedOut, inputs: inputs, attempts: attempt, failure: Failure(message: message, retryable: true))
                }
                wait = policy.backoff(after: attempt)
            case .failed(let failure):
                guard failure.retryable else { return finish(.failed, inputs: inputs, attempts: attempt, failure: failure) }
                if let retryAfter = failure.retryAfter {
                    // The remote side refused and said when to come back.
                    guard retryAfter <= policy.maxRetryAfter, attempt < policy.maxAttempts else {
                        return finish(.failed, inputs: inputs, attempts: attempt, failure: failure)
                    }
                    wait = retryAfter
                } else {
                    guard attempt < limit else { return finish(.failed, inputs: inputs, attempts: attempt, failure: failure) }
                    wait = policy.backoff(after: attempt)
                }
            }
            do {
                try await policy.sleep(wait)
            } catch {
                return finish(.failed, inputs: inputs, attempts: attempt, failure: Failure(message: "cancelled", retryable: true))
            }
        }
    }

    /// Nil when every output names a port of the node with its type.
    private func checkOutputs(_ outputs: [String: PortValue]) -> String? {
        let ports = node.type.outputs(for: node.settings)
        for (port, value) in outputs.sorted(by: { $0.key < $1.key }) {
            guard let spec = ports.first(where: { $0.name == port }) else {
                return "the runner returned the unknown output \(Quote.user(port))"
            }
            guard spec.type == value.portType else {
                return "the runner returned a \(value.portType.rawValue) value for the \(spec.type.rawValue) output \(Quote.user(port))"
            }
        }
        return nil
    }

    enum AttemptOutcome: Sendable {
        case finished(NodeResult)
        case failed(Failure)
        case timedOut
    }

    /// One runner call raced against the timer. Both run as unstructured
    /// tasks so a runner that ignores cancellation cannot hold the step
    /// past its timeout; the loser is cancelled.
    static func attempt(
        _ request: NodeRequest, runner: some ExternalNodeRunner, timeout: Duration,
        timer: @escaping @Sendable (Duration) async throws -> Void
    ) async -> AttemptOutcome {
        let race = AttemptRace()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                race.start(continuation)
                race.add(
                    Task {
                        do {
                            race.finish(.finished(try await runner.run(request)))
                        } catch {
                            race.finish(.failed(classify(error)))
                        }
                    })
                race.add(
                    Task {
                        do {
                            try await timer(timeout)
                            race.finish(.timedOut)
                        } catch {
                            // Cancelled: the runner finished first.
                        }
                    })
            }
        } onCancel: {
            race.finish(.failed(Failure(message: "cancelled", retryable: true)))
        }
    }

    static func classify(_ error: any Error) -> Failure {
        if let error = error as? any NodeRunError {
            return Failure(message: error.description, retryable: error.isRetryable, retryAfter: error.retryAfter)
        }
        if error is CancellationError { return Failure(message: "cancelled", retryable: true) }
        return Failure(message: String(describing: error), retryable: false)
    }
}

/// The first of runner and timer to finish resumes the continuation; the
/// other task is cancelled.
final class AttemptRace: Sendable {
    private struct State {
        var continuation: CheckedContinuation<StepExecution.AttemptOutcome, Never>?
        var finished = false
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<StepExecution.AttemptOutcome, Never>) {
        let early = state.withLock { state -> Bool in
            state.continuation = continuation
            return state.finished
        }
        // Cancelled before starting.
        if early { finishPending(.failed(Failure(message: "cancelled", retryable: true))) }
    }

    func add(_ task: Task<Void, Never>) {
        let finished = state.withLock { state -> Bool in
            if !state.finished { state.tasks.append(task) }
            return state.finished
        }
        if finished { task.cancel() }
    }

    func finish(_ outcome: StepExecution.AttemptOutcome) {
        let taken = state.withLock { state -> (CheckedContinuation<StepExecution.AttemptOutcome, Never>?, [Task<Void, Never>])? in
            guard !state.finished else { return nil }
            state.finished = true
            let tasks = state.tasks
            state.tasks = []
            let continuation = state.continuation
            state.continuation = nil
            return (continuation, tasks)
        }
        guard let (continuation, tasks) = taken else { return }
        continuation?.resume(returning: outcome)
        for task in tasks { task.cancel() }
    }

    /// Resumes a continuation that arrived after `finish` (cancellation
    /// before start).
    private func finishPending(_ outcome: StepExecution.AttemptOutcome) {
        let continuation = state.withLock { state in
            let continuation = state.continuation
            state.continuation = nil
            return continuation
        }
        continuation?.resume(returning: outcome)
    }
}
