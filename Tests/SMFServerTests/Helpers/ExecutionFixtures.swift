import Fluent
import Foundation
import SMFCore
import SMFFakes
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// The fake platforms (loopback) and a configured app that talks to them.
struct FakePlatforms {
    let telegram: FakeTelegram
    let graph: FakeInstagramGraph
    let llm: FakeLLM
    let botToken: String
    let igToken: String
    let igUserID = "17841400000000001"
    let llmKey: String

    static func start() async throws -> FakePlatforms {
        let bot = CredentialFixtures.botToken()
        let ig = "IGQ" + OpaqueToken.generate()
        let key = "sk-" + OpaqueToken.generate()
        return FakePlatforms(
            telegram: try await FakeTelegram.start(tokens: [bot]),
            graph: try await FakeInstagramGraph.start(accounts: [ig: "17841400000000001"]),
            llm: try await FakeLLM.start(apiKeys: [key]),
            botToken: bot, igToken: ig, llmKey: key)
    }

    func stop() async {
        await telegram.stop()
        await graph.stop()
        await llm.stop()
    }

    /// For `defer`, which cannot await.
    func stopDetached() {
        Task { await stop() }
    }

    /// A vault key, the fakes' base URLs, loopback outbound allowed (tests only).
    func configure(_ config: inout AppConfig) {
        config.encryptionKey = CredentialFixtures.key()
        config.publicURL = "https://smflow.test"
        config.telegramAPIURL = telegram.baseURL
        config.graphAPIURL = graph.baseURL
        config.allowLoopbackOutbound = true
    }

    /// Runs `test` with the fakes up and an app configured for them.
    static func withApp(logs: LogCapture? = nil, _ test: (Application, FakePlatforms) async throws -> Void) async throws {
        let fakes = try await start()
        do {
            try await withTestApp({ fakes.configure(&$0) }, logs: logs) { app in try await test(app, fakes) }
        } catch {
            await fakes.stop()
            throw error
        }
        await fakes.stop()
    }
}

/// A workspace with the three credentials, and helpers to deploy flows and run the queue.
struct RunFixtures {
    let app: Application
    let api: CredentialAPI
    let bot: String
    let instagram: String
    let llm: String
    let appSecret: String
    let verifyToken: String

    var flows: FlowFixtures { api.flows }
    var executions: String { "/api/v1/workspaces/\(api.workspaceID.uuidString)/executions" }

    static func make(_ app: Application, _ fakes: FakePlatforms) async throws -> RunFixtures {
        let api = try await CredentialAPI.make(app)
        func create(_ kind: CredentialKind, _ fields: [String: Any]) async throws -> String {
            let response = try await api.create(kind, fields: fields)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            return try #require(response.json["id"] as? String)
        }
        let appSecret = SecretGenerator.hexKey(byteCount: 16)
        let verifyToken = "vt-" + OpaqueToken.generate().prefix(20)
        return RunFixtures(
            app: app, api: api,
            bot: try await create(.telegramBot, ["bot_token": fakes.botToken]),
            instagram: try await create(.instagramAccount, [
                "access_token": fakes.igToken, "app_secret": appSecret, "verify_token": String(verifyToken),
                "ig_user_id": fakes.igUserID,
            ]),
            llm: try await create(.llmOpenAICompatible, ["base_url": fakes.llm.baseURL, "api_key": fakes.llmKey]),
            appSecret: appSecret, verifyToken: String(verifyToken))
    }

    /// Creates and deploys `document`; returns the flow id and the deploy answer.
    func deploy(_ document: [String: Any], name: String = "flow") async throws -> (id: String, answer: [String: Any]) {
        let created = try await flows.create(name: name, document: document)
        #expect(created.status == .created, "\(String(buffer: created.body))")
        let id = try #require(created.json["id"] as? String)
        let etag = try #require(created.headers.first(name: .eTag))
        let deployed = try await flows.send(.POST, "\(flows.base)/\(id)/deploy", ifMatch: etag, body: ["version": 1])
        #expect(deployed.status == .ok, "\(String(buffer: deployed.body))")
        return (id, deployed.json)
    }

    /// Runs a worker loop in this process until `done()` or 30 s.
    func runWorker(until done: @escaping @Sendable () async throws -> Bool) async throws {
        try await Self.runWorker(app, until: done)
    }

    static func runWorker(_ app: Application, until done: @escaping @Sendable () async throws -> Bool) async throws {
        var settings = WorkerSettings(config: app.smf.config)
        settings.minPollInterval = .milliseconds(10)
        settings.maxPollInterval = .milliseconds(50)
        let loop = WorkerRunner.makeLoop(app, settings: settings, handlers: FlowJobs.handlers(for: app))
        let running = Task { await loop.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while try await !done(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        await loop.stop()
        await running.value
    }

    /// The executions of the workspace, newest first.
    func listExecutions() async throws -> [[String: Any]] {
        let response = try await app.testing().sendRequest(.GET, executions, headers: flows.headers)
        #expect(response.status == .ok)
        return response.json["items"] as? [[String: Any]] ?? []
    }
}

/// Flow documents of the end-to-end tests.
enum RunFlows {
    /// Instagram comment → LLM answer → private reply to the commenter.
    static func commentToPrivateReply(instagram: String, llm: String) -> [String: Any] {
        [
            "nodes": [
                ["id": "comment", "type": "instagram.comment", "version": 1, "settings": ["credential": instagram]],
                ["id": "answer", "type": "llm.chat", "version": 1, "settings": [
                    "credential": llm, "model": "gpt-4o-mini", "system_prompt": "You answer shop questions.",
                ]],
                ["id": "reply", "type": "instagram.private_reply", "version": 1, "settings": [
                    "credential": instagram, "text": "{{input}}",
                ]],
            ],
            "edges": [
                ["from": ["node": "comment", "port": "message"], "to": ["node": "answer", "port": "input"]],
                ["from": ["node": "answer", "port": "output"], "to": ["node": "reply", "port": "input"]],
            ],
        ]
    }

    /// Telegram update → keyword route → sendMessage (price / otherwise).
    static func keywordReply(bot: String) -> [String: Any] {
        [
            "nodes": [
                ["id": "update", "type": "telegram.update", "version": 1, "settings": ["credential": bot]],
                ["id": "route", "type": "route.keyword", "version": 1, "settings": [
                    "branches": [["port": "price", "keywords": ["price", "cost"]]],
                ]],
                ["id": "price", "type": "telegram.send_message", "version": 1, "settings": [
                    "credential": bot, "text": "Our prices: see the menu, {{message.from.first_name}}.",
                ]],
                ["id": "other", "type": "telegram.send_message", "version": 1, "settings": [
                    "credential": bot, "text": "Thanks, we will answer soon.",
                ]],
            ],
            "edges": [
                ["from": ["node": "update", "port": "message"], "to": ["node": "route", "port": "input"]],
                ["from": ["node": "route", "port": "price"], "to": ["node": "price", "port": "input"]],
                ["from": ["node": "route", "port": "otherwise"], "to": ["node": "other", "port": "input"]],
            ],
        ]
    }

    static func telegramUpdate(id: Int, text: String, chat: Int = 4242) -> [String: Any] {
        ["update_id": id, "message": [
            "message_id": id, "date": 1_700_000_000, "text": text,
            "from": ["id": chat, "is_bot": false, "first_name": "Ana"], "chat": ["id": chat, "type": "private"],
        ]]
    }
}
