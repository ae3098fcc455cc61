import Fluent
import Foundation
import SMFCore
import SMFFakes
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// The executions API: listing with filters and keyset pages, access rules,
/// live progress over SSE, dead letters and their replay, and the SSRF
/// guard as a flow meets it.
@Suite("Executions API", .serialized)
struct ExecutionAPITests {
    /// A flow the manual trigger runs: update → keyword → Telegram.
    private func testRun(_ run: RunFixtures, flow: String, text: String) async throws -> TestingHTTPResponse {
        try await run.flows.send(.POST, "\(run.flows.base)/\(flow)/test",
                                 body: ["message": ["text": text, "chat": ["id": 1], "from": ["first_name": "A"]]])
    }

    @Test func list_pages_filters_and_refuses_unknown_parameters() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let created = try await run.flows.create(name: "k", document: RunFlows.keywordReply(bot: run.bot))
            let flow = try #require(created.json["id"] as? String)
            for index in 0..<5 { #expect(try await testRun(run, flow: flow, text: "m\(index)").status == .accepted) }

            let base = run.executions
            let first = try await app.testing().sendRequest(.GET, base + "?limit=2", headers: run.flows.headers)
            #expect(first.status == .ok)
            let cursor = try #require(first.json["next_cursor"] as? String)
            let second = try await app.testing().sendRequest(.GET, base + "?limit=2&cursor=\(cursor)", headers: run.flows.headers)
            let third = try await app.testing().sendRequest(
                .GET, base + "?limit=2&cursor=\(try #require(second.json["next_cursor"] as? String))", headers: run.flows.headers)
            let ids = [first, second, third].flatMap { ($0.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }
            #expect(ids.count == 5)
            #expect(Set(ids).count == 5)
            #expect(third.json["next_cursor"] is NSNull)

            let queued = try await app.testing().sendRequest(.GET, base + "?status=queued&flow_id=\(flow)", headers: run.flows.headers)
            #expect((queued.json["items"] as? [Any])?.count == 5)
            let none = try await app.testing().sendRequest(.GET, base + "?status=succeeded", headers: run.flows.headers)
            #expect((none.json["items"] as? [Any])?.count == 0)
            let future = try await app.testing().sendRequest(.GET, base + "?since=2999-01-01T00:00:00Z", headers: run.flows.headers)
            #expect((future.json["items"] as? [Any])?.count == 0)
            for bad in ["?limit=0", "?status=done", "?flow_id=nope", "?since=yesterday", "?cursor=abc", "?limt=5", "?limit=1&limit=2"] {
                let refused = try await app.testing().sendRequest(.GET, base + bad, headers: run.flows.headers)
                #expect(refused.status == .badRequest, "\(bad)")
                #expect(refused.headers.contentType?.subType == "problem+json")
            }
        }
    }

    @Test func viewers_read_keys_need_the_scope_and_other_workspaces_see_404() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let created = try await run.flows.create(name: "k", document: RunFlows.keywordReply(bot: run.bot))
            let flow = try #require(created.json["id"] as? String)
            let started = try await testRun(run, flow: flow, text: "price")
            let path = try #require(started.headers.first(name: .location))

            let identity = IdentityFixtures(app: app)
            let viewer = try await identity.user("viewer-\(UUID().uuidString.prefix(6))@example.com")
            try await identity.member(viewer, of: run.flows.workspace, as: .viewer)
            let viewerHeaders = HTTPHeaders.bearer(try await identity.sessionToken(for: viewer).token)
            #expect(try await app.testing().sendRequest(.GET, path, headers: viewerHeaders).status == .ok)
            // A viewer may watch but not start runs.
            let viewerRun = try await app.testing().sendRequest(
                .POST, "\(run.flows.base)/\(flow)/test", headers: viewerHeaders.adding(.json), body: jsonBody(["message": ["text": "x"]]))
            #expect(viewerRun.status == .forbidden)

            let reader = try await identity.apiKey(in: run.flows.workspace, createdBy: run.flows.owner, scopes: [.executionsRead])
            let flowsOnly = try await identity.apiKey(in: run.flows.workspace, createdBy: run.flows.owner, scopes: [.flowsRead])
            #expect(try await app.testing().sendRequest(.GET, path, headers: .bearer(reader)).status == .ok)
            #expect(try await app.testing().sendRequest(.GET, path, headers: .bearer(flowsOnly)).status == .forbidden)

