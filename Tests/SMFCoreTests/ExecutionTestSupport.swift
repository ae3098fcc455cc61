import Foundation
import Synchronization
import Testing
import SMFCore

/// Builders, a fake runner and an instant policy for the execution tests.
enum ExecFixtures {
    static let bot = FlowFixtures.telegramBot
    static let llm = FlowFixtures.llm

    static func node(_ id: String, _ type: String, _ settings: [String: JSONValue] = [:]) -> JSONValue {
        ["id": .string(id), "type": .string(type), "version": 1, "settings": .object(settings)]
    }

    static func edge(_ from: String, _ fromPort: String, _ to: String, _ toPort: String = "input") -> JSONValue {
        FlowFixtures.edge(from, fromPort, to, toPort)
    }

    static func llmNode(_ id: String) -> JSONValue {
        node(id, "llm.chat", ["credential": .string(llm), "model": "m"])
    }

    static func sendNode(_ id: String, text: String = "{{input}}") -> JSONValue {
        node(id, "telegram.send_message", ["credential": .string(bot), "text": .string(text)])
    }

    static func templateNode(_ id: String, _ template: String) -> JSONValue {
        node(id, "text.template", ["template": .string(template)])
    }

    /// Validates the document for deploy (so tests run only documents the
    /// server would accept) and plans it.
    static func plan(
        _ nodes: [JSONValue], _ edges: [JSONValue], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ExecutionPlan {
        let validation = FlowFixtures.validate(["nodes": .array(nodes), "edges": .array(edges)])
        #expect(validation.isValid, "\(validation.errors.map { "\($0.code)@\($0.pointer): \($0.detail)" })", sourceLocation: sourceLocation)
        let document = try #require(validation.document, sourceLocation: sourceLocation)
        return try ExecutionPlan(document: document)
    }

    static let message: JSONValue = [
        "platform": "telegram", "text": "Hello there", "chat": ["id": 42],
        "from": ["id": 7, "username": "ada", "tags": ["x", "y"]],
    ]

    static let context = ExecutionContext(executionID: "exec-1", attempt: 1)

    /// Runs with an instant policy by default.
    static func run(
        _ plan: ExecutionPlan, message: JSONValue = message, runner: FakeRunner = FakeRunner(),
        policy: StepPolicy = instantPolicy(), observer: ExecutionObserver = .none, completed: [String: CompletedStep] = [:],
        secrets: [String] = []
    ) async -> ExecutionOutcome {
        await FlowEngine(redactor: Redactor(secrets: secrets)).run(
            plan: plan, trigger: message, execution: context, runner: runner, policy: policy, observer: observer,
            completed: completed)
    }

    /// Backoff sleeps are recorded and return at once; timeouts never fire
    /// (the timer waits until the race cancels it); jitter fixed at 0.5.
    static func instantPolicy(sleeps: Recorder<Duration> = Recorder(), timer: Timer = .never, maxConcurrentNodes: Int = 4) -> StepPolicy {
        StepPolicy(
            baseDelay: .milliseconds(100), maxDelay: .seconds(10), maxRetryAfter: .seconds(5), maxConcurrentNodes: maxConcurrentNodes,
            sleep: { duration in sleeps.append(duration) },
            timer: timer.function,
            random: { 0.5 }, now: { Date(timeIntervalSince1970: 1_700_000_000) })
    }

    enum Timer {
        /// Never fires before the race cancels it (runner finished).
        case never
        /// Fires at once, recording the duration asked for.
        case immediate(Recorder<Duration>)
        /// A safety net for tests where a regression would otherwise hang.
        case safetyNet

        var function: @Sendable (Duration) async throws -> Void {
            switch self {
            case .never: return { _ in try await Task.sleep(for: .seconds(86_400)) }
            case .immediate(let recorder): return { duration in recorder.append(duration) }
            case .safetyNet: return { _ in try await Task.sleep(for: .seconds(10)) }
            }
        }
    }
}

/// A thread-safe list.
final class Recorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    init() {}
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
}

/// Counts calls per node and answers through `handler` (default: echo
/// the input, per node type).
final class FakeRunner: ExternalNodeRunner {
    typealias Handler = @Sendable (NodeRequest, _ call: Int) async throws -> NodeResult
    private let counts = Mutex<[String: Int]>([:])
    let requests = Recorder<NodeRequest>()
    let handler: Handler

    init(handler: @escaping Handler = FakeRunner.echo) {
        self.handler = handler
    }

    func run(_ request: NodeRequest) async throws -> NodeResult {
        let call = counts.withLock { counts -> Int in
            counts[request.nodeID, default: 0] += 1
            return counts[request.nodeID, default: 0]
        }
        requests.append(request)
        return try await handler(request, call)
    }

    func calls(_ nodeID: String) -> Int { counts.withLock { $0[nodeID, default: 0] } }
    var totalCalls: Int { counts.withLock { $0.values.reduce(0, +) } }

    static let echo: Handler = { request, _ in
        let input = request.inputs["input"]?.compactMap(\.textValue).joined(separator: "+") ?? ""
        switch request.type.id {
        case "llm.chat": return NodeResult(outputs: ["output": .text("llm(\(input))")])
        case "http.request": return NodeResult(outputs: ["response": .json(["echo": .string(input)])])
        case "transcribe.audio": return NodeResult(outputs: ["text": .text("transcript")])
        default: return NodeResult(outputs: ["sent": .json(["text": .string(request.rendered("text") ?? "")])])
        }
    }
}

/// Lets `count` callers through together; proves they were in flight at once.
actor Barrier {
    let count: Int
    private var arrived = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var maxArrived = 0

    init(count: Int) { self.count = count }

    func arrive() async {
        arrived += 1
        maxArrived = max(maxArrived, arrived)
        if arrived >= count {
            for waiter in waiters { waiter.resume() }
            waiters = []
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }
}

extension ExecutionOutcome {
    func status(_ id: String) -> StepRecord.Status? { step(id)?.status }
}
