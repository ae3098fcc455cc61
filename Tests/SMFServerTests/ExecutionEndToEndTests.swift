import Fluent
import Foundation
import SMFCore
import SMFFakes
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// Webhook in → durable event + job → worker → engine → fake platform, over
/// real loopback HTTP to fakes that speak the platforms' wire formats.
@Suite("Executions end to end", .serialized)
struct ExecutionEndToEndTests {
    @Test func instagram_comment_gets_an_llm_answer_as_private_reply() async throws {
        let logs = LogCapture()
        try await FakePlatforms.withApp(logs: logs) { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let (_, deployed) = try await run.deploy(RunFlows.commentToPrivateReply(instagram: run.instagram, llm: run.llm))
            let webhook = try #require(deployed["webhook"] as? [String: Any])
            let path = try #require(webhook["path"] as? String)
            #expect(webhook["kind"] as? String == "meta")
            #expect(webhook["url"] as? String == "https://smflow.test" + path)

            // Meta escapes non-ASCII as \uXXXX: the signature is over those bytes.
            let body = MetaWebhook.commentPayload(
                accountID: fakes.igUserID, .init(id: "18000000000000001", text: "¿Precio? 😀", fromID: "55"))
            #expect(String(decoding: body, as: UTF8.self).contains("\\u00bf"))
            let response = try await app.testing().sendRequest(
                .POST, path, headers: ["Content-Type": "application/json",
                                       "X-Hub-Signature-256": MetaWebhook.signature(body: body, appSecret: run.appSecret)],
                body: ByteBuffer(bytes: body))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(response.json["accepted"] as? Int == 1)

            try await run.runWorker { fakes.graph.calls.count >= 1 }
            let call = try #require(fakes.graph.calls.all.first)
            #expect(call.commentID == "18000000000000001")
            #expect(call.pathID == fakes.igUserID)
            #expect(call.text == "Answer: ¿Precio? 😀")
            #expect(call.token == fakes.igToken)
            #expect(fakes.llm.chatCalls.all.first?.messages.last?.content == "¿Precio? 😀")

            let executions = try await run.listExecutions()
            #expect(executions.count == 1)
            let execution = try #require(executions.first)
            #expect(execution["status"] as? String == "succeeded")
            let steps = try #require(execution["steps"] as? [[String: Any]])
            #expect(steps.map { $0["node_id"] as? String } == ["comment", "answer", "reply"])
            #expect(steps.allSatisfy { $0["status"] as? String == "succeeded" })

            // No secret anywhere: execution records, logs.
            let record = String(data: try JSONSerialization.data(withJSONObject: executions), encoding: .utf8) ?? ""
            for secret in [fakes.igToken, fakes.llmKey, run.appSecret, run.verifyToken] {
                #expect(!record.contains(secret))
                #expect(!logs.lines.contains { $0.contains(secret) })
            }
        }
    }

    @Test func telegram_update_is_routed_by_keyword_to_send_message() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let (_, deployed) = try await run.deploy(RunFlows.keywordReply(bot: run.bot))
            let path = try #require((deployed["webhook"] as? [String: Any])?["path"] as? String)

            // Deploying called setWebhook with our URL, a secret token and the update types.
            let registration = try #require(fakes.telegram.webhookCalls.all.last)
            #expect(registration.method == "setWebhook")
            #expect(registration.url == "https://smflow.test" + path)
            #expect(registration.allowedUpdates == ["message"])
            let secret = try #require(registration.secretToken)
            #expect(TelegramSecretToken.isWellFormed(secret))

            for (id, text) in [(1, "what is the PRICE?"), (2, "hello")] {
                let response = try await app.testing().sendRequest(
                    .POST, path, headers: ["Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret],
                    body: jsonBody(RunFlows.telegramUpdate(id: id, text: text)))
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            try await run.runWorker { fakes.telegram.messages.count >= 2 }
            let texts = Set(fakes.telegram.messages.all.map(\.text))
            #expect(texts == ["Our prices: see the menu, Ana.", "Thanks, we will answer soon."])
            #expect(fakes.telegram.messages.all.allSatisfy { $0.chatID == "4242" && $0.token == fakes.botToken })
            let executions = try await run.listExecutions()
            #expect(executions.count == 2)
            #expect(executions.allSatisfy { $0["status"] as? String == "succeeded" })
            // The branch not taken is recorded as skipped.
            let skipped = executions.flatMap { ($0["steps"] as? [[String: Any]]) ?? [] }.filter { $0["status"] as? String == "skipped" }
            #expect(skipped.count == 2)
        }
    }