            let other = try await FlowFixtures.make(app, name: "Other")
            let foreign = path.replacingOccurrences(of: run.api.workspaceID.uuidString, with: other.workspaceID.uuidString)
            #expect(try await app.testing().sendRequest(.GET, foreign, headers: other.headers).status == .notFound)
            // Not a member: the same 404 as a workspace that does not exist.
            #expect(try await app.testing().sendRequest(.GET, path, headers: other.headers).status == .notFound)
        }
    }

    @Test func live_progress_streams_every_change_until_the_end() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let created = try await run.flows.create(name: "k", document: RunFlows.keywordReply(bot: run.bot))
            let flow = try #require(created.json["id"] as? String)
            let started = try await testRun(run, flow: flow, text: "price")
            let path = try #require(started.headers.first(name: .location)) + "/events"
            let server = try live(app)
            let headers = run.flows.headers
            let stream = Task { try await server.sendRequest(.GET, path, headers: headers) }
            try await run.runWorker { fakes.telegram.messages.count >= 1 }
            let response = try await stream.value
            #expect(response.status == .ok)
            #expect(response.headers.first(name: .contentType)?.hasPrefix("text/event-stream") == true)
            #expect(response.headers.first(name: "X-Accel-Buffering") == "no")
            let text = String(buffer: response.body)
            let events = text.components(separatedBy: "\n\n").filter { $0.contains("event: execution") }
            #expect(events.count >= 2, "\(text)")
            let revisions = events.compactMap { event in
                event.split(separator: "\n").first { $0.hasPrefix("id: ") }.flatMap { Int($0.dropFirst(4)) }
            }
            #expect(revisions == revisions.sorted() && Set(revisions).count == revisions.count)
            #expect(events.last?.contains(#""status":"succeeded""#) == true)
            #expect(text.hasSuffix("event: end\ndata: {}\n\n"))
            // Another workspace cannot follow it.
            let other = try await FlowFixtures.make(app, name: "Other")
            #expect(try await server.sendRequest(.GET, path, headers: other.headers).status == .notFound)
        }
    }

    @Test func a_run_that_keeps_failing_is_dead_lettered_and_replays_after_the_fix() async throws {
        let fakes = try await FakePlatforms.start()
        defer { fakes.stopDetached() }
        try await withTestApp({ fakes.configure(&$0); $0.jobMaxAttempts = 1 }) { app in
            let run = try await RunFixtures.make(app, fakes)
            let document = RunFlows.commentToPrivateReply(instagram: run.instagram, llm: run.llm)
            let created = try await run.flows.create(name: "llm", document: document)
            let flow = try #require(created.json["id"] as? String)
            // The LLM answers 503 to every attempt of this run (3 per node attempt budget).
            fakes.llm.injectError(.init(status: 503), times: 3)
            let started = try await run.flows.send(.POST, "\(run.flows.base)/\(flow)/test",
                                                    body: ["message": ["text": "hi", "comment_id": "1791", "from": ["id": "5"]]])
            let path = try #require(started.headers.first(name: .location))
            let headers = run.flows.headers
            try await run.runWorker {
                (try? await app.testing().sendRequest(.GET, path, headers: headers))?.json["status"] as? String == "dead"
            }
            let dead = try await app.testing().sendRequest(.GET, path, headers: run.flows.headers)
            #expect(dead.json["status"] as? String == "dead")
            #expect((dead.json["error"] as? String)?.contains("503") == true)
            #expect(fakes.graph.calls.count == 0)
            let listed = try await app.testing().sendRequest(.GET, run.executions + "?status=dead", headers: run.flows.headers)
            #expect((listed.json["items"] as? [Any])?.count == 1)

            // A viewer cannot replay; an editor can, once; the fixed LLM then answers.
            let replay = try await run.flows.send(.POST, path + "/replay")
            #expect(replay.status == .accepted, "\(String(buffer: replay.body))")
            #expect(try await run.flows.send(.POST, path + "/replay").status == .conflict)
            try await run.runWorker { fakes.graph.calls.count >= 1 }
            let done = try await app.testing().sendRequest(.GET, path, headers: run.flows.headers)
            #expect(done.json["status"] as? String == "succeeded")
            #expect(fakes.graph.calls.count == 1)
        }
    }

    @Test func http_request_nodes_cannot_reach_private_addresses() async throws {
        let fakes = try await FakePlatforms.start()
        defer { fakes.stopDetached() }
        // Production-like outbound rules: loopback not allowed.
        try await withTestApp({ fakes.configure(&$0); $0.allowLoopbackOutbound = false }) { app in
            let flows = try await FlowFixtures.make(app)
            var outcomes: [String: String] = [:]
            for url in ["https://127.0.0.1/x", "https://169.254.169.254/latest/meta-data", "https://10.0.0.7/", "https://[::1]/",
                        "https://[::ffff:127.0.0.1]/", "https://localhost/", "http://example.com/"] {
                let document: [String: Any] = [
                    "nodes": [
                        ["id": "start", "type": "manual", "version": 1, "settings": [String: Any]()],
                        ["id": "call", "type": "http.request", "version": 1, "settings": ["method": "GET", "url": url]],
                    ],
                    "edges": [["from": ["node": "start", "port": "message"], "to": ["node": "call", "port": "input"]]],
                ]
                let created = try await flows.create(name: "ssrf", document: document)
                guard created.status == .created, let flow = created.json["id"] as? String else {
                    outcomes[url] = "refused at save"
                    continue
                }
                let started = try await flows.send(.POST, "\(flows.base)/\(flow)/test", body: ["message": ["text": "x"]])
                let path = try #require(started.headers.first(name: .location))
                let headers = flows.headers
                try await RunFixtures.runWorker(app) {
                    let status = (try? await app.testing().sendRequest(.GET, path, headers: headers))?.json["status"] as? String
                    return status == "failed" || status == "succeeded" || status == "dead"
                }
                let record = try await app.testing().sendRequest(.GET, path, headers: flows.headers).json
                let step = (record["steps"] as? [[String: Any]])?.first { $0["node_id"] as? String == "call" }
                #expect(record["status"] as? String == "failed", "\(url)")
                outcomes[url] = step?["error"] as? String ?? "?"
            }
            for (url, outcome) in outcomes {
                #expect(outcome.contains("refused") , "\(url): \(outcome)")
            }
        }
    }
}
