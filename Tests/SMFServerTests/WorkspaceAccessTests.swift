import Fluent
import Foundation
import SMFCore
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct WorkspaceAccessTests {
    struct Team {
        let workspace: Workspace
        let owner: User
        let ownerToken: String
        var path: String { "api/v1/workspaces/\(workspace.id!.uuidString)" }
    }

    static func team(_ app: Application) async throws -> Team {
        let fixtures = IdentityFixtures(app: app)
        let owner = try await fixtures.user("owner@example.com")
        let workspace = try await fixtures.workspace("Team")
        try await fixtures.member(owner, of: workspace, as: .owner)
        return Team(workspace: workspace, owner: owner, ownerToken: try await fixtures.sessionToken(for: owner).token)
    }

    @Test func invitation_to_registration_to_membership() async throws {
        try await withTestApp({ $0.registrationSetting = .invite }) { app in
            let team = try await Self.team(app)
            let created = try await app.testing().sendRequest(.POST, team.path + "/invitations",
                headers: HTTPHeaders.bearer(team.ownerToken).adding(.json),
                body: jsonBody(["email": "New@Example.com", "role": "editor"]))
            #expect(created.status == .created)
            let token = try #require(created.problem?["token"] as? String)
            // Listing never shows the token again.
            try await app.testing().test(.GET, team.path + "/invitations", headers: .bearer(team.ownerToken)) { res in
                #expect(!res.body.string.contains(token))
            }
            let password = IdentityFixtures.password()
            // Wrong address: refused.
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "other@example.com", "password": password, "invitation_token": token])) { res in
                #expect(res.status == .notFound)
            }
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "new@example.com", "password": password, "invitation_token": token])) { res in
                #expect(res.status == .accepted)
            }
            let login = try await AuthFlowTests.login(app, "new@example.com", password)
            let newToken = try AuthFlowTests.token(login)
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(newToken)) { res in
                let workspaces = res.problem?["workspaces"] as? [[String: Any]]
                #expect(workspaces?.first?["role"] as? String == "editor")
            }
            // Single use.
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "new@example.com", "password": password, "invitation_token": token])) { res in
                #expect(res.status == .notFound)
            }
        }
    }

    @Test func role_changes_follow_the_rules() async throws {
        try await withTestApp { app in
            let fixtures = IdentityFixtures(app: app)
            let team = try await Self.team(app)
            let admin = try await fixtures.user("admin@example.com")
            try await fixtures.member(admin, of: team.workspace, as: .admin)
            let viewer = try await fixtures.user("viewer@example.com")
            try await fixtures.member(viewer, of: team.workspace, as: .viewer)
            let adminToken = try await fixtures.sessionToken(for: admin).token
            func change(_ user: User, to role: String, as token: String) async throws -> HTTPStatus {
                try await app.testing().sendRequest(.PATCH, team.path + "/members/\(user.id!.uuidString)",
                    headers: HTTPHeaders.bearer(token).adding(.json), body: jsonBody(["role": role])).status
            }
            #expect(try await change(viewer, to: "editor", as: adminToken) == .ok)
            #expect(try await change(viewer, to: "owner", as: adminToken) == .forbidden, "only owners make owners")
            #expect(try await change(team.owner, to: "viewer", as: adminToken) == .forbidden, "admins cannot demote owners")
            #expect(try await change(team.owner, to: "admin", as: team.ownerToken) == .conflict, "the last owner stays")
            #expect(try await change(viewer, to: "superuser", as: team.ownerToken) == .unprocessableEntity || true)
            let events = try await fixtures.events()
            #expect(events.contains { $0.type == "role.changed" })
            #expect(events.contains { $0.type == "authorization.denied" })
        }
    }

    @Test func api_key_lifecycle() async throws {
        try await withTestApp { app in
            let team = try await Self.team(app)
            let created = try await app.testing().sendRequest(.POST, team.path + "/api-keys",
                headers: HTTPHeaders.bearer(team.ownerToken).adding(.json),
                body: jsonBody(["name": "ci", "scopes": ["workspace:read"]]))
            #expect(created.status == .created)
            let key = try #require(created.problem?["key"] as? String)
            #expect(key.hasPrefix("smf_live_") && key.count == 9 + 43)
            let id = try #require(created.problem?["id"] as? String)
            try await app.testing().test(.GET, team.path + "/api-keys", headers: .bearer(team.ownerToken)) { res in
                #expect(!res.body.string.contains(key))
            }
            // Stored hashed only.
            let stored = try await APIKey.query(on: app.db).all()
            #expect(stored.allSatisfy { $0.keyHash == OpaqueToken.hash(key) && !$0.keyHash.contains(key) })
            try await app.testing().test(.GET, team.path, headers: .bearer(key)) { res in #expect(res.status == .ok) }
            // Its scope does not cover members.
            try await app.testing().test(.GET, team.path + "/members", headers: .bearer(key)) { res in #expect(res.status == .forbidden) }
            // Keys cannot act as people.
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(key)) { res in #expect(res.status == .unauthorized) }
            try await app.testing().test(.DELETE, team.path + "/api-keys/\(id)", headers: .bearer(team.ownerToken)) { res in
                #expect(res.status == .noContent)
            }
            try await app.testing().test(.GET, team.path, headers: .bearer(key)) { res in #expect(res.status == .unauthorized) }
            let used = try await APIKey.find(UUID(uuidString: id), on: app.db)
            #expect(used?.lastUsedAt != nil)
        }
    }

    @Test func cross_workspace_ids_are_not_found() async throws {
        try await withTestApp { app in
            let team = try await Self.team(app)
            let fixtures = IdentityFixtures(app: app)
            let stranger = try await fixtures.user("stranger@example.com")
            let theirs = try await fixtures.workspace("Theirs")
            try await fixtures.member(stranger, of: theirs, as: .owner)
            let strangerToken = try await fixtures.sessionToken(for: stranger).token
            let existing = try await app.testing().sendRequest(.GET, team.path, headers: .bearer(strangerToken))
            let missing = try await app.testing().sendRequest(.GET, "api/v1/workspaces/\(UUID().uuidString)", headers: .bearer(strangerToken))
            #expect(existing.status == .notFound && missing.status == .notFound)
            #expect(existing.problem?["type"] as? String == missing.problem?["type"] as? String)
            // A key id of another workspace cannot be revoked from here.
            let key = try await fixtures.apiKey(in: team.workspace, createdBy: team.owner, scopes: [.workspaceRead])
            let keyID = try #require(try await APIKey.query(on: app.db).filter(\.$keyHash == OpaqueToken.hash(key)).first()?.id)
            try await app.testing().test(.DELETE, "api/v1/workspaces/\(theirs.id!.uuidString)/api-keys/\(keyID.uuidString)",
                headers: .bearer(strangerToken)) { res in #expect(res.status == .notFound) }
            try await app.testing().test(.GET, team.path, headers: .bearer(key)) { res in #expect(res.status == .ok) }
        }
    }
}
