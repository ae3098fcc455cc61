import Fluent
import SMFCore
import SMFSecurity
import SQLKit
import Vapor

/// Establishes who is calling (checklist key `app.authn-authz`):
/// `Authorization: Bearer` with a session token or an API key, or the
/// session cookie. Anything missing, unknown, expired, revoked or disabled
/// is the same 401, so the answer reveals nothing about which it was.
/// Cookie-authenticated unsafe requests must also pass the CSRF check.
struct AuthenticationMiddleware: AsyncMiddleware {
    /// API keys are refused on routes for people (sign-out, password, …).
    let allowAPIKeys: Bool

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = request.headers.bearerAuthorization?.token {
            if APIKeyFormat.parse(bearer) != nil {
                guard allowAPIKeys else { throw SMFError.unauthenticated }
                request.optionalCaller = try await Self.authenticateAPIKey(bearer, request: request)
            } else {
                request.optionalCaller = try await Self.authenticateSession(bearer, viaCookie: false, request: request)
            }
        } else if let cookie = request.cookies[SessionCookies.session]?.string, !cookie.isEmpty {
            request.optionalCaller = try await Self.authenticateSession(cookie, viaCookie: true, request: request)
        } else {
            throw SMFError.unauthenticated
        }
        return try await next.respond(to: request)
    }

    static func authenticateSession(_ token: String, viaCookie: Bool, request: Request) async throws -> Caller {
        guard OpaqueToken.isWellFormed(token) else { throw SMFError.unauthenticated }
        guard let sql = request.db as? any SQLDatabase else { throw SMFError.internalError }
        let context = request.application.smf
        let now = context.clock.now()
        guard let session = try await Self.findSession(token, context: context, on: sql),
              session.revoked_at == nil,
              session.expires_at > now,
              session.last_seen_at.addingTimeInterval(context.config.sessionIdleTimeout) > now,
              !session.is_disabled
        else { throw SMFError.unauthenticated }

        if viaCookie && Self.isUnsafe(request.method) {
            try await CSRFGuard.check(request, session: session, on: sql)
        }
        // Extends the idle timeout; written at most once a minute to keep
        // reads from turning into writes.
        if now.timeIntervalSince(session.last_seen_at) > 60 {
            try await CredentialLookup.touchSession(session.id, at: now, on: sql)
        }
        return Caller(userID: session.user_id, credential: .session(id: session.id, viaCookie: viaCookie))
    }

    static func authenticateAPIKey(_ presented: String, request: Request) async throws -> Caller {
        guard let sql = request.db as? any SQLDatabase else { throw SMFError.internalError }
        let context = request.application.smf
        let now = context.clock.now()
        guard let key = try await Self.findAPIKey(presented, context: context, on: sql),
              key.revoked_at == nil,
              key.expires_at.map({ $0 > now }) ?? true
        else { throw SMFError.unauthenticated }

        // The checklist's "use production API keys": test keys do nothing in production.
        if key.is_test && context.config.isProduction {
            await context.events.record(.apiKeyUsed, .denied, on: request, apiKeyID: key.id,
                                        workspaceID: key.workspace_id, details: ["reason": "test key in production"])
            throw SMFError.unauthenticated
        }
        if key.last_used_at.map({ now.timeIntervalSince($0) > 3600 }) ?? true {
            // At most one write and one event per key and hour.
            try await CredentialLookup.touchAPIKey(key.id, at: now, on: sql)
            await context.events.record(.apiKeyUsed, .success, on: request, apiKeyID: key.id, workspaceID: key.workspace_id)
        }
        let scopes = Set(key.scopes.split(separator: " ").compactMap { APIKeyScope(rawValue: String($0)) })
        return Caller(userID: nil, credential: .apiKey(id: key.id, workspaceID: key.workspace_id, scopes: scopes))
    }

    /// The session of `token`, under the current key or an older one in
    /// its grace period (`TokenHashing.lookup`).
    static func findSession(_ token: String, context: AppContext, on sql: any SQLDatabase) async throws -> CredentialLookup.SessionRow? {
        try await context.tokens.lookup(
            token, on: sql,
            current: { try await CredentialLookup.session(tokenHash: $0, keyID: $1, on: sql) },
            older: { try await CredentialLookup.session(anyOf: $0, on: sql) },
            stored: { .init(hash: $0.token_hash, keyID: $0.token_key_id, retiresAt: $0.retires_at) },
            rehash: { try await CredentialLookup.rehashSession($0.id, from: $0.token_hash, to: $1, keyID: $2, on: sql) })
    }

    /// The API key `presented`, as `findSession`.
    static func findAPIKey(_ presented: String, context: AppContext, on sql: any SQLDatabase) async throws -> CredentialLookup.APIKeyRow? {
        try await context.tokens.lookup(
            presented, on: sql,
            current: { try await CredentialLookup.apiKey(keyHash: $0, keyID: $1, on: sql) },
            older: { try await CredentialLookup.apiKey(anyOf: $0, on: sql) },
            stored: { .init(hash: $0.key_hash, keyID: $0.hash_key_id, retiresAt: $0.retires_at) },
            rehash: { try await CredentialLookup.rehashAPIKey($0.id, from: $0.key_hash, to: $1, keyID: $2, on: sql) })
    }

    static func isUnsafe(_ method: HTTPMethod) -> Bool {
        ![.GET, .HEAD, .OPTIONS].contains(method)
    }
}
