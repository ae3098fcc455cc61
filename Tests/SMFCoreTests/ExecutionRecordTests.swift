import Foundation
import Testing
import SMFCore

/// Step records: 4 KiB summaries cut at character boundaries, secrets redacted.
@Suite struct ExecutionRecordTests {
    typealias X = ExecFixtures

    @Test func truncation_keeps_whole_characters_and_marks_the_cut() {
        #expect(StepSummary.truncate("short") == "short")
        let exact = String(repeating: "a", count: 4096)
        #expect(StepSummary.truncate(exact) == exact)
        // 4-byte characters: the cut lands between them, never inside one.
        let emoji = String(repeating: "😀", count: 2000)
        let cut = StepSummary.truncate(emoji)
        #expect(cut.utf8.count <= 4096)
        #expect(cut.hasSuffix(StepSummary.marker))
        let kept = cut.dropLast(StepSummary.marker.count)
        #expect(kept.allSatisfy { $0 == "😀" })
        #expect(kept.count == (4096 - StepSummary.marker.utf8.count) / 4)
        // Grapheme clusters (flag = 2 scalars, 8 bytes) are not split either.
        let flags = "x" + String(repeating: "🇩🇪", count: 1000)
        let flagCut = StepSummary.truncate(flags, limit: 30)
        #expect(flagCut.utf8.count <= 30)
        #expect(flagCut == "x🇩🇪" + StepSummary.marker)
    }

    @Test func summaries_in_records_are_at_most_4_kib() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"), X.templateNode("t", "{{input}}{{input}}")], [X.edge("start", "message", "t")])
        let long = String(repeating: "é", count: 3000)  // 6000 bytes
        let outcome = await X.run(plan, message: ["text": .string(long)])
        let step = try #require(outcome.step("t"))
        #expect(step.status == .succeeded)
        for summary in [step.inputSummary, step.outputSummary] {
            let text = try #require(summary)
            #expect(text.utf8.count <= 4096)
            #expect(text.hasSuffix(StepSummary.marker))
            #expect(text.hasPrefix(#"{""#))
        }
    }

    @Test func redactor_replaces_every_occurrence_of_each_secret() {
        let redactor = Redactor(secrets: ["123456:ABC-token", "123456", "abc"])
        #expect(redactor.redact("bot123456:ABC-token/sendMessage and 123456 and abc")
            == "bot[redacted]/sendMessage and [redacted] and abc")
        // A secret followed by a combining mark is still found.
        #expect(Redactor(secrets: ["tokn"]).redact("tokn\u{301}") == "[redacted]\u{301}")
        // JSON values: strings and keys, including characters JSON escapes.
        let tricky = Redactor(secrets: ["p\"a/ss"])
        #expect(tricky.redact(JSONValue.object(["p\"a/ss": ["x p\"a/ss y"]])) == ["[redacted]": ["x [redacted] y"]])
        #expect(StepSummary.json(["k": "p\"a/ss"], redactor: tricky) == #"{"k":"[redacted]"}"#)
    }

    @Test func records_redact_inputs_outputs_and_errors() async throws {
        let secret = "sk-live-0123456789"
        let plan = try X.plan(
            [X.node("start", "manual"), X.templateNode("t", "key={{message.text}}"), X.llmNode("leak")],
            [X.edge("start", "message", "t"), X.edge("t", "output", "leak")])
        let runner = FakeRunner { request, _ in
            throw NodeFailure.permanent("GET https://api.test/bot\(secret)/x failed")
        }
        let observed = Recorder<StepRecord>()
        let observer = ExecutionObserver { event in
            if case .finished(let record, _) = event { observed.append(record) }
        }
        let outcome = await X.run(plan, message: ["text": .string(secret)], runner: runner, observer: observer, secrets: [secret])
        let encoded = String(decoding: try JSONEncoder().encode(outcome.steps), as: UTF8.self)
        #expect(!encoded.contains(secret))
        #expect(!String(decoding: try JSONEncoder().encode(observed.all), as: UTF8.self).contains(secret))
        #expect(!(outcome.error ?? "").contains(secret))
        #expect(outcome.step("t")?.outputSummary == #"{"output":"key=[redacted]"}"#)
        #expect(outcome.step("leak")?.inputSummary == #"{"input":"key=[redacted]"}"#)
        #expect(outcome.step("leak")?.error == "GET https://api.test/bot[redacted]/x failed")
        // The runner itself got the real value (redaction is for records only).
        #expect(runner.requests.all.first?.inputs["input"] == [.text("key=\(secret)")])
    }

    @Test func short_secrets_are_not_redacted() {
        #expect(Redactor(secrets: ["abc", ""]).isEmpty)
        #expect(Redactor(secrets: ["abcd"]).redact("abcde") == "[redacted]e")
    }

    @Test func redaction_happens_before_truncation() {
        let secret = "SECRETSECRET"
        // The secret straddles the cut: redacting after cutting would leave "SECRE".
        let text = String(repeating: "x", count: 10) + secret + String(repeating: "y", count: 20)
        let summary = StepSummary.text(text, redactor: Redactor(secrets: [secret]), limit: 15 + StepSummary.marker.utf8.count)
        #expect(!summary.contains("SECRE"))
        #expect(summary == "xxxxxxxxxx[reda" + StepSummary.marker)
    }
}
