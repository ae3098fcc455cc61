import Fluent
import Foundation
import SMFCore
import Testing
import VaporTesting
@testable import SMFServer

/// The flows API (issue 7): versions, ETag/If-Match, pagination, soft
/// delete, deploy/rollback, import/export, validation and isolation. Runs
/// on SQLite and on PostgreSQL (scripts/test).
@Suite struct FlowAPITests {
    @Test func create_read_update_makes_numbered_versions() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            let bot = try await f.credential(.telegramBot)
            let llm = try await f.credential(.llmOpenAICompatible)
            let created = try await f.create(name: "Support bot", document: FlowFixtures.threeNodes(bot: bot, llm: llm))
            #expect(created.status == .created)
            #expect(created.headers.first(name: .eTag) == "\"r1\"")
            let id = try #require(created.json["id"] as? String)
            #expect(created.headers.first(name: .location) == "\(f.base)/\(id)".lowercased())
            #expect(created.json["latest_version"] as? Int == 1)
            #expect(created.json["status"] as? String == "draft")
            #expect(created.json["deployed_version"] is NSNull)

            let read = try await f.send(.GET, "\(f.base)/\(id)")
            #expect(read.status == .ok)
            #expect(read.headers.first(name: .eTag) == "\"r1\"")
            let nodes = try #require((read.json["document"] as? [String: Any])?["nodes"] as? [[String: Any]])
            #expect(nodes.map { $0["id"] as? String } == ["trigger", "answer", "reply"])

