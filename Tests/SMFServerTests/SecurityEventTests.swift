import Fluent
import Foundation
import SMFCore
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct SecurityEventTests {
    /// Drives the server through every event type of issue 3.
    @Test func every_event_type_is_written_logged_and_counted() async throws {
        let logs = LogCapture()
        try await withTestApp({ $0.corsOrigins = [CORSOrigin("https://console.example.com")!] }, logs: logs) { app in
            let fixtures = IdentityFixtures(app: app)
            let password = IdentityFixtures.password()
            // registration, login success/failure/throttled
            _ = try await app.testing().sendRequest(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "owner@example.com", "password": password]))
            let token = try AuthFlowTests.token(try await AuthFlowTests.login(app, "owner@example.com", password))
            for _ in 0..<5 { _ = try await AuthFlowTests.login(app, "owner2@example.com", "wrong-password-123") }
            _ = try await AuthFlowTests.login(app, "owner2@example.com", "wrong-password-123")
            let me = try await app.testing().sendRequest(.GET, "api/v1/auth/me", headers: .bearer(token))
            let workspaceID = try #require((me.problem?["workspaces"] as? [[String: Any]])?.first?["workspace_id"] as? String)
            let path = "api/v1/workspaces/\(workspaceID)"
            let auth = HTTPHeaders.bearer(token).adding(.json)
            // invitation sent + accepted, role changed
            let invite = try await app.testing().sendRequest(.POST, path + "/invitations", headers: auth,
                body: jsonBody(["email": "member@example.com", "role": "viewer"]))
            let member = try await fixtures.user("member@example.com")
            let memberToken = try await fixtures.sessionToken(for: member).token
            _ = try await app.testing().sendRequest(.POST, "api/v1/invitations/accept", headers: HTTPHeaders.bearer(memberToken).adding(.json),
                body: jsonBody(["token": try #require(invite.problem?["token"] as? String)]))
            _ = try await app.testing().sendRequest(.PATCH, path + "/members/\(member.id!.uuidString)", headers: auth,
                body: jsonBody(["role": "editor"]))
            // authorization denied (editor renaming), CSRF rejected (cookie without token)
            _ = try await app.testing().sendRequest(.PATCH, path, headers: HTTPHeaders.bearer(memberToken).adding(.json),
                body: jsonBody(["name": "Mine now"]))
            _ = try await app.testing().sendRequest(.POST, "api/v1/workspaces",
                headers: HTTPHeaders([("Cookie", "__Host-smf_session=\(memberToken)"), ("Origin", "https://console.example.com")]).adding(.json),
                body: jsonBody(["name": "x"]))
            // API key created, used, revoked
            let key = try await app.testing().sendRequest(.POST, path + "/api-keys", headers: auth,
                body: jsonBody(["name": "ci", "scopes": ["workspace:read"]]))
            _ = try await app.testing().sendRequest(.GET, path, headers: .bearer(try #require(key.problem?["key"] as? String)))
            _ = try await app.testing().sendRequest(.DELETE, path + "/api-keys/\(try #require(key.problem?["id"] as? String))", headers: .bearer(token))
            // password changed (revokes sessions), logout, logout-all
            let other = try AuthFlowTests.token(try await AuthFlowTests.login(app, "owner@example.com", password))
            _ = try await app.testing().sendRequest(.POST, "api/v1/auth/logout", headers: .bearer(other))
            let third = try AuthFlowTests.token(try await AuthFlowTests.login(app, "owner@example.com", password))
            _ = try await app.testing().sendRequest(.POST, "api/v1/auth/logout-all", headers: .bearer(third))
            let fourth = try AuthFlowTests.token(try await AuthFlowTests.login(app, "owner@example.com", password))
            _ = try await app.testing().sendRequest(.POST, "api/v1/auth/password", headers: HTTPHeaders.bearer(fourth).adding(.json),
                body: jsonBody(["current_password": password, "new_password": IdentityFixtures.password()]))

            let rows = try await fixtures.events()
            let seen = Set(rows.map { "\($0.type)/\($0.outcome)" })
            let expected = ["registration/success", "login/success", "login/failure", "login/throttled", "logout/success",
                            "session.revoked/success", "password.changed/success", "api_key.created/success",
                            "api_key.used/success", "api_key.revoked/success", "invitation.sent/success",
                            "invitation.accepted/success", "role.changed/success", "authorization.denied/denied",
                            "csrf.rejected/denied"]
            for event in expected {
                #expect(seen.contains(event), "no \(event) event; saw \(seen.sorted())")
            }
            // Each is also a log line and a metric sample.
            #expect(logs.lines.filter { $0.contains(#""message":"security event""#) }.count == rows.count)
            let metrics = app.smf.metrics.exposition()
            #expect(metrics.contains(#"security_events_total{type="login",outcome="failure"} 5"#))
            // No secret ends up in a stored event.
            for row in rows {
                #expect(!row.details.contains(password))
                #expect(!row.details.contains(token))
            }
        }
    }

    @Test func events_endpoint_paginates_and_filters() async throws {
        let clock = ManualClock()
        try await withTestApp({ _ in }, clock: clock.clock) { app in
            let team = try await WorkspaceAccessTests.team(app)
            let recorder = app.smf.events
            let request = Request(application: app, on: app.eventLoopGroup.next())
            for index in 0..<25 {
                // Several events share a timestamp: the cursor must still not skip or repeat.
                if index % 3 == 0 { clock.advance(by: 1) }
                await recorder.record(index % 2 == 0 ? .roleChanged : .invitationSent, .success, on: request,
                                      workspaceID: team.workspace.id, details: ["n": String(index)])
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let url = team.path + "/security-events?limit=7" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await app.testing().sendRequest(.GET, url, headers: .bearer(team.ownerToken))
                #expect(page.status == .ok)
                let items = try #require(page.problem?["items"] as? [[String: Any]])
                seen += items.compactMap { ($0["details"] as? [String: String])?["n"] }
                cursor = page.problem?["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 25 && Set(seen).count == 25, "pages gave \(seen)")
            let filtered = try await app.testing().sendRequest(.GET, team.path + "/security-events?type=role.changed&limit=100",
                                                               headers: .bearer(team.ownerToken))
            #expect((filtered.problem?["items"] as? [[String: Any]])?.count == 13)
            try await app.testing().test(.GET, team.path + "/security-events?type=bogus", headers: .bearer(team.ownerToken)) { res in
                #expect(res.status == .badRequest)
            }
            try await app.testing().test(.GET, team.path + "/security-events?limit=1000", headers: .bearer(team.ownerToken)) { res in
                #expect(res.status == .badRequest)
            }
        }
    }

    @Test func event_details_cannot_forge_log_lines() {
        #expect(SecurityEventRecorder.clean("evil\r\nlevel=critical\u{2028}x", limit: 256) == "evillevel=criticalx")
        #expect(SecurityEventRecorder.clean(String(repeating: "a", count: 1000), limit: 256).count == 256)
    }
}