    /// Two deployed flows on one bot: one update is stored once and runs
    /// both (one execution and one job each, in the same atomic write — on
    /// PostgreSQL the single-statement ingest); the platform's retry of the
    /// same update adds nothing.
    @Test func one_update_runs_every_flow_on_the_bot_once() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let (_, deployed) = try await run.deploy(RunFlows.keywordReply(bot: run.bot), name: "first")
            _ = try await run.deploy(RunFlows.keywordReply(bot: run.bot), name: "second")
            let path = try #require((deployed["webhook"] as? [String: Any])?["path"] as? String)
            let secret = try #require(fakes.telegram.webhookCalls.all.last?.secretToken)
            for attempt in 0..<2 {
                let response = try await app.testing().sendRequest(
                    .POST, path, headers: ["Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret],
                    body: jsonBody(RunFlows.telegramUpdate(id: 77, text: "price?")))
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(response.json["accepted"] as? Int == (attempt == 0 ? 1 : 0), "\(String(buffer: response.body))")
            }
            try await run.runWorker { fakes.telegram.messages.count >= 2 }
            let executions = try await run.listExecutions()
            #expect(executions.count == 2)
            #expect(Set(executions.compactMap { $0["flow_id"] as? String }).count == 2)
            #expect(executions.allSatisfy { $0["status"] as? String == "succeeded" })
            #expect(try await WebhookEvent.query(on: app.db).count() == 1)
            #expect(fakes.telegram.messages.count == 2)
        }
    }

    /// Telegram stops delivering once no deployed flow uses the bot: not
    /// after the first of two flows on it is undeployed, but after the last
    /// one is deleted.
    @Test func the_last_flow_leaving_a_bot_deletes_its_webhook() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let (first, _) = try await run.deploy(RunFlows.keywordReply(bot: run.bot), name: "first")
            let (second, _) = try await run.deploy(RunFlows.keywordReply(bot: run.bot), name: "second")
            func deletes() -> Int { fakes.telegram.webhookCalls.all.filter { $0.method == "deleteWebhook" }.count }
            func etag(_ id: String) async throws -> String {
                let read = try await run.flows.send(.GET, "\(run.flows.base)/\(id)")
                return try #require(read.headers.first(name: .eTag))
            }

            let undeployed = try await run.flows.send(.POST, "\(run.flows.base)/\(first)/undeploy", ifMatch: try await etag(first))
            #expect(undeployed.status == .ok, "\(String(buffer: undeployed.body))")
            #expect(deletes() == 0, "another deployed flow still uses the bot")

            let deleted = try await run.flows.send(.DELETE, "\(run.flows.base)/\(second)", ifMatch: try await etag(second))
            #expect(deleted.status == .noContent, "\(String(buffer: deleted.body))")
            #expect(deletes() == 1)
            let call = try #require(fakes.telegram.webhookCalls.all.last)
            #expect(call.method == "deleteWebhook")
            #expect(call.token == fakes.botToken)
        }
    }

    @Test func manual_test_run_is_queued_and_its_progress_is_readable() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let created = try await run.flows.create(name: "t", document: RunFlows.keywordReply(bot: run.bot))
            let id = try #require(created.json["id"] as? String)
            let response = try await run.flows.send(
                .POST, "\(run.flows.base)/\(id)/test",
                body: ["message": ["text": "price?", "chat": ["id": 7], "from": ["first_name": "Bo"]]])
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            #expect(response.json["status"] as? String == "queued")
            let location = try #require(response.headers.first(name: .location))
            try await run.runWorker { fakes.telegram.messages.count >= 1 }
            #expect(fakes.telegram.messages.all.first?.text == "Our prices: see the menu, Bo.")
            let read = try await app.testing().sendRequest(.GET, location, headers: run.flows.headers)
            #expect(read.json["status"] as? String == "succeeded")
            #expect(read.json["trigger_type"] as? String == "manual")
        }
    }
}
