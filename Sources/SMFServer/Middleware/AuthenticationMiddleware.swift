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

    /// The session of `token`: under the current key, or else (issue 9)
    /// under an older key still in its grace period — then re-hashed under
    /// the current key, so a session in use survives the rotation.
    static func findSession(_ token: String, context: AppContext, on sql: any SQLDatabase) async throws -> CredentialLookup.SessionRow? {
        let tokens = context.tokens
        if let row = try await CredentialLookup.session(tokenHash: tokens.hash(token), keyID: tokens.currentKeyID, on: sql) {
            return row
        }
        let candidates = tokens.candidateHashes(token, keyIDs: await tokens.graceCandidates(on: sql))
        guard !candidates.isEmpty,
              let row = try await CredentialLookup.session(anyOf: candidates.map(\.hash), on: sql),
              tokens.acceptsOlder(storedHash: row.token_hash, storedKeyID: row.token_key_id, retiresAt: row.retires_at, candidates: candidates)
        else { return nil }
        try await CredentialLookup.rehashSession(row.id, from: row.token_hash, to: tokens.hash(token), keyID: tokens.currentKeyID, on: sql)
        return row
    }

    /// The API key `presented`, as `findSession`.
    static func findAPIKey(_ presented: String, context: AppContext, on sql: any SQLDatabase) async throws -> CredentialLookup.APIKeyRow? {
        let tokens = context.tokens
        if let row = try await CredentialLookup.apiKey(keyHash: tokens.hash(presented), keyID: tokens.currentKeyID, on: sql) {
            return row
        }
        let candidates = tokens.candidateHashes(presented, keyIDs: await tokens.graceCandidates(on: sql))
        guard !candidates.isEmpty,
              let row = try await CredentialLookup.apiKey(anyOf: candidates.map(\.hash), on: sql),
              tokens.acceptsOlder(storedHash: row.key_hash, storedKeyID: row.hash_key_id, retiresAt: row.retires_at, candidates: candidates)
        else { return nil }
        try await CredentialLookup.rehashAPIKey(row.id, from: row.key_hash, to: tokens.hash(presented), keyID: tokens.currentKeyID, on: sql)
        return row
    }

    static func isUnsafe(_ method: HTTPMethod) -> Bool {
        ![.GET, .HEAD, .OPTIONS].contains(method)
    }
}
