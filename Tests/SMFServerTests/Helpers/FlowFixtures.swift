import Fluent
import Foundation
import SMFCore
import Testing
import VaporTesting
@testable import SMFServer

/// Flow documents and a caller for the flows API tests.
struct FlowFixtures {
    let app: Application
    let workspace: Workspace
    let workspaceID: UUID
    /// An owner's bearer session.
    var headers: HTTPHeaders
    let owner: User

    /// The same owner with a fresh session (after the clock moved past the old one).
    func signedInAgain() async throws -> FlowFixtures {
        var copy = self
        copy.headers = .bearer(try await IdentityFixtures(app: app).sessionToken(for: owner).token)
        return copy
    }

    static func make(_ app: Application, name: String = "Acme") async throws -> FlowFixtures {
        let identity = IdentityFixtures(app: app)
        let workspace = try await identity.workspace(name)
        let owner = try await identity.user("owner-\(UUID().uuidString.prefix(8))@example.com")
        try await identity.member(owner, of: workspace, as: .owner)
        let token = try await identity.sessionToken(for: owner).token
        return FlowFixtures(app: app, workspace: workspace, workspaceID: try workspace.requireID(),
                            headers: .bearer(token), owner: owner)
    }

    var base: String { "/api/v1/workspaces/\(workspaceID.uuidString)/flows" }

    func credential(_ kind: CredentialKind, name: String = "cred") async throws -> String {
        let credential = Credential(workspaceID: workspaceID, kind: kind.rawValue, name: name, now: app.smf.clock.now())
        try await credential.save(on: app.db)
        return try credential.requireID().uuidString.lowercased()
    }

    /// Telegram update → LLM answer → Telegram reply; credentials optional
    /// (a save without them is allowed with warnings, a deploy is not).
    /// `manualTrigger`: start with `manual` instead, for deploy tests that are
    /// about versions rather than webhooks (a Telegram trigger needs a bot
    /// token and a public URL to register its webhook).
    static func threeNodes(bot: String?, llm: String?, prompt: String = "Answer briefly: {{input}}",
                           manualTrigger: Bool = false) -> [String: Any] {
        var trigger: [String: Any] = ["updates": ["message"]]
        var chat: [String: Any] = ["model": "gpt-4o-mini", "system_prompt": prompt, "temperature": 0.2]
        var send: [String: Any] = ["text": "{{input}}"]
        if let bot { trigger["credential"] = bot; send["credential"] = bot }
        if let llm { chat["credential"] = llm }
        if manualTrigger { trigger = [:] }
        return [
            "nodes": [
                ["id": "trigger", "type": manualTrigger ? "manual" : "telegram.update", "version": 1, "settings": trigger,
                 "position": ["x": 0, "y": 0]],
                ["id": "answer", "type": "llm.chat", "version": 1, "settings": chat, "position": ["x": 200, "y": 0]],
                ["id": "reply", "type": "telegram.send_message", "version": 1, "settings": send, "position": ["x": 400, "y": 0]],
            ],
            "edges": [
                ["from": ["node": "trigger", "port": "message"], "to": ["node": "answer", "port": "input"]],
                ["from": ["node": "answer", "port": "output"], "to": ["node": "reply", "port": "input"]],
            ],
        ]
    }

    /// A one-node flow (manual trigger), cheap to create in bulk.
    static var minimal: [String: Any] { [
        "nodes": [["id": "start", "type": "manual", "version": 1, "settings": [String: Any]()]],
        "edges": [Any](),
    ] }

    @discardableResult
    func create(name: String, document: [String: Any] = FlowFixtures.minimal, headers: HTTPHeaders? = nil) async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(
            .POST, base, headers: (headers ?? self.headers).adding(.json),
            body: jsonBody(["name": name, "document": document]))
    }

    func send(_ method: HTTPMethod, _ path: String, ifMatch: String? = nil, body: [String: Any]? = nil) async throws -> TestingHTTPResponse {
        var headers = self.headers
        if let ifMatch { headers.add(name: .ifMatch, value: ifMatch) }
        if body != nil { headers = headers.adding(.json) }
        return try await app.testing().sendRequest(method, path, headers: headers, body: body.map(jsonBody))
    }
}

extension TestingHTTPResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }
}
