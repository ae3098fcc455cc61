import Foundation
import SMFCore
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// Credentials for the vault tests. Every secret is made at run time (no
/// token-shaped literal in the repository for the secret scanners to flag),
/// and each is long enough (≥ 12 characters) to get a hint.
enum CredentialFixtures {
    static func key() -> SecretValue { SecretValue(SecretGenerator.hexKey(byteCount: 32)) }

    /// A configuration change that gives the app a vault key.
    static func withKey(_ key: SecretValue, previous: [SecretValue] = []) -> (inout AppConfig) -> Void {
        { config in
            config.encryptionKey = key
            config.encryptionKeyPrevious = previous
        }
    }

    static func botToken() -> String {
        "\(Int.random(in: 100_000_000...999_999_999)):" + OpaqueToken.generate().prefix(35)
    }

    /// Valid fields of `kind`: (secret fields, public fields).
    static func fields(_ kind: CredentialKind) -> (secrets: [String: String], public: [String: String]) {
        switch kind {
        case .telegramBot:
            (["bot_token": botToken()], [:])
        case .instagramAccount:
            (["access_token": "IGQ" + OpaqueToken.generate(), "app_secret": SecretGenerator.hexKey(byteCount: 16),
              "verify_token": "vt-" + OpaqueToken.generate().prefix(20)],
             ["ig_user_id": "17841400000000001"])
        case .llmOpenAICompatible:
            (["api_key": "sk-" + OpaqueToken.generate()], ["base_url": "https://llm.example.com/v1"])
        case .httpHeader:
            (["header_value": "hv-" + OpaqueToken.generate()], ["header_name": "X-Api-Key"])
        }
    }

    static func allFields(_ kind: CredentialKind) -> (all: [String: String], secrets: [String]) {
        let (secrets, publicFields) = fields(kind)
        return (secrets.merging(publicFields) { a, _ in a }, Array(secrets.values))
    }
}

/// A workspace owner calling the credentials API.
struct CredentialAPI {
    let app: Application
    let flows: FlowFixtures
    var headers: HTTPHeaders { flows.headers }
    var workspaceID: UUID { flows.workspaceID }
    var base: String { "/api/v1/workspaces/\(workspaceID.uuidString.lowercased())/credentials" }

    static func make(_ app: Application, name: String = "Acme") async throws -> CredentialAPI {
        CredentialAPI(app: app, flows: try await FlowFixtures.make(app, name: name))
    }

    func create(_ kind: CredentialKind, name: String = "cred", fields: [String: Any], headers: HTTPHeaders? = nil) async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(
            .POST, base, headers: (headers ?? self.headers).adding(.json),
            body: jsonBody(["name": name, "kind": kind.rawValue, "fields": fields]))
    }

    /// Creates one and returns its id and the secret values sent.
    func created(_ kind: CredentialKind, name: String = "cred") async throws -> (id: String, secrets: [String]) {
        let (fields, secrets) = CredentialFixtures.allFields(kind)
        let response = try await create(kind, name: name, fields: fields)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return (try #require(response.json["id"] as? String), secrets)
    }

    func send(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, headers: HTTPHeaders? = nil) async throws -> TestingHTTPResponse {
        var all = headers ?? self.headers
        if body != nil { all = all.adding(.json) }
        return try await app.testing().sendRequest(method, path, headers: all, body: body.map(jsonBody))
    }
}
