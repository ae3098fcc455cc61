import Testing
import VaporTesting
@testable import SMFServer

@Suite struct RequestIDTests {
    @Test func valid_client_id_is_echoed() async throws {
        try await withTestApp { app in
            try await app.testing().test(.GET, "healthz", headers: ["X-Request-ID": "abc-123_DEF.9"]) { res in
                #expect(res.headers.first(name: "X-Request-ID") == "abc-123_DEF.9")
            }
        }
    }

    @Test(arguments: ["", "has space", "semi;colon", "<script>", String(repeating: "a", count: 65), "ümlaut", "a\u{7f}b"])
    func unsafe_client_id_is_replaced(_ value: String) async throws {
        try await withTestApp { app in
            try await app.testing().test(.GET, "no-such", headers: ["X-Request-ID": value]) { res in
                let id = try #require(res.headers.first(name: "X-Request-ID"))
                #expect(id != value)
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
                #expect(res.problem?["request_id"] as? String == id)
            }
        }
    }

    @Test func generated_ids_are_unique() async throws {
        try await withTestApp { app in
            var seen = Set<String>()
            for _ in 0..<50 {
                let res = try await app.testing().sendRequest(.GET, "healthz")
                seen.insert(try #require(res.headers.first(name: "X-Request-ID")))
            }
            #expect(seen.count == 50)
        }
    }
}

@Suite struct AccessLogTests {
    @Test func one_json_line_per_request_with_route_pattern_and_no_headers() async throws {
        let logs = LogCapture()
        let secret = "Bearer do-not-log-\(UInt64.random(in: 0...UInt64.max))"
        try await withTestApp({ _ in }, routes: { app in
            app.get("test", "items", ":id") { _ in "ok" }
        }, logs: logs) { app in
            try await app.testing().test(.GET, "test/items/12345", headers: ["Authorization": secret, "X-Request-ID": "trace-1"]) { _ in }
        }
        let line = try #require(logs.lines.first { $0.contains(#""message":"request""#) })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(fields["route"] as? String == "/test/items/:id")
        #expect(fields["method"] as? String == "GET")
        #expect(fields["status"] as? String == "200")
        #expect(fields["request_id"] as? String == "trace-1")
        #expect(fields["duration_ms"] != nil && fields["bytes"] != nil && fields["client_ip"] != nil)
        #expect(!logs.lines.joined().contains("12345"))
        #expect(!logs.lines.joined().contains("do-not-log"))
    }

    @Test func log_lines_cannot_be_forged_with_newlines() {
        var line = ""
        JSONLogHandler.appendString("a\r\n{\"level\":\"critical\"}\u{2028}", to: &line)
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(line == #""a\r\n{\"level\":\"critical\"}\u2028""#)
    }
}

@Suite struct JSONLogTimestampTests {
    @Test func utc_with_milliseconds() {
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_795_500_123.482)) == "2026-11-24T06:02:03.482Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }
}
