import Foundation
import Testing

/// The security headers through nginx on every kind of answer (checklist
/// keys app.security-headers, mistake.missing-headers). The old deployment
/// lost them in every location with an `add_header` of its own; each case
/// below goes through a different location or a response nginx makes itself.
@Suite(.serialized, .enabled(if: TestPrograms.liveNginxTestsEnabled, TestPrograms.nginxDisabledReason))
struct NginxHeaderTests {
    @Test func nginx_t_accepts_the_shipped_configuration() async throws {
        try await NginxStack.with { stack in
            #expect(stack.syntaxCheck.contains("syntax is ok"), "\(stack.syntaxCheck)")
            #expect(stack.syntaxCheck.contains("test is successful"), "\(stack.syntaxCheck)")
        }
    }

    @Test func every_header_on_200_404_429_static_sse_and_redirect() async throws {
        try await NginxStack.with { stack in
            let ok = try await stack.get("/healthz")
            #expect(ok.status == 200, "\(ok)")
            expectHeaders(ok, csp: SecurityHeaderSet.apiCSP, "200 /healthz")

            let missing = try await stack.get("/api/v1/no-such-route")
            #expect(missing.status == 404, "\(missing)")
            expectHeaders(missing, csp: SecurityHeaderSet.apiCSP, "404 from the app")

            // The console's static files (location /console/, which has an add_header of its own).
            let asset = try await stack.get("/console/assets/app.js")
            #expect(asset.status == 404, "\(asset)")
            expectHeaders(asset, csp: SecurityHeaderSet.consoleCSP, "static /console/")
            #expect(asset.value("X-Robots-Tag") == "noindex, nofollow")

            // Server-sent events (the unbuffered location).
            let events = try await stack.get("/api/v1/workspaces/\(UUID())/executions/\(UUID())/events",
                                             headers: ["Accept: text/event-stream"])
            // The route exists (issue 8) and needs a credential: 401 from the app.
            #expect(events.status == 401, "\(events)")
            expectHeaders(events, csp: SecurityHeaderSet.apiCSP, "SSE location")

            // nginx's own 429 (named location with its own add_header), after the auth burst.
            var limited: HTTPReply?
            for _ in 0..<15 where limited == nil {
                let reply = try await stack.get("/api/v1/auth/login", method: "POST", body: "{}",
                                                headers: ["Content-Type: application/json"])
                if reply.status == 429 { limited = reply }
            }
            let tooMany = try #require(limited, "no 429 from the auth zone")
            expectHeaders(tooMany, csp: SecurityHeaderSet.apiCSP, "429 from nginx")
            #expect(tooMany.value("Retry-After") == "60")
            #expect(tooMany.value("Content-Type") == "application/problem+json")

            // nginx's own 403 (admin location).
            let denied = try await stack.get("/metrics")
            #expect(denied.status == 403, "\(denied)")
            expectHeaders(denied, csp: SecurityHeaderSet.apiCSP, "403 from nginx")

            // The HTTP→HTTPS redirect.
            let redirect = try await Curl.request(stack.httpBase + "/", resolve: stack.resolveHTTP)
            #expect(redirect.status == 301, "\(redirect)")
            expectHeaders(redirect, csp: SecurityHeaderSet.apiCSP, "301 on port 80")
        }
    }

    /// nginx adds what the app adds, with the same values: every header of
    /// the app's own answer except the ones that describe the message itself.
    @Test func nginx_carries_every_header_the_app_sets_with_the_same_value() async throws {
        let perMessage: Set<String> = ["content-type", "content-length", "date", "connection", "x-request-id",
                                       "cache-control", "vary", "keep-alive"]
        try await NginxStack.with { stack in
            let direct = try await Curl.request(stack.appAddress + "/healthz")
            let proxied = try await stack.get("/healthz")
            #expect(direct.status == 200 && proxied.status == 200)
            for (name, value) in direct.headers where !perMessage.contains(name.lowercased()) {
                #expect(proxied.values(name) == [value], "\(name): app sends [\(value)], nginx \(proxied.values(name))")
            }
        }
    }

    @Test func no_version_in_server_header_or_error_pages() async throws {
        try await NginxStack.with { stack in
            let reply = try await stack.get("/metrics")
            let server = reply.value("Server") ?? ""
            #expect(server == "nginx" || server.isEmpty, "Server: \(server)")
            #expect(reply.body.range(of: #"nginx/[0-9]"#, options: .regularExpression) == nil, "\(reply.body)")
            #expect(reply.value("X-Powered-By") == nil)
        }
    }

    private func expectHeaders(_ reply: HTTPReply, csp: String, _ what: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let problems = SecurityHeaderSet.problems(in: reply, csp: csp)
        #expect(problems.isEmpty, "\(what): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
    }
}
