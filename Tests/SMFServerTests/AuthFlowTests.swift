import Fluent
import Foundation
import SMFCore
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct AuthFlowTests {
    static func login(_ app: Application, _ email: String, _ password: String, delivery: String = "bearer",
                      headers: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(
            .POST, "api/v1/auth/login", headers: HTTPHeaders.json.adding(headers),
            body: jsonBody(["email": email, "password": password, "delivery": delivery]))
    }

    static func token(_ response: TestingHTTPResponse) throws -> String {
        try #require(response.problem?["token"] as? String)
    }

    @Test func register_then_login_then_me() async throws {
        try await withTestApp { app in
            let password = IdentityFixtures.password()
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                                         body: jsonBody(["email": " Alice@Example.COM ", "password": password])) { res in
                #expect(res.status == .accepted)
            }
            let login = try await Self.login(app, "alice@example.com", password)
            #expect(login.status == .ok)
            let token = try Self.token(login)
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(token)) { res in
                #expect(res.status == .ok)
                #expect(res.problem?["email"] as? String == "Alice@example.com")
                let workspaces = try #require(res.problem?["workspaces"] as? [[String: Any]])
                #expect(workspaces.first?["role"] as? String == "owner")
            }
        }
    }

    @Test func registration_does_not_reveal_existing_accounts() async throws {
        try await withTestApp { app in
            try await IdentityFixtures(app: app).user("taken@example.com")
            let first = try await app.testing().sendRequest(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "taken@example.com", "password": IdentityFixtures.password()]))
            let second = try await app.testing().sendRequest(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "fresh@example.com", "password": IdentityFixtures.password()]))
            #expect(first.status == second.status)
            #expect(first.body.string == second.body.string)
        }
    }

    @Test func registration_validates_and_refuses_mass_assignment() async throws {
        try await withTestApp { app in
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "bob@example.com", "password": "password1234", "role": "owner"])) { res in
                #expect(res.status == .unprocessableEntity)
                let pointers = (res.problem?["errors"] as? [[String: Any]])?.compactMap { $0["pointer"] as? String } ?? []
                #expect(pointers.contains("/role"))
                #expect(pointers.contains("/password"))
            }
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "bob@example.com", "password": "bob-bob-bob-bob-1"])) { res in
                #expect(res.status == .unprocessableEntity, "a password containing the email's local part")
            }
        }
    }

    @Test func registration_modes() async throws {
        try await withTestApp({ $0.registrationSetting = .closed }) { app in
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "c@example.com", "password": IdentityFixtures.password()])) { res in
                #expect(res.status == .forbidden)
            }
        }
        try await withTestApp({ productionMode(&$0) }) { app in
            #expect(app.smf.config.registration == .invite)
            try await app.testing().test(.POST, "api/v1/auth/register", headers: .json,
                body: jsonBody(["email": "c@example.com", "password": IdentityFixtures.password()])) { res in
                #expect(res.status == .forbidden)
                #expect(res.problem?["type"] as? String == "urn:smflow:problem:invitation-required")
            }
        }
    }

    @Test func login_failures_look_the_same_for_unknown_and_known_accounts() async throws {
        try await withTestApp { app in
            try await IdentityFixtures(app: app).user("known@example.com")
            let unknown = try await Self.login(app, "nobody@example.com", "wrong-password-123")
            let wrong = try await Self.login(app, "known@example.com", "wrong-password-123")
            #expect(unknown.status == .unauthorized && wrong.status == .unauthorized)
            for key in ["type", "title", "status", "detail"] {
                #expect("\(unknown.problem?[key] ?? "")" == "\(wrong.problem?[key] ?? "")")
            }
        }
    }

    @Test func every_login_gets_a_new_session_and_cookie_attributes_are_strict() async throws {
        try await withTestApp { app in
            let password = IdentityFixtures.password()
            try await IdentityFixtures(app: app).user("c@example.com", password: password)
            let first = try await Self.login(app, "c@example.com", password, delivery: "cookie")
            let second = try await Self.login(app, "c@example.com", password, delivery: "cookie")
            let cookies = first.headers[.setCookie]
            let session = try #require(cookies.first { $0.hasPrefix("__Host-smf_session=") })
            for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
                #expect(session.contains(attribute), "session cookie lacks \(attribute): \(session)")
            }
            #expect(!session.contains("Domain"))
            let csrf = try #require(cookies.first { $0.hasPrefix("__Host-smf_csrf=") })
            #expect(csrf.contains("Secure") && !csrf.contains("HttpOnly"))
            // Cookie delivery never puts the token in the body.
            #expect(first.problem?["token"] == nil)
            let secondSession = try #require(second.headers[.setCookie].first { $0.hasPrefix("__Host-smf_session=") })
            #expect(session.split(separator: ";")[0] != secondSession.split(separator: ";")[0])
        }
    }

    @Test func logout_logout_all_and_password_change_revoke_sessions() async throws {
        try await withTestApp { app in
            let password = IdentityFixtures.password()
            try await IdentityFixtures(app: app).user("d@example.com", password: password)
            let one = try Self.token(try await Self.login(app, "d@example.com", password))
            let two = try Self.token(try await Self.login(app, "d@example.com", password))
            try await app.testing().test(.POST, "api/v1/auth/logout", headers: .bearer(one)) { res in #expect(res.status == .noContent) }
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(one)) { res in #expect(res.status == .unauthorized) }
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(two)) { res in #expect(res.status == .ok) }
            try await app.testing().test(.POST, "api/v1/auth/logout-all", headers: .bearer(two)) { res in #expect(res.status == .noContent) }
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(two)) { res in #expect(res.status == .unauthorized) }

            let three = try Self.token(try await Self.login(app, "d@example.com", password))
            let four = try Self.token(try await Self.login(app, "d@example.com", password))
            let newPassword = IdentityFixtures.password()
            try await app.testing().test(.POST, "api/v1/auth/password", headers: HTTPHeaders.bearer(three).adding(.json),
                body: jsonBody(["current_password": password, "new_password": newPassword])) { res in
                #expect(res.status == .noContent)
            }
            for token in [three, four] {
                try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(token)) { res in #expect(res.status == .unauthorized) }
            }
            #expect(try await Self.login(app, "d@example.com", password).status == .unauthorized)
            #expect(try await Self.login(app, "d@example.com", newPassword).status == .ok)
        }
    }

    @Test func idle_and_absolute_timeouts() async throws {
        let clock = ManualClock()
        try await withTestApp({ _ in }, clock: clock.clock) { app in
            let password = IdentityFixtures.password()
            try await IdentityFixtures(app: app).user("e@example.com", password: password)
            // Idle: 31 minutes without a request.
            let idle = try Self.token(try await Self.login(app, "e@example.com", password))
            clock.advance(by: 31 * 60)
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(idle)) { res in #expect(res.status == .unauthorized) }
            // Absolute: busy every 20 minutes, still over after 12 hours.
            let busy = try Self.token(try await Self.login(app, "e@example.com", password))
            for _ in 0..<35 {
                clock.advance(by: 20 * 60)
                try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(busy)) { res in #expect(res.status == .ok) }
            }
            clock.advance(by: 21 * 60)
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(busy)) { res in #expect(res.status == .unauthorized) }
        }
    }

    @Test func cookie_requests_need_origin_and_csrf_token_bearer_requests_do_not() async throws {
        try await withTestApp({ $0.corsOrigins = [CORSOrigin("https://console.example.com")!] }) { app in
            let fixtures = IdentityFixtures(app: app)
            let user = try await fixtures.user("f@example.com")
            let (token, csrf) = try await fixtures.sessionToken(for: user)
            let cookie: HTTPHeaders = ["Cookie": "__Host-smf_session=\(token)"]
            let body = jsonBody(["name": "New"])
            // No CSRF token.
            try await app.testing().test(.POST, "api/v1/workspaces",
                headers: cookie.adding(.json).adding(["Origin": "https://console.example.com"]), body: body) { res in
                #expect(res.status == .forbidden)
                #expect(res.problem?["type"] as? String == "urn:smflow:problem:csrf-rejected")
            }
            // Token, but a foreign origin.
            try await app.testing().test(.POST, "api/v1/workspaces",
                headers: cookie.adding(.json).adding(["Origin": "https://evil.example", "X-CSRF-Token": csrf]), body: body) { res in
                #expect(res.status == .forbidden)
            }
            // Wrong token from the right origin.
            try await app.testing().test(.POST, "api/v1/workspaces",
                headers: cookie.adding(.json).adding(["Origin": "https://console.example.com", "X-CSRF-Token": OpaqueToken.generate()]), body: body) { res in
                #expect(res.status == .forbidden)
            }
            // Both right.
            try await app.testing().test(.POST, "api/v1/workspaces",
                headers: cookie.adding(.json).adding(["Origin": "https://console.example.com", "X-CSRF-Token": csrf]), body: body) { res in
                #expect(res.status == .created)
            }
            try await app.testing().test(.POST, "api/v1/workspaces",
                headers: cookie.adding(.json).adding(["Sec-Fetch-Site": "same-origin", "X-CSRF-Token": csrf]), body: body) { res in
                #expect(res.status == .created)
            }
            // Reads need no token.
            try await app.testing().test(.GET, "api/v1/auth/me", headers: cookie) { res in #expect(res.status == .ok) }
            // Bearer: no CSRF check.
            try await app.testing().test(.POST, "api/v1/workspaces", headers: HTTPHeaders.bearer(token).adding(.json), body: body) { res in
                #expect(res.status == .created)
            }
            let rejected = try await fixtures.events().filter { $0.type == "csrf.rejected" }
            #expect(rejected.count == 3)
        }
    }

    @Test func five_failures_throttle_the_account_even_with_the_right_password() async throws {
        let clock = ManualClock()
        try await withTestApp({ _ in }, clock: clock.clock) { app in
            let password = IdentityFixtures.password()
            try await IdentityFixtures(app: app).user("g@example.com", password: password)
            for _ in 0..<5 {
                #expect(try await Self.login(app, "g@example.com", "wrong-password-123").status == .unauthorized)
            }
            let throttled = try await Self.login(app, "g@example.com", password)
            #expect(throttled.status == .tooManyRequests)
            let retryAfter = try #require(throttled.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 30)
            // Not forever: after the delay the owner gets in.
            clock.advance(by: Double(retryAfter) + 1)
            #expect(try await Self.login(app, "g@example.com", password).status == .ok)
            // Unknown accounts are throttled the same way (no oracle).
            for _ in 0..<5 { _ = try await Self.login(app, "ghost@example.com", "wrong-password-123") }
            #expect(try await Self.login(app, "ghost@example.com", "wrong-password-123").status == .tooManyRequests)
        }
    }

    @Test func per_ip_throttle_across_accounts() async throws {
        try await withTestApp { app in
            // Credential stuffing: one failure per account, 20 accounts, same client.
            for index in 0..<20 {
                _ = try await Self.login(app, "victim\(index)@example.com", "wrong-password-123")
            }
            #expect(try await Self.login(app, "another@example.com", "wrong-password-123").status == .tooManyRequests)
        }
    }

    @Test func wrong_current_passwords_throttle_the_password_change() async throws {
        try await withTestApp { app in
            let fixtures = IdentityFixtures(app: app)
            let password = IdentityFixtures.password()
            let user = try await fixtures.user("p@example.com", password: password)
            let token = try await fixtures.sessionToken(for: user).token
            func change(_ current: String) async throws -> HTTPStatus {
                try await app.testing().sendRequest(.POST, "api/v1/auth/password", headers: HTTPHeaders.bearer(token).adding(.json),
                    body: jsonBody(["current_password": current, "new_password": IdentityFixtures.password()])).status
            }
            for _ in 0..<5 { #expect(try await change("wrong-password-123") == .unprocessableEntity) }
            #expect(try await change(password) == .tooManyRequests)
        }
    }

    @Test func disabled_accounts_cannot_sign_in_or_use_sessions() async throws {
        try await withTestApp { app in
            let password = IdentityFixtures.password()
            let fixtures = IdentityFixtures(app: app)
            let user = try await fixtures.user("h@example.com", password: password)
            let token = try Self.token(try await Self.login(app, "h@example.com", password))
            user.isDisabled = true
            try await user.save(on: app.db)
            #expect(try await Self.login(app, "h@example.com", password).status == .unauthorized)
            try await app.testing().test(.GET, "api/v1/auth/me", headers: .bearer(token)) { res in #expect(res.status == .unauthorized) }
        }
    }

    @Test func test_api_keys_are_refused_in_production() async throws {
        try await withTestApp({ productionMode(&$0) }) { app in
            let fixtures = IdentityFixtures(app: app)
            let owner = try await fixtures.user("i@example.com")
            let workspace = try await fixtures.workspace("W")
            try await fixtures.member(owner, of: workspace, as: .owner)
            let testKey = try await fixtures.apiKey(in: workspace, createdBy: owner, scopes: [.workspaceRead], test: true)
            let liveKey = try await fixtures.apiKey(in: workspace, createdBy: owner, scopes: [.workspaceRead])
            let path = "api/v1/workspaces/\(try workspace.requireID())"
            try await app.testing().test(.GET, path, headers: .bearer(testKey)) { res in #expect(res.status == .unauthorized) }
            try await app.testing().test(.GET, path, headers: .bearer(liveKey)) { res in #expect(res.status == .ok) }
            // Nor can one be created.
            let session = try await fixtures.sessionToken(for: owner).token
            try await app.testing().test(.POST, path + "/api-keys", headers: HTTPHeaders.bearer(session).adding(.json),
                body: jsonBody(["name": "ci", "scopes": ["flows:read"], "test": true])) { res in
                #expect(res.status == .unprocessableEntity)
            }
        }
    }
}