            let changed = FlowFixtures.threeNodes(bot: bot, llm: llm, prompt: "Answer politely: {{input}}")
            let body: [String: Any] = ["name": "Support bot", "document": changed, "comment": "politer"]
            let updated = try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: "\"r1\"", body: body)
            #expect(updated.status == .ok)
            #expect(updated.headers.first(name: .eTag) == "\"r2\"")
            #expect(updated.json["latest_version"] as? Int == 2)

            let versions = try await f.send(.GET, "\(f.base)/\(id)/versions")
            let items = try #require(versions.json["items"] as? [[String: Any]])
            #expect(items.map { $0["number"] as? Int } == [2, 1])
            #expect(items.first?["comment"] as? String == "politer")
            #expect(items.first?["author_user_id"] as? String == (try f.owner.requireID()).uuidString)
            #expect(items.first?.keys.contains("document") == false, "lists leave documents out: \(String(buffer: versions.body).prefix(600))")

            let first = try await f.send(.GET, "\(f.base)/\(id)/versions/1")
            let prompt = ((first.json["document"] as? [String: Any])?["nodes"] as? [[String: Any]])?[1]["settings"] as? [String: Any]
            #expect(prompt?["system_prompt"] as? String == "Answer briefly: {{input}}")
            #expect(try await f.send(.GET, "\(f.base)/\(id)/versions/3").status == .notFound)

            let diff = try await f.send(.GET, "\(f.base)/\(id)/diff?from=1&to=2")
            #expect(diff.status == .ok)
            #expect(diff.json["from"] as? Int == 1 && diff.json["to"] as? Int == 2)
            let changes = try #require(diff.json["changed_nodes"] as? [[String: Any]])
            #expect(changes.count == 1)
            #expect(changes.first?["id"] as? String == "answer")
            #expect(changes.first?["changed_settings"] as? [String] == ["system_prompt"])
        }
    }

    @Test func writes_need_the_current_etag() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            let id = try #require(try await f.create(name: "A").json["id"] as? String)
            let body: [String: Any] = ["name": "B", "document": FlowFixtures.minimal]
            let missing = try await f.send(.PUT, "\(f.base)/\(id)", body: body)
            #expect(missing.status == .preconditionRequired)
            #expect(missing.problem?["type"] as? String == "urn:smflow:problem:precondition-required")
            for stale in ["\"r7\"", "*", "W/\"r1\"", "\"r1\", \"r2\"", "r1", "\"r01\"", "\"r+1\"", "\"r\"", "\"R1\""] {
                let response = try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: stale, body: body)
                #expect(response.status == .preconditionFailed, "If-Match: \(stale)")
            }
            #expect(try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: "\"r1\"", body: body).status == .ok)
            // The second editor read r1 too: their save must not overwrite the first.
            let lost = try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: "\"r1\"", body: ["name": "C", "document": FlowFixtures.minimal])
            #expect(lost.status == .preconditionFailed)
            let read = try await f.send(.GET, "\(f.base)/\(id)")
            #expect(read.json["name"] as? String == "B")
            #expect(read.json["latest_version"] as? Int == 2)
            // The same for deletes and deploys.
            #expect(try await f.send(.DELETE, "\(f.base)/\(id)").status == .preconditionRequired)
            #expect(try await f.send(.DELETE, "\(f.base)/\(id)", ifMatch: "\"r1\"").status == .preconditionFailed)
            #expect(try await f.send(.POST, "\(f.base)/\(id)/deploy", body: ["version": 1]).status == .preconditionRequired)
        }
    }

    @Test func concurrent_saves_on_one_etag_let_exactly_one_win() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            let id = try #require(try await f.create(name: "A").json["id"] as? String)
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: "\"r1\"",
                                         body: ["name": "Editor \(index)", "document": FlowFixtures.minimal]).status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 412 }.count == 5, "\(statuses)")
            let versions = try await FlowVersion.query(on: app.db).all()
            #expect(versions.count == 2)
        }
    }

    @Test func pagination_has_no_duplicates_or_gaps_while_flows_are_added() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            var expected: Set<String> = []
            for index in 0..<23 {
                expected.insert(try #require(try await f.create(name: "Flow \(index)").json["id"] as? String))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = cursor.map { "?limit=5&cursor=\($0)" } ?? "?limit=5"
                let page = try await f.send(.GET, f.base + query)
                #expect(page.status == .ok)
                seen += (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page.json["next_cursor"] as? String
                // New flows appear while the client pages: they sort before
                // the cursor and must neither repeat nor push rows out.
                try await f.create(name: "Added during page \(pages)")
                pages += 1
            } while cursor != nil && pages < 20
            #expect(pages == 5)
            #expect(seen.count == Set(seen).count, "no duplicates")
            #expect(Set(seen) == expected, "every flow that existed is listed once")
        }
    }

    @Test func list_filters_and_strict_query() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            for name in ["Sales bot", "Support bot", "50%_off", "Other"] { try await f.create(name: name) }
            let bots = try await f.send(.GET, "\(f.base)?name=BOT")
            #expect((bots.json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.sorted() == ["Sales bot", "Support bot"])
            // % and _ are literal characters, not wildcards.
            let literal = try await f.send(.GET, "\(f.base)?name=%25_")
            #expect((literal.json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["50%_off"])
            let deployed = try await f.send(.GET, "\(f.base)?status=deployed")
            #expect((deployed.json["items"] as? [Any])?.isEmpty == true)
            #expect(deployed.json["next_cursor"] is NSNull)
            for bad in ["?limit=0", "?limit=101", "?limit=x", "?status=live", "?cursor=abc", "?limt=5", "?limit=5&limit=6",
                        "?name=" + String(repeating: "a", count: 101)] {
                let response = try await f.send(.GET, f.base + bad)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.problem?["type"] as? String == "urn:smflow:problem:invalid-query")
            }
        }
    }

    @Test func soft_delete_restore_and_purge_after_thirty_days() async throws {
        let clock = ManualClock()
        try await withTestApp(clock: clock.clock) { app in
            var f = try await FlowFixtures.make(app)
            let id = try #require(try await f.create(name: "Old").json["id"] as? String)
            #expect(try await f.send(.DELETE, "\(f.base)/\(id)", ifMatch: "\"r1\"").status == .noContent)
            let read = try await f.send(.GET, "\(f.base)/\(id)")
            #expect(read.json["status"] as? String == "deleted")
            #expect(read.headers.first(name: .eTag) == "\"r2\"")
            #expect((try await f.send(.GET, f.base).json["items"] as? [Any])?.isEmpty == true)
            #expect((try await f.send(.GET, "\(f.base)?status=deleted").json["items"] as? [Any])?.count == 1)
            let edit = try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: "\"r2\"", body: ["name": "X", "document": FlowFixtures.minimal])
            #expect(edit.status == .conflict)

            let notEmpty = try await f.send(.POST, "\(f.base)/\(id)/restore", ifMatch: "\"r2\"", body: ["force": true])
            #expect(notEmpty.status == .unprocessableEntity)
            let restored = try await f.send(.POST, "\(f.base)/\(id)/restore", ifMatch: "\"r2\"", body: [:])
            #expect(restored.status == .ok)
            #expect(restored.json["status"] as? String == "draft")
            #expect(try await f.send(.POST, "\(f.base)/\(id)/restore", ifMatch: "\"r3\"").status == .conflict)

            #expect(try await f.send(.DELETE, "\(f.base)/\(id)", ifMatch: "\"r3\"").status == .noContent)
            clock.advance(by: 30 * 24 * 3600 + 1)
            f = try await f.signedInAgain()  // the session expired meanwhile
            let gone = try await f.send(.GET, "\(f.base)/\(id)")
            #expect(gone.status == .notFound, "\(String(buffer: gone.body).prefix(400)) now \(app.smf.clock.now())")
            #expect(try await f.send(.POST, "\(f.base)/\(id)/restore", ifMatch: "\"r4\"").status == .notFound)
            #expect(try await FlowRetention.purge(on: app.db, now: app.smf.clock.now()) == 1)
            #expect(try await Flow.query(on: app.db).count() == 0)
            #expect(try await FlowVersion.query(on: app.db).count() == 0)
        }
    }

    @Test func deploy_rollback_and_undeploy() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            let bot = try await f.credential(.telegramBot)
            let llm = try await f.credential(.llmOpenAICompatible)
            // Saved without the LLM credential: allowed, with a warning, but not deployable.
            let draft = try await f.create(name: "Bot", document: FlowFixtures.threeNodes(bot: bot, llm: nil, manualTrigger: true))
            #expect(draft.status == .created)
            let warnings = try #require(draft.json["warnings"] as? [[String: Any]])
            #expect(warnings.contains { $0["pointer"] as? String == "/document/nodes/1/settings/credential" })
            let id = try #require(draft.json["id"] as? String)
            let refused = try await f.send(.POST, "\(f.base)/\(id)/deploy", ifMatch: "\"r1\"", body: ["version": 1])
            #expect(refused.status == .unprocessableEntity)
            let errors = try #require(refused.problem?["errors"] as? [[String: Any]])
            #expect(errors.contains { $0["pointer"] as? String == "/document/nodes/1/settings/credential" && $0["code"] != nil })

            let v2 = try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: "\"r1\"",
                                      body: ["name": "Bot", "document": FlowFixtures.threeNodes(bot: bot, llm: llm, manualTrigger: true)])
            #expect(v2.status == .ok)
            let deployed = try await f.send(.POST, "\(f.base)/\(id)/deploy", ifMatch: "\"r2\"", body: ["version": 2])
            #expect(deployed.status == .ok)
            #expect(deployed.json["status"] as? String == "deployed")
            #expect(deployed.json["deployed_version"] as? Int == 2)
            #expect(try await f.send(.POST, "\(f.base)/\(id)/deploy", ifMatch: "\"r3\"", body: ["version": 9]).status == .unprocessableEntity)

            let v3 = try await f.send(.PUT, "\(f.base)/\(id)", ifMatch: "\"r3\"",
                                      body: ["name": "Bot", "document": FlowFixtures.threeNodes(bot: bot, llm: llm, prompt: "v3 {{input}}", manualTrigger: true)])
            #expect(v3.json["deployed_version"] as? Int == 2, "saving does not change what is live")
            let v3deployed = try await f.send(.POST, "\(f.base)/\(id)/deploy", ifMatch: "\"r4\"", body: ["version": 3])
            #expect(v3deployed.json["deployed_version"] as? Int == 3)
            // Rollback is deploying an older version.
            let rolledBack = try await f.send(.POST, "\(f.base)/\(id)/deploy", ifMatch: "\"r5\"", body: ["version": 2])
            #expect(rolledBack.json["deployed_version"] as? Int == 2)
            #expect(rolledBack.json["latest_version"] as? Int == 3)
            #expect((try await f.send(.GET, "\(f.base)?status=deployed").json["items"] as? [Any])?.count == 1)

            let undeployed = try await f.send(.POST, "\(f.base)/\(id)/undeploy", ifMatch: "\"r6\"")
            #expect(undeployed.status == .ok)
            #expect(undeployed.json["status"] as? String == "draft")
            #expect(undeployed.json["deployed_version"] is NSNull)

            let events = try await SecurityEvent.query(on: app.db).all().map(\.type)
            #expect(events.filter { $0 == "flow.deployed" }.count == 3)
            #expect(events.filter { $0 == "flow.undeployed" }.count == 1)
        }
    }

    @Test func export_import_round_trip_strips_foreign_credentials() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            let other = try await FlowFixtures.make(app, name: "Other")
            let bot = try await f.credential(.telegramBot)
            let llm = try await f.credential(.llmOpenAICompatible)
            let id = try #require(try await f.create(name: "Exported", document: FlowFixtures.threeNodes(bot: bot, llm: llm)).json["id"] as? String)
            let export = try await f.send(.GET, "\(f.base)/\(id)/export")
            #expect(export.status == .ok)
            #expect(export.json["format"] as? String == "smflow.flow/v1")

            // Same workspace: an identical copy.
            let copy = try await f.send(.POST, "\(f.base)/import", body: export.json)
            #expect(copy.status == .created)
            #expect(copy.json["stripped_credentials"] as? [String] == [])
            let original = try await f.send(.GET, "\(f.base)/\(id)")
            #expect(NSDictionary(dictionary: copy.json["document"] as? [String: Any] ?? [:])
                .isEqual(to: original.json["document"] as? [String: Any] ?? [:]))

            // Another workspace: the credential ids are not its own and are removed.
            let imported = try await other.send(.POST, "\(other.base)/import", body: export.json)
            #expect(imported.status == .created)
            let stripped = try #require(imported.json["stripped_credentials"] as? [String])
            #expect(Set(stripped) == ["/document/nodes/0/settings/credential", "/document/nodes/1/settings/credential",
                                      "/document/nodes/2/settings/credential"])
            let serialized = String(buffer: imported.body)
            #expect(!serialized.contains(bot) && !serialized.contains(llm))

            let badFormat = try await f.send(.POST, "\(f.base)/import",
                                             body: ["format": "n8n", "name": "x", "document": FlowFixtures.minimal])
            #expect(badFormat.status == .unprocessableEntity)
        }
    }

    @Test func invalid_documents_list_every_problem_with_a_pointer() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            let broken: [String: Any] = [
                "nodes": [
                    ["id": "t", "type": "manual", "version": 1, "settings": [String: Any]()],
                    ["id": "x", "type": "no.such.type", "version": 1, "settings": [String: Any]()],
                    ["id": "t2", "type": "manual", "version": 1, "settings": ["bogus": 1]],
                ],
                "edges": [["from": ["node": "t", "port": "message"], "to": ["node": "ghost", "port": "input"]]],
            ]
            let response = try await f.create(name: "Broken", document: broken)
            #expect(response.status == .unprocessableEntity)
            #expect(response.problem?["type"] as? String == "urn:smflow:problem:invalid-flow")
            let errors = try #require(response.problem?["errors"] as? [[String: Any]])
            let pointers = Set(errors.compactMap { $0["pointer"] as? String })
            #expect(pointers.contains("/document/nodes/1/type"))
            #expect(pointers.contains("/document/nodes/2/settings/bogus"))
            #expect(pointers.contains("/document/edges/0/to/node"))
            #expect(errors.count >= 4, "all problems at once: \(errors)")
            #expect(errors.allSatisfy { $0["code"] is String })
            #expect(try await Flow.query(on: app.db).count() == 0)

            let checked = try await f.send(.POST, "\(f.base)/validate", body: ["document": broken])
            #expect(checked.status == .ok)
            #expect(checked.json["valid"] as? Bool == false)
            #expect((checked.json["problems"] as? [[String: Any]])?.count == errors.count)
            let good = try await f.send(.POST, "\(f.base)/validate", body: ["document": FlowFixtures.minimal, "purpose": "deploy"])
            #expect(good.json["valid"] as? Bool == true)
        }
    }

    @Test func strict_bodies_and_limits() async throws {
        try await withTestApp { app in
            let f = try await FlowFixtures.make(app)
            let extra = try await f.send(.POST, f.base, body: ["name": "A", "document": FlowFixtures.minimal, "workspace_id": UUID().uuidString])
            #expect(extra.status == .unprocessableEntity)
            #expect((extra.problem?["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/workspace_id")
            for name in ["", "   ", String(repeating: "n", count: 101), "tab\tname"] {
                #expect(try await f.send(.POST, f.base, body: ["name": name, "document": FlowFixtures.minimal]).status == .unprocessableEntity)
            }
            let longComment = try await f.send(.POST, f.base, body: ["name": "A", "document": FlowFixtures.minimal,
                                                                      "comment": String(repeating: "c", count: 501)])
            #expect(longComment.status == .unprocessableEntity)
            let notObject = try await f.send(.POST, f.base, body: ["name": "A", "document": [1, 2]])
            #expect(notObject.status == .unprocessableEntity)
            // Beyond the route's cap (264 KiB) the body is refused before it is parsed.
            let huge = ["name": "A", "document": ["nodes": [["id": "s", "type": "manual", "version": 1,
                                                              "settings": ["sample_text": String(repeating: "x", count: 300_000)]]],
                                                  "edges": [Any]()]] as [String: Any]
            // Through a real socket: the in-memory tester hands the body over
            // whole, without the per-route collection limit.
            let tooLarge = try await app.testing(method: .running(port: 0)).sendRequest(
                .POST, f.base, headers: f.headers.adding(.json), body: jsonBody(huge))
            #expect(tooLarge.status == .payloadTooLarge, "\(tooLarge.status) \(String(buffer: tooLarge.body).prefix(300))")
            // A repeated key could mean one thing to one reader and another to the next: refused.
            let repeated = try await app.testing().sendRequest(
                .POST, f.base, headers: f.headers.adding(.json),
                body: ByteBuffer(string: #"{"name":"A","name":"B","document":{"nodes":[],"edges":[]}}"#))
            #expect(repeated.status == .badRequest)
            let malformed = try await app.testing().sendRequest(
                .POST, f.base, headers: f.headers.adding(.json), body: ByteBuffer(string: #"{"name":"<script>","document":"#))
            #expect(malformed.status == .badRequest)
            #expect(!String(buffer: malformed.body).contains("<script>"), "errors do not quote the input")
            let wrongTypes = try await f.send(.POST, f.base, body: ["name": 5, "document": FlowFixtures.minimal, "comment": true])
            #expect(Set((wrongTypes.problem?["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String })
                    == ["/name", "/comment"])
            let noDocument = try await f.send(.POST, f.base, body: ["name": "A"])
            #expect((noDocument.problem?["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/document")
            #expect(try await f.send(.GET, "\(f.base)/not-a-uuid").status == .notFound)
            #expect(try await f.send(.GET, "\(f.base)/\(UUID())/diff?from=1").status == .badRequest)
        }
    }

    @Test func flows_are_invisible_across_workspaces() async throws {
        try await withTestApp { app in
            let mine = try await FlowFixtures.make(app)
            let theirs = try await FlowFixtures.make(app, name: "Theirs")
            let id = try #require(try await mine.create(name: "Private").json["id"] as? String)
            let theirCredential = try await theirs.credential(.telegramBot)
            // Their member, their workspace path, my flow id: 404, as for a flow that does not exist.
            for path in ["", "/versions", "/versions/1", "/export", "/diff?from=1&to=1"] {
                #expect(try await theirs.send(.GET, "\(theirs.base)/\(id)\(path)").status == .notFound, "\(path)")
            }
            #expect(try await theirs.send(.DELETE, "\(theirs.base)/\(id)", ifMatch: "\"r1\"").status == .notFound)
            #expect((try await theirs.send(.GET, theirs.base).json["items"] as? [Any])?.isEmpty == true)
            // My member, my workspace path, their flow's credential: refused like an unknown one.
            let borrowed = try await mine.create(name: "Borrow", document: FlowFixtures.threeNodes(bot: theirCredential, llm: nil))
            #expect(borrowed.status == .unprocessableEntity)
            let errors = borrowed.problem?["errors"] as? [[String: Any]] ?? []
            #expect(errors.contains { $0["pointer"] as? String == "/document/nodes/0/settings/credential" })
        }
    }

    @Test func node_types_lists_the_catalog() async throws {
        try await withTestApp { app in
            let response = try await app.testing().sendRequest(.GET, "/api/v1/node-types")
            #expect(response.status == .ok)
            let types = try #require(response.json["node_types"] as? [[String: Any]])
            let ids = Set(types.compactMap { $0["id"] as? String })
            for id in ["telegram.update", "instagram.comment", "instagram.message", "webhook.generic", "manual",
                       "llm.chat", "text.template", "route.keyword", "route.condition", "http.request", "transcribe.audio",
                       "telegram.send_message", "instagram.reply_comment", "instagram.private_reply",
                       "instagram.send_message", "webhook.respond"] {
                #expect(ids.contains(id), "\(id)")
            }
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
        }
    }
}
