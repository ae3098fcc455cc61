import Fluent
import SMFCore
import SMFSecurity
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
        let context = request.application.smf
        let now = context.clock.now()
        guard let session = try await Session.query(on: request.db)
            .filter(\.$tokenHash == OpaqueToken.hash(token)).first(),
            let sessionID = session.id,
            session.revokedAt == nil,
            session.expiresAt > now,
            session.lastSeenAt.addingTimeInterval(context.config.sessionIdleTimeout) > now,
            let user = try await User.find(session.userID, on: request.db),
            !user.isDisabled
        else { throw SMFError.unauthenticated }

        if viaCookie && Self.isUnsafe(request.method) {
            try await CSRFGuard.check(request, csrfHash: session.csrfHash, userID: session.userID)
        }
        // Extends the idle timeout; written at most once a minute to keep
        // reads from turning into writes.
        if now.timeIntervalSince(session.lastSeenAt) > 60 {
            session.lastSeenAt = now
            try await session.save(on: request.db)
        }
        return Caller(userID: session.userID, credential: .session(id: sessionID, viaCookie: viaCookie))
    }

    static func authenticateAPIKey(_ presented: String, request: Request) async throws -> Caller {
        let context = request.application.smf
        let now = context.clock.now()
        guard let key = try await APIKey.query(on: request.db)
            .filter(\.$keyHash == OpaqueToken.hash(presented)).first(),
            let keyID = key.id,
            key.revokedAt == nil,
            key.expiresAt.map({ $0 > now }) ?? true
        else { throw SMFError.unauthenticated }

        // The checklist's "use production API keys": test keys do nothing in production.
        if key.isTest && context.config.isProduction {
            await context.events.record(.apiKeyUsed, .denied, on: request, apiKeyID: keyID,
                                        workspaceID: key.workspaceID, details: ["reason": "test key in production"])
            throw SMFError.unauthenticated
        }
        if key.lastUsedAt.map({ now.timeIntervalSince($0) > 3600 }) ?? true {
            // At most one write and one event per key and hour.
            key.lastUsedAt = now
            try await key.save(on: request.db)
            await context.events.record(.apiKeyUsed, .success, on: request, apiKeyID: keyID, workspaceID: key.workspaceID)
        }
        let scopes = Set(key.scopes.split(separator: " ").compactMap { APIKeyScope(rawValue: String($0)) })
        return Caller(userID: nil, credential: .apiKey(id: keyID, workspaceID: key.workspaceID, scopes: scopes))
    }

    static func isUnsafe(_ method: HTTPMethod) -> Bool {
        ![.GET, .HEAD, .OPTIONS].contains(method)
    }
}
