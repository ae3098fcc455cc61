import Foundation
import Testing
@testable import SMFAudit

/// The live checks' pure rules (no network): Observatory grading, CSP,
/// leak patterns, CORS, /metrics, disclosure, certificate expiry, and the
/// parsers of curl's and openssl's output. The probes themselves run in
/// DeploymentTests/AuditLiveTests against real servers.
@Suite struct LiveRuleTests {
    static func exchange(_ status: Int = 200, _ headers: [(String, String)] = [], body: String = "") -> HTTPExchange {
        HTTPExchange(method: "GET", url: "https://smflow.example/", status: status, headers: headers.map { (name: $0.0, value: $0.1) },
                     body: body, seconds: 0.01, error: nil)
    }

    static let shippedHeaders: [(String, String)] = [
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"),
        ("X-XSS-Protection", "0"),
    ]

    @Test func protected_get_operations_come_from_the_openapi_document() {
        let document = #"""
        {"openapi": "3.1.0", "security": [{"session": []}], "paths": {
          "/healthz": {"get": {"security": []}},
          "/api/v1/node-types": {"get": {"security": [{}]}},
          "/api/v1/auth/me": {"get": {}},
          "/api/v1/workspaces/{workspaceID}/flows/{flowID}/versions/{version}": {
            "parameters": [{"name": "workspaceID", "in": "path", "schema": {"type": "string", "format": "uuid"}}],
            "get": {"security": [{"apiKey": ["flows:read"]}], "parameters": [
              {"name": "flowID", "in": "path", "schema": {"type": "string"}},
              {"name": "version", "in": "path", "schema": {"type": "integer"}}]}},
          "/api/v1/auth/login": {"post": {"security": []}}}}
        """#
        let id = "00000000-0000-4000-8000-00000000a0d1"
        #expect(LiveAuthRules.protectedGETPaths(inOpenAPI: document) == [
            "/api/v1/auth/me", "/api/v1/workspaces/\(id)/flows/\(id)/versions/1",
        ])
        #expect(LiveAuthRules.protectedGETPaths(inOpenAPI: "not json").isEmpty)
        #expect(LiveAuthRules.protectedGETPaths(inOpenAPI: #"{"paths": {"/x": {"get": {}}}}"#).isEmpty, "no security anywhere: public")
    }

    @Test func observatory_grades_the_shipped_header_set_a_plus() {
        let reply = Self.exchange(200, Self.shippedHeaders)
        let grade = ObservatoryGrade.grade(headers: reply.value, https: true, redirectsToHTTPS: true)
        #expect(grade.score == 110)
        #expect(grade.grade == "A+")
        let findings = LiveHeaderRules.findings(reply, https: true, redirectsToHTTPS: true)
        #expect(findings.allSatisfy { $0.status == .pass }, "\(findings)")
    }

    @Test func observatory_grades_no_headers_f_and_the_rules_fail() {
        let reply = Self.exchange(200, [("X-XSS-Protection", "1; mode=block")])
        let grade = ObservatoryGrade.grade(headers: reply.value, https: true, redirectsToHTTPS: false)
        #expect(grade.score == 10)
        #expect(grade.grade == "F")
        let findings = LiveHeaderRules.findings(reply, https: true, redirectsToHTTPS: false)
        #expect(findings.contains { $0.key == "mistake.missing-headers" && $0.status == .fail })
        #expect(findings.contains { $0.status == .warn && $0.evidence.detail.contains("mode=block") })
        #expect(findings.contains { $0.status == .fail && $0.evidence.detail.contains("grade F") })
    }

    @Test func csp_with_unsafe_inline_scripts_fails_and_inline_styles_warn() {
        #expect(CSP("default-src 'self'; script-src 'self' 'unsafe-inline'").allowsUnsafeScripts)
        #expect(CSP("default-src 'self' 'unsafe-eval'").allowsUnsafeScripts)
        #expect(!CSP("script-src 'self' 'unsafe-inline' 'nonce-abc'").allowsUnsafeScripts)
        #expect(CSP("default-src 'self'; style-src 'unsafe-inline'").allowsUnsafeInlineStyles)
        var headers = Self.shippedHeaders.filter { $0.0 != "Content-Security-Policy" }
        headers.append(("Content-Security-Policy", "default-src 'self' 'unsafe-inline' 'unsafe-eval'; frame-ancestors 'none'"))
        let findings = LiveHeaderRules.findings(Self.exchange(200, headers), https: true, redirectsToHTTPS: true)
        #expect(findings.contains { $0.status == .fail && $0.evidence.detail.contains("unsafe") })
        let grade = ObservatoryGrade.grade(headers: Self.exchange(200, headers).value, https: true, redirectsToHTTPS: true)
        #expect(grade.score == 80 && grade.grade == "B+", "\(grade)")
    }

    @Test func grade_letters_follow_the_observatory_table() {
        #expect([100, 95, 85, 80, 70, 65, 60, 50, 45, 40, 30, 25, 24, 0].map(ObservatoryGrade.letter)
                == ["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F", "F"])
    }

    @Test func leak_patterns_catch_traces_sql_paths_and_frameworks_but_not_a_problem_body() {
        #expect(LiveErrorLeakRules.leaks(in: #"{"type":"about:blank","title":"Not Found","status":404}"#).isEmpty)
        #expect(LiveErrorLeakRules.leaks(in: "Fatal error at /app/Sources/App/main.swift:12").count >= 2)
        #expect(!LiveErrorLeakRules.leaks(in: "ERROR: syntax error at or near \"FROM\"").isEmpty)
        #expect(!LiveErrorLeakRules.leaks(in: "SELECT id FROM users").isEmpty)
        #expect(!LiveErrorLeakRules.leaks(in: "Abort.404 from Vapor").isEmpty)
        #expect(!LiveErrorLeakRules.leaks(in: "<center>nginx/1.25.3</center>").isEmpty)
        #expect(LiveErrorLeakRules.leaks(in: "<center>nginx</center>").isEmpty)
        let failing = LiveErrorLeakRules.leakFindings([Self.exchange(500, body: "Stack trace: #0 0x0000abcd")])
        #expect(failing.first?.status == .fail)
    }

    @Test func validation_wants_4xx_for_bad_input() {
        let pass = LiveErrorLeakRules.validationFindings(malformed: Self.exchange(400), oversized: Self.exchange(413))
        #expect(pass.allSatisfy { $0.status == .pass })
        let fail = LiveErrorLeakRules.validationFindings(malformed: Self.exchange(500), oversized: Self.exchange(200))
        #expect(fail.count == 2 && fail.allSatisfy { $0.status == .fail })
    }

    @Test func cors_fails_on_reflection_and_star_with_credentials() {
        let origin = LiveProbeRules.evilOrigin
        #expect(LiveProbeRules.corsFindings([Self.exchange(200, [("Access-Control-Allow-Origin", origin)])]).allSatisfy { $0.status == .fail })
        #expect(LiveProbeRules.corsFindings([Self.exchange(200, [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")])])
                    .allSatisfy { $0.status == .fail })
        #expect(LiveProbeRules.corsFindings([Self.exchange(200, [("Access-Control-Allow-Origin", "*")])]).allSatisfy { $0.status == .pass })
        #expect(LiveProbeRules.corsFindings([Self.exchange(200)]).allSatisfy { $0.status == .pass })
    }

    @Test func metrics_and_version_disclosure() {
        #expect(LiveProbeRules.metricsFindings(Self.exchange(200, body: "# TYPE x counter\nx 1")).first?.status == .fail)
        #expect(LiveProbeRules.metricsFindings(Self.exchange(403, body: "forbidden")).first?.status == .pass)
        #expect(LiveProbeRules.disclosure(Self.exchange(200, [("Server", "nginx/1.2.3")])).first?.status == .fail)
        #expect(LiveProbeRules.disclosure(Self.exchange(200, [("X-Powered-By", "Express")])).first?.status == .fail)
        #expect(LiveProbeRules.disclosure(Self.exchange(200, [("Server", "nginx")])).first?.status == .pass)
    }

    @Test func certificate_expiry_thresholds() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func status(days: Double, verified: Bool = true) -> AuditStatus? {
            let certificate = TLSProbe.Certificate(verifyResult: verified ? "0 (ok)" : "62 (hostname mismatch)", verified: verified,
                                                   notAfter: now.addingTimeInterval(days * 86_400), subject: "CN=x")
            let findings = LiveTLSRules.certificateFindings(certificate, endpoint: "x:443", host: "x", now: now)
            return findings.map(\.status).max { $0.precedence < $1.precedence }
        }
        #expect(status(days: 90) == .pass)
        #expect(status(days: 20) == .warn)
        #expect(status(days: 3) == .fail)
        #expect(status(days: 90, verified: false) == .fail)
        #expect(LiveTLSRules.certificateFindings(nil, endpoint: "x:443", host: "x", now: now).first?.status == .fail)
    }

    @Test func parses_openssl_dates_curl_headers_and_locations() throws {
        let date = try #require(TLSProbe.parseDate("Dec  1 10:00:00 2026 GMT"))
        #expect(Int(date.timeIntervalSince1970) == 1_796_119_200)
        let headers = HTTPProbe.parseHeaders("HTTP/1.1 301 Moved\r\nLocation: https://a/\r\n\r\nHTTP/2 200\r\nServer: nginx\r\nX-A: b: c\r\n\r\n")
        #expect(headers.map(\.name) == ["Server", "X-A"])
        #expect(headers.last?.value == "b: c")
        let location = try #require(URLComponentsLite("https://Smflow.Example:8443/path?x=1"))
        #expect(location.scheme == "https" && location.host == "Smflow.Example" && location.port == 8443)
        #expect(URLComponentsLite("/relative") == nil)
        #expect(LiveTarget(url: "ftp://x", address: nil, caFile: nil, timeout: 1) == nil)
        let target = try #require(LiveTarget(url: "https://a.example/base/", address: "127.0.0.1", caFile: nil, timeout: 1))
        #expect(target.port == 443 && target.basePath == "/base" && target.connectAddress == "127.0.0.1:443")
    }

    @Test func an_address_that_is_not_a_url_is_not_applicable_without_traffic() throws {
        let report = try AuditTestSupport.audit { $0.url = "not a url" }
        #expect(report.status("app.https") == .notApplicable)
        #expect(report.details("app.https").contains("not an http:// or https:// URL"))
    }
}
