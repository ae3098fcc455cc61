import Fluent
import Foundation
import SMFCore
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// Accounts, workspaces and credentials for identity tests, made directly in
/// the database (no bcrypt where it is not under test).
struct IdentityFixtures {
    let app: Application

    /// A strong password made at run time.
    static func password() -> String { "pw-" + OpaqueToken.generate() }

    @discardableResult
    func user(_ email: String, password: String? = nil) async throws -> User {
        let hash = try await app.smf.hasher.hash(password ?? Self.password())
        let address = try #require(EmailAddress(email))
        let user = User(email: address.normalized, emailCanonical: address.canonical, passwordHash: hash, now: app.smf.clock.now())
        try await user.save(on: app.db)
        return user
    }

    func workspace(_ name: String) async throws -> Workspace {
        let workspace = Workspace(name: name, now: app.smf.clock.now())
        try await workspace.save(on: app.db)
        return workspace
    }

    func member(_ user: User, of workspace: Workspace, as role: WorkspaceRole) async throws {
        try await Membership(workspaceID: workspace.requireID(), userID: user.requireID(), role: role.rawValue, now: app.smf.clock.now())
            .save(on: app.db)
    }

    /// A session row with a known token; `expired`/`revoked` make dead ones.
    func sessionToken(for user: User, expired: Bool = false, revoked: Bool = false) async throws -> (token: String, csrf: String) {
        let now = app.smf.clock.now()
        let token = OpaqueToken.generate()
        let csrf = OpaqueToken.generate()
        let session = Session(userID: try user.requireID(), tokenHash: OpaqueToken.hash(token), csrfHash: OpaqueToken.hash(csrf),
                              now: now, expiresAt: expired ? now.addingTimeInterval(-1) : now.addingTimeInterval(3600),
                              userAgent: "test", ip: "127.0.0.1")
        if revoked { session.revokedAt = now }
        try await session.save(on: app.db)
        return (token, csrf)
    }

    func apiKey(in workspace: Workspace, createdBy user: User, scopes: [APIKeyScope], test: Bool = false) async throws -> String {
        let secret = APIKeyFormat.make(test: test)
        let key = APIKey()
        key.workspaceID = try workspace.requireID()
        key.name = "fixture"
        key.keyHash = OpaqueToken.hash(secret)
        key.hint = String(secret.prefix(13))
        key.scopes = scopes.map(\.rawValue).joined(separator: " ")
        key.isTest = test
        key.createdBy = try user.requireID()
        key.createdAt = app.smf.clock.now()
        try await key.save(on: app.db)
        return secret
    }

    func events() async throws -> [SecurityEvent] {
        try await SecurityEvent.query(on: app.db).all()
    }
}

extension HTTPHeaders {
    static func bearer(_ token: String) -> HTTPHeaders { ["Authorization": "Bearer \(token)"] }

    static var json: HTTPHeaders { ["Content-Type": "application/json"] }

    func adding(_ other: HTTPHeaders) -> HTTPHeaders {
        var merged = self
        for (name, value) in other { merged.add(name: name, value: value) }
        return merged
    }
}

func jsonBody(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(data: (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8))
}
