import Foundation
import Synchronization
import Testing
import SMFCore

/// The engine's scheduling: order, values along edges, concurrency,
/// skipping, fan-in, failures, observer and resume.
@Suite struct ExecutionEngineTests {
    typealias X = ExecFixtures

    /// manual → llm → send
    func linear() throws -> ExecutionPlan {
        try X.plan(
            [X.node("start", "manual"), X.llmNode("answer"), X.sendNode("reply", text: "Re: {{input}}")],
            [X.edge("start", "message", "answer"), X.edge("answer", "output", "reply")])
    }

    @Test func linear_flow_runs_in_order_and_passes_values() async throws {
        let runner = FakeRunner()
        let outcome = await X.run(try linear(), runner: runner)
        #expect(outcome.status == .succeeded)
        #expect(outcome.steps.map(\.nodeID) == ["start", "answer", "reply"])
        #expect(outcome.steps.allSatisfy { $0.status == .succeeded })
        #expect(runner.requests.all.map(\.nodeID) == ["answer", "reply"])
        // The message became text for llm.chat; its output fed the action.
        let reply = try #require(runner.requests.all.last)
        #expect(reply.inputs["input"] == [.text("llm(Hello there)")])
        #expect(reply.rendered("text") == "Re: llm(Hello there)")
        #expect(reply.executionID == "exec-1" && reply.attempt == 1 && reply.message == X.message)
        #expect(outcome.step("reply")?.outputSummary == #"{"sent":{"text":"Re: llm(Hello there)"}}"#)
        #expect(outcome.step("answer")?.inputSummary == #"{"input":"Hello there"}"#)
    }

