import Fluent
import Foundation
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// Synthetic traffic through the real pipeline produces `usage.anomaly`
/// security events (checklist key `monitor.unusual-usage`).
@Suite struct UsageAnomalyTests {
    func detecting(_ settings: String) -> (inout AppConfig) -> Void {
        { config in
            let parsed = UsageAnomalyThresholds.parse(settings)
            precondition(parsed.problems.isEmpty, "test thresholds must parse")
            config.usageAnomaly = parsed.thresholds
        }
    }

    /// The `usage.anomaly` events, waiting briefly: they are written off the request path.
    func anomalies(_ app: Application, count: Int) async throws -> [[String: String]] {
        var found: [SecurityEvent] = []
        for _ in 0..<100 {
            found = try await SecurityEvent.query(on: app.db).filter(\.$type == "usage.anomaly").all()
            if found.count >= count { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Nothing more arrives late.
        try await Task.sleep(for: .milliseconds(100))
        found = try await SecurityEvent.query(on: app.db).filter(\.$type == "usage.anomaly").all()
        return try found.map { event in
            #expect(event.outcome == "detected")
            return try JSONDecoder().decode([String: String].self, from: Data(event.details.utf8))
        }
    }

    @Test func path_scanning_from_one_address() async throws {
        try await withTestApp(detecting("scan_404=10")) { app in
            let tester = try live(app)
            for index in 0..<25 {
                let res = try await tester.sendRequest(.GET, "wp-admin/probe-\(index).php")
                #expect(res.status == .notFound)
            }
            let events = try await anomalies(app, count: 1)
            #expect(events.count == 1, "once per cooldown, not once per 404")
            #expect(events.first?["kind"] == "not-found-scan")
            #expect(events.first?["subject"] == "ip:127.0.0.1")
            #expect(events.first?["observed"] == "10")
        }
    }

    @Test func failed_sign_ins_across_accounts_are_stuffing() async throws {
        try await withTestApp(detecting("stuffing_accounts=4")) { app in
            let tester = try live(app)
            // The same account four times is not stuffing …
            for _ in 0..<4 {
                let res = try await tester.sendRequest(.POST, "api/v1/auth/login", headers: .json,
                                                       body: jsonBody(["email": "same@example.com", "password": "wrong-password-1"]))
                #expect(res.status == .unauthorized)
            }
            #expect(try await anomalies(app, count: 0).isEmpty)
            // … four different ones are.
            for index in 0..<4 {
                let res = try await tester.sendRequest(.POST, "api/v1/auth/login", headers: .json,
                                                       body: jsonBody(["email": "victim\(index)@example.com", "password": "wrong-password-1"]))
                #expect(res.status == .unauthorized)
            }
            let events = try await anomalies(app, count: 1)
            #expect(events.map { $0["kind"] } == ["credential-stuffing"])
            #expect(events.first?["subject"] == "ip:127.0.0.1")
            // The event names no account.
            #expect(events.first?.values.contains { $0.contains("example.com") } == false)
        }
    }

    @Test func many_rejected_tokens_from_one_address_are_stuffing() async throws {
        try await withTestApp(detecting("stuffing_accounts=5")) { app in
            let tester = try live(app)
            for index in 0..<6 {
                let res = try await tester.sendRequest(.GET, "api/v1/auth/me", headers: .bearer("stolen-token-\(index)"))
                #expect(res.status == .unauthorized)
            }
            let events = try await anomalies(app, count: 1)
            #expect(events.map { $0["kind"] } == ["credential-stuffing"])
            #expect(events.first?.values.contains { $0.contains("stolen-token") } == false, "tokens never in events")
        }
    }

    @Test func an_api_key_jumping_far_above_its_baseline() async throws {
        let manual = ManualClock()
        try await withTestApp(detecting("window=10s,warmup=3,rate_factor=5,rate_min=20"), clock: manual.clock) { app in
            let fixtures = IdentityFixtures(app: app)
            let owner = try await fixtures.user("owner@example.com")
            let workspace = try await fixtures.workspace("Acme")
            try await fixtures.member(owner, of: workspace, as: .owner)
            let key = try await fixtures.apiKey(in: workspace, createdBy: owner, scopes: [.workspaceRead])
            let path = "api/v1/workspaces/\(try workspace.requireID())"
            // Baseline: 2 requests in each of 4 windows.
            for _ in 0..<4 {
                for _ in 0..<2 {
                    try await app.testing().test(.GET, path, headers: .bearer(key)) { res in #expect(res.status == .ok) }
                }
                manual.advance(by: 10)
            }
            #expect(try await anomalies(app, count: 0).isEmpty)
            // Then 30 in one window: > 5 × 2 and ≥ 20.
            for _ in 0..<30 {
                try await app.testing().test(.GET, path, headers: .bearer(key)) { res in #expect(res.status == .ok) }
            }
            let events = try await anomalies(app, count: 1)
            let subjects = events.filter { $0["kind"] == "rate-spike" }.compactMap { $0["subject"] }
            #expect(subjects.contains { $0.hasPrefix("api-key:") }, "\(subjects)")
            #expect(events.first { $0["subject"]?.hasPrefix("api-key:") == true }?["baseline"] == "2.0")
        }
    }

    @Test func off_writes_nothing() async throws {
        try await withTestApp(detecting("off")) { app in
            let tester = try live(app)
            for index in 0..<40 { _ = try await tester.sendRequest(.GET, "nope-\(index)") }
            #expect(try await anomalies(app, count: 0).isEmpty)
        }
    }
}
