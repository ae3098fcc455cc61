import Foundation
import Testing

/// Redirects, rate limits and the admin allow-list of the shipped nginx
/// configuration (checklist keys app.https, app.rate-limiting,
/// network.admin-private).
@Suite(.serialized, .enabled(if: TestPrograms.liveNginxTestsEnabled, TestPrograms.nginxDisabledReason))
struct NginxRoutingTests {
    @Test func http_redirects_to_https_on_the_same_host() async throws {
        try await NginxStack.with { stack in
            let reply = try await Curl.request(stack.httpBase + "/api/v1/auth/me?next=%2Fconsole", resolve: stack.resolveHTTP)
            #expect(reply.status == 301, "\(reply)")
            #expect(reply.value("Location") == "https://\(NginxStack.serverName)/api/v1/auth/me?next=%2Fconsole")
        }
    }

    @Test func acme_challenge_is_served_over_http_without_redirect() async throws {
        try await NginxStack.with { stack in
            let token = NginxStack.acmeToken
            let reply = try await Curl.request(stack.httpBase + "/.well-known/acme-challenge/\(token)", resolve: stack.resolveHTTP)
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.body == token)
            let unknown = try await Curl.request(stack.httpBase + "/.well-known/acme-challenge/nope", resolve: stack.resolveHTTP)
            #expect(unknown.status == 404, "\(unknown)")
        }
    }

    /// Other Host names never get a redirect built from their Host header.
    @Test func unknown_hosts_get_no_answer_on_http() async throws {
        try await NginxStack.with { stack in
            let reply = try await Curl.request("http://127.0.0.1:\(stack.httpPort)/", headers: ["Host: attacker.example"])
            #expect(reply.status == 0, "\(reply)")
            #expect(reply.value("Location") == nil)
        }
    }

    /// 10 a minute with a burst of 5: six requests pass, the next ones are
    /// refused by nginx (the app's own limit is raised far out of the way, and
    /// nginx's 429 carries no RateLimit-Policy header, the app's does).
    @Test func auth_zone_answers_429_after_its_burst() async throws {
        try await NginxStack.with { stack in
            var statuses: [Int] = []
            for index in 0..<10 {
                let reply = try await stack.get("/api/v1/auth/login", method: "POST", body: "{}",
                                                headers: ["Content-Type: application/json"])
                statuses.append(reply.status)
                if reply.status == 429 {
                    #expect(reply.value("RateLimit-Policy") == nil, "429 came from the app, not nginx: \(reply)")
                    #expect(index >= 6, "refused too early: \(statuses)")
                }
            }
            #expect(statuses.prefix(6).allSatisfy { $0 != 429 }, "\(statuses)")
            #expect(statuses.suffix(2).allSatisfy { $0 == 429 }, "\(statuses)")
            // Other API routes are not in the auth zone.
            let other = try await stack.get("/api/v1")
            #expect(other.status == 200, "\(other)")
        }
    }

    @Test func metrics_and_admin_paths_are_denied_from_a_non_admin_address() async throws {
        // The shipped allow-list (the WireGuard network) does not contain 127.0.0.1.
        try await NginxStack.with { stack in
            for path in ["/metrics", "/api/v1/admin/anything"] {
                let reply = try await stack.get(path, headers: ["X-Forwarded-For: 10.8.0.5"])
                #expect(reply.status == 403, "\(path): \(reply)")
                #expect(!reply.body.contains("# TYPE"), "\(path) leaked metrics")
            }
        }
    }

    /// The positive control: with 127.0.0.2 as the admin network, a request
    /// from 127.0.0.2 reaches the app's metrics and one from 127.0.0.1 does not,
    /// whatever X-Forwarded-For it claims.
    @Test func metrics_reach_the_app_only_from_the_admin_network() async throws {
        try await NginxStack.with(adminAllow: ["127.0.0.2"]) { stack in
            let admin = try await stack.get("/metrics", sourceAddress: "127.0.0.2")
            #expect(admin.status == 200, "\(admin)")
            #expect(admin.body.contains("# TYPE"), "\(admin)")
            let other = try await stack.get("/metrics", headers: ["X-Forwarded-For: 127.0.0.2"], sourceAddress: "127.0.0.1")
            #expect(other.status == 403, "\(other)")
        }
    }
}
