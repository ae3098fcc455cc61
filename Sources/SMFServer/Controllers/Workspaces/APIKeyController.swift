import Fluent
import SMFCore
import SMFSecurity
import Vapor

/// `/api/v1/workspaces/:workspaceID/api-keys`: keys for automation, shown
/// once at creation (`smf_live_…`, or `smf_test_…` for test keys, which
/// production refuses), stored hashed, revocable.
enum APIKeyController {
    struct CreateBody: StrictBody {
        let name: String
        let scopes: [APIKeyScope]
        let expires_at: Date?
        let test: Bool?
        static let fields: Set<String> = ["name", "scopes", "expires_at", "test"]

        func problems() -> [SMFError.FieldError] {
            var problems: [SMFError.FieldError] = []
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if !(1...100).contains(trimmed.count) { problems.append(.init(pointer: "/name", detail: "Use 1 to 100 characters.")) }
            if scopes.isEmpty || scopes.count > APIKeyScope.allCases.count {
                problems.append(.init(pointer: "/scopes", detail: "Give at least one scope."))
            }
            return problems
        }
    }

    struct KeyBody: Content {
        let id: UUID
        let name: String
        let hint: String
        let scopes: [String]
        let test: Bool
        let created_at: Date
        let expires_at: Date?
        let last_used_at: Date?
        /// The key itself, only in the answer to the creation.
        let key: String?
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let body = try request.decodeStrict(CreateBody.self)
        let context = request.application.smf
        let now = context.clock.now()
        if let expiry = body.expires_at, expiry <= now {
            throw SMFError.validation([.init(pointer: "/expires_at", detail: "Choose a time in the future.")])
        }
        let isTest = body.test ?? false
        if isTest && context.config.isProduction {
            throw SMFError.validation([.init(pointer: "/test", detail: "Test keys cannot be created in production.")])
        }
        let secret = APIKeyFormat.make(test: isTest)
        let key = APIKey()
        key.workspaceID = grant.workspaceID
        key.name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        key.keyHash = context.tokens.hash(secret)
        key.hashKeyID = context.tokens.currentKeyID
        key.hint = String(secret.prefix(APIKeyFormat.livePrefix.count + 4))
        key.scopes = Set(body.scopes).map(\.rawValue).sorted().joined(separator: " ")
        key.isTest = isTest
        key.createdBy = try request.userID()
        key.createdAt = now
        key.expiresAt = body.expires_at
        try await key.save(on: request.db)
        await context.events.record(.apiKeyCreated, .success, on: request, userID: grant.caller.userID,
                                    apiKeyID: key.id, workspaceID: grant.workspaceID, details: ["scopes": key.scopes])
        return try await Self.body(for: key, secret: secret).encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> [KeyBody] {
        let grant = try request.grant()
        return try await APIKey.query(on: request.db).filter(\.$workspaceID == grant.workspaceID)
            .filter(\.$revokedAt == nil).sort(\.$createdAt, .descending).all()
            .map { try body(for: $0, secret: nil) }
    }

    @Sendable static func revoke(_ request: Request) async throws -> HTTPStatus {
        let grant = try request.grant()
        guard let id = request.parameters.get("apiKeyID", as: UUID.self),
              let key = try await APIKey.query(on: request.db).filter(\.$id == id)
                .filter(\.$workspaceID == grant.workspaceID).filter(\.$revokedAt == nil).first()
        else { throw SMFError.resourceNotFound }
        key.revokedAt = request.application.smf.clock.now()
        try await key.save(on: request.db)
        await request.application.smf.events.record(.apiKeyRevoked, .success, on: request, userID: grant.caller.userID,
                                                    apiKeyID: id, workspaceID: grant.workspaceID)
        return .noContent
    }

    static func body(for key: APIKey, secret: String?) throws -> KeyBody {
        KeyBody(id: try key.requireID(), name: key.name, hint: key.hint + "…",
                scopes: key.scopes.split(separator: " ").map(String.init), test: key.isTest,
                created_at: key.createdAt, expires_at: key.expiresAt, last_used_at: key.lastUsedAt, key: secret)
    }
}
