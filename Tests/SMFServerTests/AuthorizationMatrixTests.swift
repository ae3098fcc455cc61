import Fluent
import Foundation
import SMFCore
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// Every route of `RouteTable` × every kind of caller → the expected
/// outcome, derived from the route's access rule and `AuthorizationPolicy`.
/// A new route is covered automatically; a route registered outside the
/// table fails `every_registered_route_has_an_access_rule`.
@Suite struct AuthorizationMatrixTests {
    enum Principal: String, CaseIterable {
        case anonymous, viewer, editor, admin, owner, outsider
        case apiKeyAllScopes, apiKeyFlowsReadOnly, apiKeyOtherWorkspace
        case expiredSession, revokedSession
    }

    enum Expected: Equatable {
        /// Access granted: the handler ran (any status but 401/403 and the authorization 404).
        case allowed
        case unauthenticated   // 401
        case forbidden         // 403
        case hidden            // 404 urn:smflow:problem:not-found
    }

    static func expected(_ access: RouteAccess, _ principal: Principal) -> Expected {
        switch access {
        case .anonymous:
            return .allowed
        case .user:
            switch principal {
            case .viewer, .editor, .admin, .owner, .outsider: return .allowed
            default: return .unauthenticated
            }
        case .workspace(let action):
            let rule = AuthorizationPolicy.rule(for: action)
            switch principal {
            case .anonymous, .expiredSession, .revokedSession: return .unauthenticated
            case .outsider, .apiKeyOtherWorkspace: return .hidden
            case .viewer: return rule.minimumRole <= .viewer ? .allowed : .forbidden
            case .editor: return rule.minimumRole <= .editor ? .allowed : .forbidden
            case .admin: return rule.minimumRole <= .admin ? .allowed : .forbidden
            case .owner: return .allowed
            case .apiKeyAllScopes: return rule.apiKeyScope != nil ? .allowed : .forbidden
            // A key with one scope may do exactly the actions that name it.
            case .apiKeyFlowsReadOnly: return rule.apiKeyScope == .flowsRead ? .allowed : .forbidden
            }
        }
    }

    @Test func every_route_for_every_principal() async throws {
        try await withTestApp { app in
            let fixtures = IdentityFixtures(app: app)
            let workspace = try await fixtures.workspace("Acme")
            let other = try await fixtures.workspace("Other")
            let workspaceID = try workspace.requireID()
            var users: [Principal: User] = [:]
            for (principal, role) in [(Principal.viewer, WorkspaceRole.viewer), (.editor, .editor), (.admin, .admin), (.owner, .owner)] {
                let user = try await fixtures.user("\(principal.rawValue)@example.com")
                try await fixtures.member(user, of: workspace, as: role)
                users[principal] = user
            }
            let outsider = try await fixtures.user("outsider@example.com")
            try await fixtures.member(outsider, of: other, as: .owner)
            users[.outsider] = outsider
            let owner = try #require(users[.owner])
            let allScopes = try await fixtures.apiKey(in: workspace, createdBy: owner, scopes: APIKeyScope.allCases)
            let flowsReadOnly = try await fixtures.apiKey(in: workspace, createdBy: owner, scopes: [.flowsRead])
            let otherKey = try await fixtures.apiKey(in: other, createdBy: outsider, scopes: APIKeyScope.allCases)

            var checked = 0
            for spec in RouteTable.all {
                for principal in Principal.allCases {
                    // A fresh credential per cell: sign-out routes revoke the one they get.
                    let headers: HTTPHeaders
                    switch principal {
                    case .anonymous: headers = [:]
                    case .apiKeyAllScopes: headers = .bearer(allScopes)
                    case .apiKeyFlowsReadOnly: headers = .bearer(flowsReadOnly)
                    case .apiKeyOtherWorkspace: headers = .bearer(otherKey)
                    case .expiredSession: headers = .bearer(try await fixtures.sessionToken(for: owner, expired: true).token)
                    case .revokedSession: headers = .bearer(try await fixtures.sessionToken(for: owner, revoked: true).token)
                    default: headers = .bearer(try await fixtures.sessionToken(for: try #require(users[principal])).token)
                    }
                    // Placeholders: the workspace under test, random ids for
                    // targets (so allowed calls end in 404 resource-not-found
                    // or 422 and change nothing).
                    let path = spec.path
                        .replacingOccurrences(of: ":workspaceID", with: workspaceID.uuidString)
                        .replacingOccurrences(of: ":userID", with: UUID().uuidString)
                        .replacingOccurrences(of: ":invitationID", with: UUID().uuidString)
                        .replacingOccurrences(of: ":apiKeyID", with: UUID().uuidString)
                        .replacingOccurrences(of: ":flowID", with: UUID().uuidString)
                        .replacingOccurrences(of: ":version", with: "1")
                        .replacingOccurrences(of: ":credentialID", with: UUID().uuidString)
                        .replacingOccurrences(of: ":executionID", with: UUID().uuidString)
                        .replacingOccurrences(of: ":token", with: OpaqueToken.generate())
                    let hasBody = spec.method != .GET && spec.method != .DELETE
                    let response = try await app.testing().sendRequest(
                        spec.method, path, headers: hasBody ? headers.adding(.json) : headers,
                        body: hasBody ? ByteBuffer(string: "{}") : nil)
                    let problemType = response.problem?["type"] as? String
                    let want = Self.expected(spec.access, principal)
                    let got: Expected = switch (response.status.code, problemType) {
                    case (401, _): .unauthenticated
                    case (403, _): .forbidden
                    // Webhooks are anonymous: an unknown endpoint token is a plain 404
                    // for everyone (its signature would be checked next).
                    case (404, "urn:smflow:problem:not-found"?) where spec.path != "metrics" && !spec.path.hasPrefix("hooks/"): .hidden
                    default: .allowed
                    }
                    #expect(got == want, "\(spec.method) \(spec.path) as \(principal.rawValue): \(response.status.code) \(problemType ?? "")")
                    checked += 1
                }
            }
            #expect(checked == RouteTable.all.count * Principal.allCases.count)
        }
    }

    @Test func every_registered_route_has_an_access_rule() async throws {
        try await withTestApp { app in
            let table = Set(RouteTable.all.map { "\($0.method.rawValue) /\($0.path)" })
            let registered = app.routes.all.map { route in
                "\(route.method.rawValue) /" + route.path.map(\.description).joined(separator: "/")
            }
            for route in registered {
                #expect(table.contains(route), "\(route) is registered without an entry in RouteTable")
            }
            for spec in RouteTable.all where spec.path.contains(":workspaceID") {
                guard case .workspace = spec.access else {
                    Issue.record("\(spec.path) is inside a workspace but not authorized by workspace action")
                    continue
                }
            }
        }
    }
}
