import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SMFFakes
import Testing

/// Issue 8, "must show": a worker PROCESS killed with SIGKILL while it
/// holds leased jobs loses nothing and doubles nothing.
///
/// Real processes, loopback only: `smflow migrate`, `smflow admin
/// create-user`, `smflow-testbed serve` (no worker in it) and two
/// `smflow-testbed worker`s, against the in-process fake Telegram and fake
/// LLM. The flow is telegram.update → llm.chat → telegram.send_message.
/// The LLM is stalled, so the first worker's 8 slots (SMF_WORKER_CONCURRENCY)
/// sit leased in the LLM step when it is killed; the other 16 events wait
/// queued. A second worker then runs the queued ones at once and the
/// killed worker's ones when their 10 s leases expire.
///
/// What must hold: every accepted event delivered exactly once (the fake
/// Telegram counts deliveries per chat and text: each event has its own),
/// nothing else delivered, every execution `succeeded`, and exactly the
/// jobs the killed worker held ran a second attempt.
///
/// Once on SQLite (a file in a temporary directory: two processes share
/// it), once on PostgreSQL when `SMF_TEST_PG_ADMIN_URL` is set (a scratch
/// database of its own, as `SharedRateLimitTests` makes).
@Suite(.serialized) struct WorkerCrashTests {
    @Test func sqlite_worker_killed_mid_lease_loses_and_doubles_nothing() async throws {
        let directory = try CrashScenario.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "sqlite://" + directory.appendingPathComponent("crash.sqlite").path
        try await CrashScenario(label: "sqlite", databaseURL: url, directory: directory).run()
    }

    @Test(.enabled(if: ScratchDatabase.adminURL != nil, "needs SMF_TEST_PG_ADMIN_URL (scripts/test's PostgreSQL pass)"))
    func postgres_worker_killed_mid_lease_loses_and_doubles_nothing() async throws {
        let database = try ScratchDatabase.create()
        defer { database.drop() }
        let directory = try CrashScenario.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await CrashScenario(label: "postgres", databaseURL: database.url, directory: directory).run()
    }
}

/// One run of the crash scenario on one database. `run` stops every
/// process and fake it started before it returns or throws.
struct CrashScenario {
    let label: String
    let databaseURL: String
    let directory: URL
    let processes = TestbedProcesses()

    /// Events posted; more than the worker's slots, so some wait queued.
    static let events = 24
    /// SMF_WORKER_CONCURRENCY: the jobs the killed worker holds.
    static let concurrency = 8

    static func makeDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smf-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    func run() async throws {
        let botToken = "\(Int.random(in: 100_000_000...999_999_999)):AA" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let llmKey = "sk-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let telegram = try await FakeTelegram.start(tokens: [botToken])
        let llm: FakeLLM
        do {
            llm = try await FakeLLM.start(apiKeys: [llmKey])
        } catch {
            await telegram.stop()
            throw error
        }
        do {
            try await scenario(telegram: telegram, llm: llm, botToken: botToken, llmKey: llmKey)
        } catch {
            processes.stopAll()
            await llm.stop()
            await telegram.stop()
            throw error
        }
        processes.stopAll()
        await llm.stop()
        await telegram.stop()
    }

