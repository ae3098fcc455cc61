import Fluent
import Foundation
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// `POST /api/v1/csp-reports` (issue 11): both report formats are accepted
/// and recorded as `csp.violation` events with a cleaned summary only;
/// everything else is refused with the documented status; the route is
/// body-capped and rate-limited.
@Suite struct ConsoleCSPReportTests {
    static let legacy = """
        {"csp-report": {"document-uri": "http://127.0.0.1:8080/console/?token=hunter2#frag",
         "referrer": "", "violated-directive": "script-src-elem", "effective-directive": "script-src-elem",
         "original-policy": "default-src 'none'", "disposition": "enforce",
         "blocked-uri": "https://evil.example:8443/steal.js?session=s3cr3t", "line-number": 12,
         "source-file": "http://127.0.0.1:8080/console/app.js?v=1", "status-code": 200,
         "script-sample": "alert(document.cookie) // sample-text"}}
        """

    static let reportingAPI = """
        [{"type": "csp-violation", "age": 10, "url": "http://127.0.0.1/console/", "user_agent": "x",
          "body": {"documentURL": "http://127.0.0.1/console/#/flows", "blockedURL": "inline",
                   "effectiveDirective": "style-src-attr", "disposition": "report", "lineNumber": 3,
                   "sample": "color: red"}},
         {"type": "deprecation", "body": {}},
         {"type": "csp-violation", "body": {"blockedURL": "eval", "effectiveDirective": "script-src"}}]
        """

    static func events(_ app: Application) async throws -> [SecurityEvent] {
        try await SecurityEvent.query(on: app.db).filter(\.$type == "csp.violation").all()
    }

    static func details(_ event: SecurityEvent) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(event.details.utf8))) ?? [:]
    }

    func post(_ app: Application, type: String?, body: String, check: @escaping (TestingHTTPResponse) throws -> Void) async throws {
        var headers = HTTPHeaders()
        if let type { headers.replaceOrAdd(name: .contentType, value: type) }
        try await app.testing().test(.POST, "api/v1/csp-reports", headers: headers, body: ByteBuffer(string: body)) { res in
            try check(res)
        }
    }

    @Test func a_report_uri_body_is_logged_and_recorded_cleaned() async throws {
        let logs = LogCapture()
        try await withTestApp(logs: logs) { app in
            try await post(app, type: "application/csp-report", body: Self.legacy) { res in
                #expect(res.status == .noContent)
                #expect(res.headers.first(name: "Content-Security-Policy") == SecurityHeaders.apiContentSecurityPolicy)
            }
            let events = try await Self.events(app)
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event.outcome == "detected")
            #expect(Self.details(event) == ["directive": "script-src-elem", "blocked": "https://evil.example:8443",
                                            "document": "/console/", "source": "/console/app.js", "line": "12",
                                            "disposition": "enforce", "reports": "1"])
            let line = try #require(logs.lines.first { $0.contains("content security policy violation") })
            for secret in ["hunter2", "s3cr3t", "sample-text", "steal.js", "frag", "cookie"] {
                #expect(!event.details.contains(secret), "\(secret) stored")
                #expect(!line.contains(secret), "\(secret) logged")
            }
            #expect(line.contains("script-src-elem"))
        }
    }

    @Test func a_reporting_api_batch_reads_the_csp_reports_only() async throws {
        try await withTestApp { app in
            try await post(app, type: "application/reports+json", body: Self.reportingAPI) { res in
                #expect(res.status == .noContent)
            }
            let event = try #require(try await Self.events(app).first)
            #expect(Self.details(event) == ["directive": "style-src-attr", "blocked": "inline", "document": "/console/",
                                            "line": "3", "disposition": "report", "reports": "2"])
        }
    }

    @Test func malformed_and_foreign_bodies_are_refused_and_not_recorded() async throws {
        let cases: [(String?, String, HTTPResponseStatus)] = [
            ("application/json", Self.legacy, .unsupportedMediaType),
            ("text/plain", Self.legacy, .unsupportedMediaType),
            (nil, Self.legacy, .unsupportedMediaType),
            ("application/csp-report", "", .badRequest),
            ("application/csp-report", "{not json", .badRequest),
            ("application/csp-report", #"{"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": 1}}}}}}}}}"#, .badRequest),
            ("application/csp-report", #"{"csp-report": "x"}"#, .unprocessableEntity),
            ("application/csp-report", "[]", .unprocessableEntity),
            ("application/reports+json", #"[{"type": "deprecation", "body": {}}]"#, .unprocessableEntity),
            ("application/reports+json", Self.legacy, .unprocessableEntity),
            ("application/reports+json", #"{"type": "csp-violation"}"#, .unprocessableEntity),
        ]
        try await withTestApp { app in
            for (type, body, status) in cases {
                try await post(app, type: type, body: body) { res in
                    #expect(res.status == status, "\(type ?? "no type"): \(body.prefix(40))")
                    #expect(res.headers.contentType?.subType == "problem+json")
                }
            }
            #expect(try await Self.events(app).isEmpty)
        }
    }

    @Test func the_body_is_capped_at_64_kib() async throws {
        let padding = String(repeating: "a", count: CSPReports.maxBody)
        try await withTestApp { app in
            let body = #"{"csp-report": {"blocked-uri": "inline", "script-sample": "\#(padding)"}}"#
            try await live(app).test(.POST, "api/v1/csp-reports", headers: ["Content-Type": "application/csp-report"],
                                     body: ByteBuffer(string: body)) { res in
                #expect(res.status == .payloadTooLarge)
            }
            #expect(try await Self.events(app).isEmpty)
        }
    }

    @Test func reports_are_rate_limited_per_client() async throws {
        try await withTestApp({ config in
            config.rateLimits[.write] = RateLimitPolicy(name: "write", limit: 2, periodMilliseconds: 60_000, burst: 2)
        }) { app in
            var statuses: [UInt] = []
            for _ in 1...3 {
                try await post(app, type: "application/csp-report", body: Self.legacy) { res in statuses.append(res.status.code) }
            }
            #expect(statuses == [204, 204, 429])
            #expect(try await Self.events(app).count == 2)
        }
    }

    @Test func summaries_keep_only_kinds_origins_and_paths() {
        #expect(CSPReports.resource("inline") == "inline")
        #expect(CSPReports.resource("EVAL") == "eval")
        #expect(CSPReports.resource("data:image/png;base64,AAAA") == "data")
        #expect(CSPReports.resource("https://user:pw@cdn.example/x.js?k=v") == "https://cdn.example")
        #expect(CSPReports.resource("wss://h.example:9/") == "wss://h.example:9")
        #expect(CSPReports.resource("\u{1}\n<script>") == "other")
        #expect(CSPReports.token("script-src-elem 'self'") == "other")
        #expect(CSPReports.token("Script-Src") == "script-src")
        #expect(CSPReports.path(of: "http://h/console/a%20b?x=1#y") == "/console/a%20b")
        #expect(CSPReports.path(of: "not a url") == "")
    }
}
