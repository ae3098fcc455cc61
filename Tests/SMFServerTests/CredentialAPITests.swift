import Fluent
import Foundation
import SMFCore
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// The credentials API (issue 8, part 1): create/list/read/replace/delete
/// per kind, strict input per field, roles and API-key scopes, workspace
/// isolation, and secrets that never come back. SQLite and PostgreSQL.
@Suite struct CredentialAPITests {
    @Test(arguments: CredentialKind.allCases)
    func create_read_list_replace_delete(_ kind: CredentialKind) async throws {
        let key = CredentialFixtures.key()
        try await withTestApp(CredentialFixtures.withKey(key)) { app in
            let api = try await CredentialAPI.make(app)
            let (secrets, publicFields) = CredentialFixtures.fields(kind)
            let created = try await api.create(kind, name: "  Main \(kind.rawValue) ", fields: secrets.merging(publicFields) { a, _ in a })
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let id = try #require(created.json["id"] as? String)
            #expect(created.headers.first(name: .location) == "\(api.base)/\(id.lowercased())")
            #expect(created.json["name"] as? String == "Main \(kind.rawValue)")
            #expect(created.json["kind"] as? String == kind.rawValue)
            #expect(created.json["fields"] as? [String: String] == publicFields)
            let hints = try #require(created.json["hints"] as? [String: String])
            #expect(hints == secrets.mapValues { "…" + $0.suffix(4) })
            #expect(created.json["key_id"] as? String == SecretBox.Key(material: key).id)
            #expect(created.json["secret_updated_at"] is String)
            #expect(Set(created.json.keys) == ["id", "name", "kind", "fields", "hints", "key_id", "created_at", "updated_at", "secret_updated_at"])

            let read = try await api.send(.GET, "\(api.base)/\(id)")
            #expect(read.status == .ok)
            #expect(read.json["hints"] as? [String: String] == hints)
            let list = try await api.send(.GET, api.base)
            #expect((list.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])

            // Replace: every secret again; public fields kept unless given.
            let (newSecrets, _) = CredentialFixtures.fields(kind)
            let replaced = try await api.send(.PUT, "\(api.base)/\(id)/secrets", body: ["fields": newSecrets])
            #expect(replaced.status == .ok, "\(String(buffer: replaced.body))")
            #expect(replaced.json["hints"] as? [String: String] == newSecrets.mapValues { "…" + $0.suffix(4) })
            #expect(replaced.json["fields"] as? [String: String] == publicFields)
            let stored = try #require(try await Credential.find(UUID(uuidString: id), on: app.db))
            let opened = try #require(CredentialVault(config: app.smf.config)).open(stored)
            for (field, value) in newSecrets { #expect(opened.reveal(field) == value) }

            let events = try await IdentityFixtures(app: app).events().map(\.type)
            #expect(events.contains("credential.created") && events.contains("credential.secrets_replaced"))

            #expect(try await api.send(.DELETE, "\(api.base)/\(id)").status == .noContent)
            #expect(try await api.send(.GET, "\(api.base)/\(id)").status == .notFound)
            #expect(try await api.send(.DELETE, "\(api.base)/\(id)").status == .notFound)
            #expect(try await IdentityFixtures(app: app).events().map(\.type).contains("credential.deleted"))
        }
    }

    @Test func short_secrets_get_no_characters_in_their_hint() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            let response = try await api.create(.httpHeader, fields: ["header_name": "Authorization", "header_value": "Bearer abc1"])
            #expect(response.status == .created)
            #expect(response.json["hints"] as? [String: String] == ["header_value": "…"])
        }
    }

    /// (kind, fields, pointer that must be reported)
    static let badInputs: [(CredentialKind, [String: String], String)] = [
        (.telegramBot, ["bot_token": "12345"], "/fields/bot_token"),
        (.telegramBot, ["bot_token": "abc:" + String(repeating: "a", count: 35)], "/fields/bot_token"),
        (.telegramBot, ["bot_token": "123:" + String(repeating: "a", count: 29)], "/fields/bot_token"),
        (.telegramBot, ["bot_token": "123:" + String(repeating: "a", count: 65)], "/fields/bot_token"),
        (.telegramBot, ["bot_token": "123:" + String(repeating: "a", count: 34) + "!"], "/fields/bot_token"),
        (.telegramBot, ["bot_token": String(repeating: "1", count: 21) + ":" + String(repeating: "a", count: 35)], "/fields/bot_token"),
        (.telegramBot, [:], "/fields/bot_token"),
        (.instagramAccount, ["access_token": "has space", "app_secret": "s", "verify_token": "v", "ig_user_id": "1"], "/fields/access_token"),
        (.instagramAccount, ["access_token": String(repeating: "a", count: 1025), "app_secret": "s", "verify_token": "v", "ig_user_id": "1"], "/fields/access_token"),
        (.instagramAccount, ["access_token": "a", "app_secret": "", "verify_token": "v", "ig_user_id": "1"], "/fields/app_secret"),
        (.instagramAccount, ["access_token": "a", "app_secret": "s", "verify_token": String(repeating: "v", count: 257), "ig_user_id": "1"], "/fields/verify_token"),
        (.instagramAccount, ["access_token": "a", "app_secret": "s", "verify_token": "v", "ig_user_id": "12a"], "/fields/ig_user_id"),
        (.instagramAccount, ["access_token": "a", "app_secret": "s", "verify_token": "v", "ig_user_id": String(repeating: "1", count: 33)], "/fields/ig_user_id"),
        (.instagramAccount, ["access_token": "a", "app_secret": "s", "verify_token": "v"], "/fields/ig_user_id"),
        (.llmOpenAICompatible, ["base_url": "http://llm.example.com/v1", "api_key": "k"], "/fields/base_url"),
        (.llmOpenAICompatible, ["base_url": "ftp://llm.example.com", "api_key": "k"], "/fields/base_url"),
        (.llmOpenAICompatible, ["base_url": "/v1/chat", "api_key": "k"], "/fields/base_url"),
        (.llmOpenAICompatible, ["base_url": "https://user:pw@llm.example.com", "api_key": "k"], "/fields/base_url"),
        (.llmOpenAICompatible, ["base_url": "https://llm.example.com/" + String(repeating: "a", count: 2048), "api_key": "k"], "/fields/base_url"),
        (.llmOpenAICompatible, ["base_url": "http://127.0.0.1:8080", "api_key": "k"], "/fields/base_url"),
        (.llmOpenAICompatible, ["base_url": "https://llm.example.com", "api_key": String(repeating: "k", count: 513)], "/fields/api_key"),
        (.httpHeader, ["header_name": "Host", "header_value": "x"], "/fields/header_name"),
        (.httpHeader, ["header_name": "content-length", "header_value": "x"], "/fields/header_name"),
        (.httpHeader, ["header_name": "Transfer-Encoding", "header_value": "x"], "/fields/header_name"),
        (.httpHeader, ["header_name": "Connection", "header_value": "x"], "/fields/header_name"),
        (.httpHeader, ["header_name": "Cookie", "header_value": "x"], "/fields/header_name"),
        (.httpHeader, ["header_name": "X Api", "header_value": "x"], "/fields/header_name"),
        (.httpHeader, ["header_name": "X-Api:", "header_value": "x"], "/fields/header_name"),
        (.httpHeader, ["header_name": "X-Api", "header_value": "a\r\nInjected: yes"], "/fields/header_value"),
        (.httpHeader, ["header_name": "X-Api", "header_value": "a\nb"], "/fields/header_value"),
        (.httpHeader, ["header_name": "X-Api", "header_value": String(repeating: "v", count: 4097)], "/fields/header_value"),
        (.httpHeader, ["header_name": "X-Api", "header_value": "x", "api_key": "stray"], "/fields/api_key"),
    ]

    @Test(arguments: badInputs)
    func bad_fields_are_422_with_a_pointer(_ kind: CredentialKind, _ fields: [String: String], _ pointer: String) async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            let response = try await api.create(kind, fields: fields)
            #expect(response.status == .unprocessableEntity)
            #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            let errors = try #require(response.problem?["errors"] as? [[String: Any]])
            #expect(errors.compactMap { $0["pointer"] as? String }.contains(pointer), "\(errors)")
            // The rejected value is never echoed back.
            let text = String(buffer: response.body)
            for value in fields.values where value.count >= 4 { #expect(!text.contains(value)) }
            #expect(try await Credential.query(on: app.db).count() == 0)
        }
    }

    @Test func envelope_problems_are_reported_together() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            let response = try await api.send(.POST, api.base, body: ["name": "", "kind": "telegram.user", "fields": [], "role": "owner"])
            #expect(response.status == .unprocessableEntity)
            let pointers = Set((response.problem?["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String })
            #expect(pointers == ["/name", "/kind", "/fields", "/role"])
            let wrongType = try await api.send(.POST, api.base, body: ["name": "x", "kind": "telegram.bot", "fields": ["bot_token": 5]])
            #expect((wrongType.problem?["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/fields/bot_token")
            let missing = try await api.send(.POST, api.base, body: ["name": "x", "kind": "telegram.bot"])
            #expect((missing.problem?["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/fields")
            let notJSON = try await app.testing().sendRequest(.POST, api.base, headers: api.headers, body: ByteBuffer(string: "name=x"))
            #expect(notJSON.status == .unsupportedMediaType)
            // Replacing must give every secret, and only the kind's fields.
            let (id, _) = try await api.created(.instagramAccount)
            let partial = try await api.send(.PUT, "\(api.base)/\(id)/secrets", body: ["fields": ["access_token": "new-token-value-1234"]])
            #expect(partial.status == .unprocessableEntity)
            let partialPointers = Set((partial.problem?["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String })
            #expect(partialPointers == ["/fields/app_secret", "/fields/verify_token"])
        }
    }

    @Test func loopback_http_base_url_only_when_tests_allow_it() async throws {
        try await withTestApp({ config in
            CredentialFixtures.withKey(CredentialFixtures.key())(&config)
            config.allowLoopbackOutbound = true
        }) { app in
            let api = try await CredentialAPI.make(app)
            #expect(try await api.create(.llmOpenAICompatible, fields: ["base_url": "http://127.0.0.1:9/v1", "api_key": "k"]).status == .created)
            #expect(try await api.create(.llmOpenAICompatible, fields: ["base_url": "http://[::1]:9/v1", "api_key": "k"]).status == .created)
            #expect(try await api.create(.llmOpenAICompatible, fields: ["base_url": "http://llm.example.com/v1", "api_key": "k"]).status == .unprocessableEntity)
        }
    }

    @Test func without_an_encryption_key_nothing_is_stored() async throws {
        try await withTestApp { app in
            let api = try await CredentialAPI.make(app)
            let response = try await api.create(.telegramBot, fields: ["bot_token": CredentialFixtures.botToken()])
            #expect(response.status == .serviceUnavailable)
            #expect(response.problem?["type"] as? String == "urn:smflow:problem:vault-not-configured")
            #expect(try await Credential.query(on: app.db).count() == 0)
        }
    }

    @Test func roles_and_api_key_scopes() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            let identity = IdentityFixtures(app: app)
            let (id, _) = try await api.created(.telegramBot)
            let fields = CredentialFixtures.allFields(.telegramBot).all
            for role in [WorkspaceRole.viewer, .editor] {
                let user = try await identity.user("\(role.rawValue)-\(UUID().uuidString.prefix(6))@example.com")
                try await identity.member(user, of: api.flows.workspace, as: role)
                let headers = HTTPHeaders.bearer(try await identity.sessionToken(for: user).token)
                #expect(try await api.send(.GET, api.base, headers: headers).status == .ok, "\(role) lists")
                #expect(try await api.send(.GET, "\(api.base)/\(id)", headers: headers).status == .ok, "\(role) reads")
                #expect(try await api.create(.telegramBot, fields: fields, headers: headers).status == .forbidden, "\(role) creates")
                #expect(try await api.send(.PUT, "\(api.base)/\(id)/secrets", body: ["fields": fields], headers: headers).status == .forbidden)
                #expect(try await api.send(.DELETE, "\(api.base)/\(id)", headers: headers).status == .forbidden)
            }
            let admin = try await identity.user("admin-\(UUID().uuidString.prefix(6))@example.com")
            try await identity.member(admin, of: api.flows.workspace, as: .admin)
            let adminHeaders = HTTPHeaders.bearer(try await identity.sessionToken(for: admin).token)
            #expect(try await api.create(.telegramBot, fields: fields, headers: adminHeaders).status == .created)

            let flowsKey = try await identity.apiKey(in: api.flows.workspace, createdBy: api.flows.owner, scopes: [.flowsRead, .flowsWrite])
            #expect(try await api.send(.GET, api.base, headers: .bearer(flowsKey)).status == .forbidden)
            #expect(try await api.create(.telegramBot, fields: fields, headers: .bearer(flowsKey)).status == .forbidden)
            let vaultKey = try await identity.apiKey(in: api.flows.workspace, createdBy: api.flows.owner, scopes: [.credentialsWrite])
            #expect(try await api.create(.telegramBot, fields: fields, headers: .bearer(vaultKey)).status == .created)
            #expect(try await api.send(.GET, "\(api.base)/\(id)", headers: .bearer(vaultKey)).status == .ok)
            #expect(try await api.send(.GET, api.base, headers: [:]).status == .unauthorized)
        }
    }

    @Test func another_workspace_sees_404() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let mine = try await CredentialAPI.make(app, name: "Mine")
            let theirs = try await CredentialAPI.make(app, name: "Theirs")
            let (id, _) = try await theirs.created(.llmOpenAICompatible)
            // Their credential through my workspace: as if it did not exist.
            #expect(try await mine.send(.GET, "\(mine.base)/\(id)").status == .notFound)
            #expect(try await mine.send(.PUT, "\(mine.base)/\(id)/secrets", body: ["fields": ["api_key": "x-new-key-000000"]]).status == .notFound)
            #expect(try await mine.send(.DELETE, "\(mine.base)/\(id)").status == .notFound)
            #expect((try await mine.send(.GET, mine.base).json["items"] as? [Any])?.isEmpty == true)
            // Their workspace through my session: not a member.
            #expect(try await mine.send(.GET, "\(theirs.base)/\(id)").status == .notFound)
            #expect(try await theirs.send(.GET, "\(theirs.base)/\(id)").status == .ok)
        }
    }

    @Test func pagination_and_kind_filter() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            var all: Set<String> = []
            for index in 0..<7 {
                let kind: CredentialKind = index % 2 == 0 ? .telegramBot : .httpHeader
                all.insert(try await api.created(kind, name: "c\(index)").id)
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await api.send(.GET, api.base + (cursor.map { "?limit=3&cursor=\($0)" } ?? "?limit=3"))
                #expect(page.status == .ok)
                seen += (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 7 && Set(seen) == all)
            let bots = try await api.send(.GET, api.base + "?kind=telegram.bot")
            #expect((bots.json["items"] as? [[String: Any]])?.count == 4)
            #expect(try await api.send(.GET, api.base + "?kind=nope").status == .badRequest)
            #expect(try await api.send(.GET, api.base + "?cursor=bad!").status == .badRequest)
            #expect(try await api.send(.GET, api.base + "?limt=3").status == .badRequest)
        }
    }

    /// A deployed flow's live version uses the credential: deleting it would
    /// break the flow at its next event.
    @Test func deleting_a_credential_a_deployed_flow_uses_is_409() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            let (bot, _) = try await api.created(.telegramBot, name: "bot")
            let (llm, _) = try await api.created(.llmOpenAICompatible, name: "llm")
            let (unused, _) = try await api.created(.llmOpenAICompatible, name: "unused")
            let flowResponse = try await api.flows.create(name: "Support", document: FlowFixtures.threeNodes(bot: bot.uppercased(), llm: llm))
            #expect(flowResponse.status == .created)
            let flowText = try #require(flowResponse.json["id"] as? String)
            let flowID = try #require(UUID(uuidString: flowText))
            // A saved draft does not hold the credential.
            #expect(try await api.send(.DELETE, "\(api.base)/\(unused)").status == .noContent)
            // Deployed (set directly: this test is about the vault, not the deploy route).
            let flow = try #require(try await Flow.find(flowID, on: app.db))
            flow.deployedVersion = 1
            flow.status = FlowStatus.deployed.rawValue
            try await flow.save(on: app.db)
            for id in [bot, llm] {
                let refused = try await api.send(.DELETE, "\(api.base)/\(id)")
                #expect(refused.status == .conflict)
                #expect(refused.problem?["type"] as? String == "urn:smflow:problem:credential-in-use")
                #expect((refused.problem?["detail"] as? String)?.contains(flowID.uuidString.lowercased()) == true)
            }
            flow.deployedVersion = nil
            flow.status = FlowStatus.draft.rawValue
            try await flow.save(on: app.db)
            #expect(try await api.send(.DELETE, "\(api.base)/\(bot)").status == .noContent)
        }
    }
}