    private func scenario(telegram: FakeTelegram, llm: FakeLLM, botToken: String, llmKey: String) async throws {
        let unlimited = "1000000/1s:burst=1000000"
        let environment = [
            "DATABASE_URL": databaseURL,
            "SMF_ENCRYPTION_KEY": try CLITests.hexKey(),
            "SMF_SECRET_KEY": try CLITests.hexKey(),
            "SMF_PUBLIC_URL": "https://smflow.test",
            "SMF_TELEGRAM_API_URL": telegram.baseURL,
            "SMF_JOB_LEASE_SECONDS": "10",
            "SMF_WORKER_CONCURRENCY": String(Self.concurrency),
            "SMF_BCRYPT_COST": "10",
            "SMF_RATE_LIMITS": "webhook=\(unlimited),read=\(unlimited),write=\(unlimited),auth=\(unlimited)",
        ]
        let migrated = try CLITests.run(["migrate"], environment: environment, directory: directory)
        try #require(migrated.status == 0, "[\(label)] migrate: \(migrated.stderr)")
        let created = try CLITests.run(["admin", "create-user", "--email", "crash@example.com", "--generate-password"],
                                       environment: environment, directory: directory)
        try #require(created.status == 0, "[\(label)] create-user: \(created.stderr)")
        let password = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let server = try processes.start(["serve", "--port", "0"], role: "server", in: directory, environment: environment)
        let api = CrashAPI(base: try await server.listeningAddress())

        // Owner, workspace, the two credentials, the deployed flow.
        let login = try await api.send(.POST, "/api/v1/auth/login",
                                       json: ["email": "crash@example.com", "password": password, "delivery": "bearer"])
        let bearer = try #require(login.object["token"] as? String, "[\(label)] login: \(login.text)")
        let workspaces = try await api.send(.GET, "/api/v1/workspaces", bearer: bearer)
        let workspace = try #require((workspaces.json as? [[String: Any]])?.first?["id"] as? String, "\(workspaces.text)")
        let base = "/api/v1/workspaces/\(workspace)"
        let bot = try await api.send(.POST, base + "/credentials", bearer: bearer, json: [
            "name": "bot", "kind": "telegram.bot", "fields": ["bot_token": botToken],
        ])
        let botID = try #require(bot.object["id"] as? String, "[\(label)] bot credential: \(bot.status) \(bot.text)")
        let model = try await api.send(.POST, base + "/credentials", bearer: bearer, json: [
            "name": "llm", "kind": "llm.openai_compatible", "fields": ["base_url": llm.baseURL, "api_key": llmKey],
        ])
        let llmID = try #require(model.object["id"] as? String, "[\(label)] llm credential: \(model.status) \(model.text)")
        let flow = try await api.send(.POST, base + "/flows", bearer: bearer,
                                      json: ["name": "crash", "document": Self.flow(bot: botID, llm: llmID)])
        let flowID = try #require(flow.object["id"] as? String, "[\(label)] flow: \(flow.status) \(flow.text)")
        let etag = try #require(flow.headers.first(name: "ETag"), "[\(label)] flow without ETag")
        let deployed = try await api.send(.POST, base + "/flows/\(flowID)/deploy", bearer: bearer,
                                          headers: ["If-Match": etag], json: ["version": 1])
        let path = try #require((deployed.object["webhook"] as? [String: Any])?["path"] as? String,
                                "[\(label)] deploy: \(deployed.status) \(deployed.text)")
        let registration = try #require(telegram.webhookCalls.all.last { $0.method == "setWebhook" },
                                        "[\(label)] deploy made no setWebhook call")
        let secret = try #require(registration.secretToken, "[\(label)] setWebhook without a secret token")

        // Worker 1 takes jobs while the LLM holds every call.
        llm.stall()
        let first = try processes.start(["worker"], role: "worker-1", in: directory, environment: environment)
        _ = try await first.waitForLog(matching: "worker running", timeout: .seconds(60))

        let events = (0..<Self.events).map { index in
            (updateID: Int64(910_000 + index), chatID: Int64(7_000 + index), text: "crash event \(index) \(label)")
        }
        let answers = try await withThrowingTaskGroup(of: CrashAPI.Answer.self) { group in
            for event in events {
                group.addTask {
                    try await api.send(.POST, path, headers: ["X-Telegram-Bot-Api-Secret-Token": secret],
                                       body: TelegramUpdates.message(updateID: event.updateID, chatID: event.chatID, text: event.text))
                }
            }
            return try await group.reduce(into: [CrashAPI.Answer]()) { $0.append($1) }
        }
        let refused = answers.filter { $0.status != 200 }
        #expect(refused.isEmpty, "[\(label)] webhook refused: \(refused.map { "\($0.status) \($0.text)" })")
        let accepted = answers.reduce(0) { $0 + (($1.object["accepted"] as? Int) ?? 0) }
        try #require(accepted == Self.events, "[\(label)] accepted \(accepted) of \(Self.events)")

        // The worker's slots fill up in the LLM step: leased, in flight.
        do {
            try await llm.waitUntilHeld(count: Self.concurrency, timeout: .seconds(60))
        } catch {
            Issue.record("[\(label)] the LLM never held \(Self.concurrency) calls (held \(llm.held)): \(Self.relevant(first.logText))")
            throw error
        }
        let held = llm.held
        let ended = await first.signal(SIGKILL, waitUpTo: .seconds(20))
        try #require(ended, "[\(label)] worker 1 survived SIGKILL")
        #expect(first.process.terminationReason == .uncaughtSignal && first.process.terminationStatus == SIGKILL,
                "[\(label)] worker 1 ended by \(first.process.terminationReason) \(first.process.terminationStatus), not SIGKILL")
        // The scenario's premise: the kill came before any reply was sent.
        #expect(telegram.messages.count == 0, "[\(label)] \(telegram.messages.count) replies sent before the kill")
        llm.release()

        // Worker 2 runs the queued jobs, then the killed worker's once their leases expire.
        let second = try processes.start(["worker"], role: "worker-2", in: directory, environment: environment)
        do {
            try await telegram.messages.waitUntil(count: Self.events, timeout: .seconds(90))
        } catch {
            Issue.record("""
                [\(label)] \(telegram.messages.count) of \(Self.events) replies within 90 s after the restart
                worker-1: \(Self.relevant(first.logText))
                worker-2: \(Self.relevant(second.logText))
                server: \(Self.relevant(server.logText))
                """)
            throw error
        }
        // Every execution finished (the reply is sent before the final save).
        var executions: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(30)
        repeat {
            let page = try await api.send(.GET, base + "/executions?limit=100", bearer: bearer)
            executions = page.object["items"] as? [[String: Any]] ?? []
            let finished = executions.filter { ["succeeded", "failed", "dead"].contains($0["status"] as? String ?? "") }
            if executions.count >= Self.events && finished.count == executions.count { break }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        // Stopped before counting: no late delivery can come after the count.
        let drained = await second.signal(SIGTERM, waitUpTo: .seconds(30))
        #expect(drained && second.process.terminationStatus == 0,
                "[\(label)] worker 2 did not stop cleanly on SIGTERM: \(Self.relevant(second.logText))")

        // Exactly once per accepted event, and nothing else.
        let counts = telegram.deliveryCounts()
        var missing: [String] = []
        var doubled: [String: Int] = [:]
        for event in events {
            let delivered = counts["\(event.chatID)\u{1F}Answer: \(event.text)"] ?? 0
            if delivered == 0 { missing.append(event.text) }
            if delivered > 1 { doubled[event.text] = delivered }
        }
        let expectedKeys = Set(events.map { "\($0.chatID)\u{1F}Answer: \($0.text)" })
        let unexpected = counts.filter { !expectedKeys.contains($0.key) }
        let duplicates = counts.values.reduce(0) { $0 + max(0, $1 - 1) }
        let succeeded = executions.filter { $0["status"] as? String == "succeeded" }.count
        let recovered = executions.filter { ($0["attempts"] as? Int ?? 0) >= 2 }.count
        let llmCalls = llm.chatCalls.count
        let figures = "accepted=\(accepted) executed=\(succeeded) delivered=\(telegram.messages.count) duplicates=\(duplicates) "
            + "held_at_kill=\(held) recovered_attempt2=\(recovered) llm_calls=\(llmCalls)"
        print("WorkerCrashTests[\(label)]: \(figures)")

        #expect(missing.isEmpty, "[\(label)] lost events: \(missing) — \(figures)")
        #expect(doubled.isEmpty, "[\(label)] delivered more than once: \(doubled) — \(figures)")
        #expect(unexpected.isEmpty, "[\(label)] deliveries no event asked for: \(unexpected) — \(figures)")
        #expect(telegram.messages.count == Self.events, "[\(label)] \(figures)")
        #expect(executions.count == Self.events, "[\(label)] \(executions.count) executions — \(figures)")
        let outcomes = executions.map { "\($0["status"] ?? "?") \($0["error"] ?? "")" }
        #expect(succeeded == Self.events, "[\(label)] not all succeeded: \(outcomes) — \(figures)")
        // The lease expiry brought the killed worker's jobs back: those, and only those, ran twice.
        #expect(recovered >= 1, "[\(label)] no execution ran a second attempt — \(figures)")
        #expect(recovered == held, "[\(label)] \(recovered) executions with a second attempt, \(held) were held at the kill — \(figures)")
        // The reply step never started before the kill, so no attempt may say it was repeated.
        let repeatedNotes = executions.flatMap { ($0["steps"] as? [[String: Any]]) ?? [] }
            .compactMap { $0["error"] as? String }.filter { $0.contains("received it twice") }
        #expect(repeatedNotes.isEmpty, "[\(label)] steps marked as repeated: \(repeatedNotes)")
    }

    /// Telegram update → LLM answer ("Answer: <text>" from the fake) → reply to the same chat.
    static func flow(bot: String, llm: String) -> [String: Any] {
        [
            "nodes": [
                ["id": "trigger", "type": "telegram.update", "version": 1,
                 "settings": ["credential": bot, "updates": ["message"]]],
                ["id": "answer", "type": "llm.chat", "version": 1,
                 "settings": ["credential": llm, "model": "gpt-4o-mini", "system_prompt": "Answer briefly."]],
                ["id": "reply", "type": "telegram.send_message", "version": 1,
                 "settings": ["credential": bot, "text": "{{input}}"]],
            ],
            "edges": [
                ["from": ["node": "trigger", "port": "message"], "to": ["node": "answer", "port": "input"]],
                ["from": ["node": "answer", "port": "output"], "to": ["node": "reply", "port": "input"]],
            ],
        ]
    }

    /// The log lines worth quoting in a failure: warnings and worse, and the
    /// worker's own lifecycle lines (bounded).
    static func relevant(_ log: String) -> String {
        let keep = ["warning", "error", "critical", "worker ", "job", "lease"]
        let lines = log.split(separator: "\n").filter { line in keep.contains { line.lowercased().contains($0) } }
        return lines.suffix(40).joined(separator: "\n")
    }
}

/// JSON over loopback HTTP to the server under test.
struct CrashAPI: Sendable {
    let base: String

    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let text: String

        var json: Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    func send(_ method: HTTPMethod, _ path: String, bearer: String? = nil, headers: [String: String] = [:],
              json: [String: Any]) async throws -> Answer {
        try await send(method, path, bearer: bearer, headers: headers,
                       body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    func send(_ method: HTTPMethod, _ path: String, bearer: String? = nil, headers: [String: String] = [:],
              body: [UInt8]? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, text: String(buffer: bytes))
    }
}
