import Foundation
import Testing
import SMFCore

/// Timeouts, retries, backoff and retryAfter, with a clock the test owns.
@Suite struct ExecutionPolicyTests {
    typealias X = ExecFixtures

    /// manual → llm (a processor) and manual → send (an action).
    func plan(llmSettings: [String: JSONValue] = [:]) throws -> ExecutionPlan {
        var llm: [String: JSONValue] = ["credential": .string(X.llm), "model": "m"]
        llm.merge(llmSettings) { _, new in new }
        return try X.plan(
            [X.node("start", "manual"), X.node("think", "llm.chat", llm), X.sendNode("send", text: "hi")],
            [X.edge("start", "message", "think"), X.edge("start", "message", "send")])
    }

    /// Hangs until cancelled (what a stuck HTTP call looks like).
    static func hang() async throws -> NodeResult {
        try await Task.sleep(for: .seconds(86_400))
        return NodeResult(outputs: [:])
    }

    @Test func processor_retries_with_exponential_backoff_then_succeeds() async throws {
        let sleeps = Recorder<Duration>()
        let runner = FakeRunner { request, call in
            if request.nodeID == "think", call < 3 { throw NodeFailure.retryable("503") }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(try plan(), runner: runner, policy: X.instantPolicy(sleeps: sleeps))
        #expect(outcome.status == .succeeded)
        #expect(runner.calls("think") == 3)
        #expect(outcome.step("think")?.attempts == 3)
        // 100 ms · 2^(n-1), times the jitter factor 0.5 + 0.5 · 0.5.
        #expect(sleeps.all == [.milliseconds(75), .milliseconds(150)])
    }

    @Test func processor_gives_up_after_max_attempts_retryable() async throws {
        let runner = FakeRunner { request, call in
            if request.nodeID == "think" { throw NodeFailure.retryable("503") }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(try plan(), runner: runner)
        #expect(runner.calls("think") == 3)
        #expect(outcome.status == .failed && outcome.isRetryable)
    }

    @Test func backoff_is_capped_and_jittered() {
        var policy = StepPolicy(baseDelay: .seconds(1), maxDelay: .seconds(5), random: { 0 })
        #expect(policy.backoff(after: 1) == .milliseconds(500))
        #expect(policy.backoff(after: 3) == .seconds(2))
        #expect(policy.backoff(after: 20) == .milliseconds(2500))
        policy.random = { 0.999 }
        #expect(policy.backoff(after: 20) < .seconds(5) && policy.backoff(after: 20) > .milliseconds(4990))
    }

    @Test func non_retryable_error_is_not_retried() async throws {
        let runner = FakeRunner { request, call in
            if request.nodeID == "think" { throw NodeFailure.permanent("401 bad key") }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(try plan(), runner: runner)
        #expect(runner.calls("think") == 1)
        #expect(outcome.status == .failed && !outcome.isRetryable)
        // Errors that are not NodeRunError count as permanent.
        struct Odd: Error {}
        let odd = FakeRunner { request, call in
            if request.nodeID == "think" { throw Odd() }
            return try await FakeRunner.echo(request, call)
        }
        let second = await X.run(try plan(), runner: odd)
        #expect(odd.calls("think") == 1 && !second.isRetryable)
    }

    @Test func actions_are_not_retried() async throws {
        let sleeps = Recorder<Duration>()
        let runner = FakeRunner { request, call in
            if request.nodeID == "send" { throw NodeFailure.retryable("connection refused") }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(try plan(), runner: runner, policy: X.instantPolicy(sleeps: sleeps))
        #expect(runner.calls("send") == 1)
        #expect(sleeps.all.isEmpty)
        // The runner said nothing happened: the queue may run it again.
        #expect(outcome.status == .failed && outcome.isRetryable)
    }

    @Test func timeout_fails_a_processor_after_retries() async throws {
        let timers = Recorder<Duration>()
        let runner = FakeRunner { request, call in
            if request.nodeID == "think" { return try await Self.hang() }
            return try await FakeRunner.echo(request, call)
        }
        // Timeouts fire at once, so the flow has only the hanging node.
        let processorOnly = try X.plan(
            [X.node("start", "manual"), X.node("think", "llm.chat", ["credential": .string(X.llm), "model": "m", "timeout_seconds": 7])],
            [X.edge("start", "message", "think")])
        let outcome = await X.run(processorOnly, runner: runner, policy: X.instantPolicy(timer: .immediate(timers)))
        #expect(outcome.status("think") == .timedOut)
        #expect(runner.calls("think") == 3)
        #expect(outcome.status == .failed && outcome.isRetryable)
        // The node's timeout_seconds is the timer's duration.
        #expect(timers.all == Array(repeating: .seconds(7), count: 3))
    }

    @Test func timeout_uses_the_default_without_a_setting() async throws {
        let timers = Recorder<Duration>()
        let runner = FakeRunner { _, _ in try await Self.hang() }
        let flow = try X.plan([X.node("start", "manual"), X.sendNode("send")], [X.edge("start", "message", "send")])
        var policy = X.instantPolicy(timer: .immediate(timers))
        policy.defaultTimeout = .seconds(12)
        let outcome = await X.run(flow, runner: runner, policy: policy)
        #expect(timers.all == [.seconds(12)])
        // A timed-out action may have acted: not retried, not retryable.
        #expect(outcome.status("send") == .timedOut)
        #expect(runner.calls("send") == 1)
        #expect(outcome.status == .failed && !outcome.isRetryable)
    }

    @Test func retry_after_within_the_cap_is_honoured_even_for_actions() async throws {
        let sleeps = Recorder<Duration>()
        let runner = FakeRunner { request, call in
            if request.nodeID == "send", call == 1 { throw NodeFailure.retryable("429", after: .seconds(3)) }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(try plan(), runner: runner, policy: X.instantPolicy(sleeps: sleeps))
        #expect(outcome.status == .succeeded)
        #expect(runner.calls("send") == 2)
        #expect(sleeps.all == [.seconds(3)])
    }

    @Test func retry_after_beyond_the_cap_fails_retryable_for_the_queue() async throws {
        let sleeps = Recorder<Duration>()
        let runner = FakeRunner { request, call in
            if request.nodeID == "send" { throw NodeFailure.retryable("429", after: .seconds(60)) }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(try plan(), runner: runner, policy: X.instantPolicy(sleeps: sleeps))
        #expect(runner.calls("send") == 1)
        #expect(sleeps.all.isEmpty)
        #expect(outcome.status == .failed && outcome.isRetryable)
        #expect(outcome.retryAfter == .seconds(60))
    }

    @Test func repeated_retry_after_stops_at_max_attempts() async throws {
        let runner = FakeRunner { request, call in
            if request.nodeID == "send" { throw NodeFailure.retryable("429", after: .seconds(1)) }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(try plan(), runner: runner)
        #expect(runner.calls("send") == 3)
        #expect(outcome.isRetryable && outcome.retryAfter == .seconds(1))
    }
}