    @Test func independent_branches_run_concurrently() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"), X.llmNode("left"), X.llmNode("right"), X.templateNode("join", "{{input}}")],
            [X.edge("start", "message", "left"), X.edge("start", "message", "right"),
             X.edge("left", "output", "join"), X.edge("right", "output", "join")])
        let barrier = Barrier(count: 2)
        // Each call waits for the other: run one after the other, the first
        // would wait until its (safety-net) timeout and the test fails.
        let runner = FakeRunner { request, _ in
            await barrier.arrive()
            return NodeResult(outputs: ["output": .text(request.nodeID)])
        }
        let outcome = await X.run(plan, runner: runner, policy: X.instantPolicy(timer: .safetyNet))
        #expect(outcome.status == .succeeded)
        #expect(await barrier.maxArrived == 2)
        #expect(outcome.steps.map(\.nodeID) == ["start", "left", "right", "join"])
        #expect(outcome.step("join")?.outputSummary == #"{"output":"left\nright"}"#)

        // With one node at a time, the same flow cannot meet at the barrier.
        let serial = await X.run(
            plan, runner: FakeRunner { request, _ in NodeResult(outputs: ["output": .text(request.nodeID)]) },
            policy: X.instantPolicy(maxConcurrentNodes: 1))
        #expect(serial.status == .succeeded)
    }

    @Test func untaken_branch_is_skipped_and_skip_propagates() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"),
             X.node("route", "route.keyword", ["branches": [["port": "help", "keywords": ["help"]]]]),
             X.sendNode("help_reply"), X.llmNode("other_llm"), X.sendNode("other_reply")],
            [X.edge("start", "message", "route"), X.edge("route", "help", "help_reply"),
             X.edge("route", "otherwise", "other_llm"), X.edge("other_llm", "output", "other_reply")])
        let runner = FakeRunner()
        let outcome = await X.run(plan, message: ["text": "I need HELP"], runner: runner)
        #expect(outcome.status == .succeeded)
        #expect(outcome.status("help_reply") == .succeeded)
        #expect(outcome.status("other_llm") == .skipped)
        #expect(outcome.status("other_reply") == .skipped)
        #expect(runner.calls("other_llm") == 0 && runner.calls("other_reply") == 0)
        #expect(outcome.step("route")?.outputSummary?.hasPrefix(#"{"help":"#) == true)
        #expect(outcome.step("other_llm")?.error?.contains("branch not taken") == true)
    }

    /// Fan-in rule: a `multiple` input gathers the values that arrived;
    /// skipped edges add nothing; all skipped → skipped.
    @Test func fan_in_gathers_taken_branches_and_skips_when_none_arrive() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"),
             X.node("route", "route.condition", ["field": "message.text", "operator": "equals", "value": "yes"]),
             X.templateNode("a", "A"), X.templateNode("b", "B"), X.templateNode("join", "[{{input}}]"),
             X.node("gate", "route.condition", ["field": "message.text", "operator": "equals", "value": "never"]),
             X.templateNode("c", "C"), X.templateNode("d", "D"), X.templateNode("none", "{{input}}")],
            [X.edge("start", "message", "route"), X.edge("route", "true", "a"), X.edge("route", "false", "b"),
             X.edge("a", "output", "join"), X.edge("b", "output", "join"),
             X.edge("start", "message", "gate"), X.edge("gate", "true", "c"), X.edge("gate", "true", "d"),
             X.edge("c", "output", "none"), X.edge("d", "output", "none")])
        let outcome = await X.run(plan, message: ["text": "yes"])
        #expect(outcome.status == .succeeded)
        #expect(outcome.status("b") == .skipped)
        #expect(outcome.status("join") == .succeeded)
        #expect(outcome.step("join")?.inputSummary == #"{"input":["A"]}"#)
        #expect(outcome.step("join")?.outputSummary == #"{"output":"[A]"}"#)
        #expect(outcome.status("c") == .skipped && outcome.status("d") == .skipped)
        #expect(outcome.status("none") == .skipped)
    }

    @Test func failure_skips_dependants_and_fails_the_execution_but_independent_branches_run() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"), X.llmNode("broken"), X.templateNode("after", "{{input}}"), X.templateNode("ok", "fine"),
             X.templateNode("join", "{{input}}"), X.sendNode("side")],
            [X.edge("start", "message", "broken"), X.edge("broken", "output", "after"),
             X.edge("start", "message", "ok"), X.edge("after", "output", "join"), X.edge("ok", "output", "join"),
             X.edge("start", "message", "side")])
        let runner = FakeRunner { request, call in
            if request.nodeID == "broken" { throw NodeFailure.permanent("model not found") }
            return try await FakeRunner.echo(request, call)
        }
        let outcome = await X.run(plan, runner: runner)
        #expect(outcome.status == .failed)
        #expect(!outcome.isRetryable)
        #expect(outcome.error == "node broken: model not found")
        #expect(outcome.status("broken") == .failed && outcome.step("broken")?.error == "model not found")
        #expect(outcome.status("after") == .skipped)
        #expect(outcome.status("ok") == .succeeded)
        // Behind a fan-in, a failure still skips (no partial result from a failure).
        #expect(outcome.status("join") == .skipped)
        #expect(outcome.step("join")?.error == "an upstream node failed")
        #expect(outcome.status("side") == .succeeded && runner.calls("side") == 1)
    }

    @Test func node_without_incoming_edge_is_skipped() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"), X.sendNode("reply", text: "hi"), X.templateNode("orphan", "x")],
            [X.edge("start", "message", "reply")])
        let outcome = await X.run(plan)
        #expect(outcome.status == .succeeded)
        #expect(outcome.status("orphan") == .skipped)
    }

    @Test func webhook_respond_sets_the_response() async throws {
        let plan = try X.plan(
            [X.node("hook", "webhook.generic"), X.templateNode("t", "hi {{message.from.username}}"),
             X.node("respond", "webhook.respond", ["status": 201, "body": #"{"answer":"{{input}}"}"#])],
            [X.edge("hook", "message", "t"), X.edge("t", "output", "respond")])
        let outcome = await X.run(plan)
        #expect(outcome.webhookResponse == WebhookResponse(status: 201, body: #"{"answer":"hi ada"}"#, contentType: "application/json"))
        #expect(outcome.step("respond")?.outputSummary == #"{"body":"{\"answer\":\"hi ada\"}","content_type":"application/json","status":201}"#)

        // Defaults: 200, the input as body.
        let bare = try X.plan(
            [X.node("hook", "webhook.generic"), X.node("respond", "webhook.respond", ["content_type": "text/plain"])],
            [X.edge("hook", "message", "respond")])
        #expect(await X.run(bare).webhookResponse == WebhookResponse(status: 200, body: "Hello there", contentType: "text/plain"))
    }

    @Test func manual_trigger_without_text_uses_sample_text() async throws {
        let plan = try X.plan(
            [X.node("start", "manual", ["sample_text": "sample"]), X.templateNode("t", "{{message.text}}")],
            [X.edge("start", "message", "t")])
        #expect(await X.run(plan, message: [:]).step("t")?.outputSummary == #"{"output":"sample"}"#)
        #expect(await X.run(plan, message: ["text": "given"]).step("t")?.outputSummary == #"{"output":"given"}"#)
    }

    @Test func message_without_media_fails_transcription_without_calling_the_runner() async throws {
        let plan = try X.plan(
            [X.node("start", "telegram.update", ["credential": .string(X.bot)]),
             X.node("hear", "transcribe.audio", ["credential": .string(X.llm), "model": "whisper-1"])],
            [X.edge("start", "message", "hear", "audio")])
        let runner = FakeRunner()
        let outcome = await X.run(plan, runner: runner)
        #expect(outcome.status("hear") == .failed && runner.calls("hear") == 0)
        let voice: JSONValue = ["text": "", "media": ["file_id": "F1", "mime_type": "audio/ogg"]]
        #expect(await X.run(plan, message: voice, runner: runner).status == .succeeded)
        #expect(runner.requests.all.last?.inputs["audio"] == [.media(MediaReference(fileID: "F1", mimeType: "audio/ogg"))])
    }

    @Test func runner_output_of_the_wrong_type_fails_the_step() async throws {
        let runner = FakeRunner { _, _ in NodeResult(outputs: ["output": .json(["a": 1])]) }
        let outcome = await X.run(try linear(), runner: runner)
        #expect(outcome.status("answer") == .failed)
        #expect(outcome.status("reply") == .skipped)
    }

    // MARK: - Observer

    @Test func action_started_event_is_awaited_before_the_runner_is_called() async throws {
        let runner = FakeRunner()
        let log = Recorder<String>()
        let observer = ExecutionObserver { event in
            switch event {
            case .started(let id, _, _, _): log.append("started \(id) calls=\(runner.calls(id))")
            case .finished(let record, let checkpoint): log.append("finished \(record.nodeID) checkpoint=\(checkpoint != nil)")
            }
        }
        let outcome = await X.run(try linear(), runner: runner, observer: observer)
        #expect(outcome.status == .succeeded)
        #expect(log.all == [
            "started start calls=0", "finished start checkpoint=true",
            "started answer calls=0", "finished answer checkpoint=true",
            "started reply calls=0", "finished reply checkpoint=true",
        ])
    }

    @Test func failing_checkpoint_before_an_action_prevents_it() async throws {
        struct StoreDown: Error {}
        let runner = FakeRunner()
        let observer = ExecutionObserver { event in
            if case .started("reply", _, _, _) = event { throw StoreDown() }
        }
        let outcome = await X.run(try linear(), runner: runner, observer: observer)
        #expect(runner.calls("reply") == 0)
        #expect(outcome.status == .failed && outcome.isRetryable)
        #expect(outcome.status("reply") == .failed)
    }

    // MARK: - Resume

    @Test func resume_reuses_completed_steps_without_calling_the_runner() async throws {
        let plan = try linear()
        let checkpoints = Recorder<CompletedStep>()
        let observer = ExecutionObserver { event in
            if case .finished(_, let checkpoint?) = event { checkpoints.append(checkpoint) }
        }
        let first = FakeRunner()
        _ = await X.run(plan, runner: first, observer: observer)
        // Every step was checkpointed; a crash before the execution was
        // marked done means the queue runs it again with these.
        let completed = Dictionary(uniqueKeysWithValues: checkpoints.all.map { ($0.nodeID, $0) })
        #expect(completed.count == 3)

        let second = FakeRunner()
        let resumed = await X.run(plan, runner: second, completed: completed.filter { $0.key != "start" })
        #expect(resumed.status == .succeeded)
        #expect(second.totalCalls == 0)
        #expect(resumed.step("reply") == completed["reply"]?.record)

        // Only the llm done: the action runs once, with the recorded llm output.
        let third = FakeRunner { request, call in
            if request.nodeID == "answer" { Issue.record("answer ran again") }
            return try await FakeRunner.echo(request, call)
        }
        let partial = await X.run(plan, runner: third, completed: completed.filter { $0.key == "answer" })
        #expect(partial.status == .succeeded)
        #expect(third.calls("answer") == 0 && third.calls("reply") == 1)
        #expect(third.requests.all.first?.inputs["input"] == [.text("llm(Hello there)")])
    }

    @Test func resume_takes_the_recorded_branch() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"),
             X.node("route", "route.keyword", ["branches": [["port": "yes", "keywords": ["yes"]]]]),
             X.sendNode("yes_reply"), X.sendNode("no_reply")],
            [X.edge("start", "message", "route"), X.edge("route", "yes", "yes_reply"), X.edge("route", "otherwise", "no_reply")])
        let record = StepRecord(nodeID: "route", type: "route.keyword", status: .succeeded, attempts: 1)
        let completed = ["route": CompletedStep(record: record, outputs: ["yes": .message(["text": "yes"])])]
        // The text now says "no", but the recorded decision stands.
        let runner = FakeRunner()
        let outcome = await X.run(plan, message: ["text": "no"], runner: runner, completed: completed)
        #expect(runner.calls("yes_reply") == 1 && runner.calls("no_reply") == 0)
        #expect(outcome.status("no_reply") == .skipped)
    }

    @Test func checkpoints_round_trip_through_json() throws {
        let step = CompletedStep(
            record: StepRecord(nodeID: "n", type: "llm.chat", status: .succeeded, startedAt: Date(timeIntervalSince1970: 1), attempts: 2),
            outputs: ["output": .text("t"), "m": .message(["a": 1]), "j": .json([1, "x"]),
                      "media": .media(MediaReference(url: "https://x/y", mimeType: "audio/ogg", byteSize: 9))],
            webhookResponse: WebhookResponse(status: 200, body: "b", contentType: "text/plain"))
        let data = try JSONEncoder().encode(step)
        #expect(try JSONDecoder().decode(CompletedStep.self, from: data) == step)
    }
}
