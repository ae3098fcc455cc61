import Foundation
import SMFCore
import Vapor

/// Who is making an authenticated request: a signed-in user (by session) or
/// an API key. A plain value, not a model, so it can be passed around freely.
struct Caller: Sendable {
    enum Credential: Sendable {
        /// `viaCookie`: the browser sent the session cookie (CSRF rules apply).
        case session(id: UUID, viaCookie: Bool)
        case apiKey(id: UUID, workspaceID: UUID, scopes: Set<APIKeyScope>)
    }

    /// The signed-in user; nil for API keys.
    let userID: UUID?
    let credential: Credential
}

/// What an authorized workspace request may rely on (set by
/// `WorkspaceAuthorizationMiddleware`).
struct WorkspaceGrant: Sendable {
    let workspaceID: UUID
    let caller: Caller
    /// The member's role; nil for API keys.
    let role: WorkspaceRole?
}

extension Request {
    private struct CallerKey: StorageKey { typealias Value = Caller }
    private struct GrantKey: StorageKey { typealias Value = WorkspaceGrant }

    var optionalCaller: Caller? {
        get { storage[CallerKey.self] }
        set { storage[CallerKey.self] = newValue }
    }

    /// The caller of a route behind `AuthenticationMiddleware`.
    func caller() throws -> Caller {
        guard let caller = optionalCaller else { throw SMFError.unauthenticated }
        return caller
    }

    /// The signed-in user of a user-only route.
    func userID() throws -> UUID {
        guard let id = try caller().userID else { throw SMFError.unauthenticated }
        return id
    }

    var optionalGrant: WorkspaceGrant? {
        get { storage[GrantKey.self] }
        set { storage[GrantKey.self] = newValue }
    }

    /// The grant of a route behind `WorkspaceAuthorizationMiddleware`.
    func grant() throws -> WorkspaceGrant {
        guard let grant = optionalGrant else { throw SMFError.forbidden }
        return grant
    }
}
