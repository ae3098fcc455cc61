import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// `smflow security-report` (issue 9, weekly review) on a seeded database:
/// the exact figures in JSON, the text layout, the HTML without scripts and
/// with every value escaped, and the command line's errors.
@Suite struct SecurityReportTests {
    /// The end of the reported period: 2025-12-01T12:00:00Z.
    static let until = Date(timeIntervalSince1970: 1_764_590_400)
    static let since = until.addingTimeInterval(-7 * 86_400)
    static let xss = "<script>alert(1)</script>@example.com"

    // MARK: seeding

    struct Seeder {
        let app: Application

        func user(_ email: String) async throws -> UUID {
            let user = User(email: email, emailCanonical: email.lowercased(), passwordHash: "not-a-hash", now: SecurityReportTests.since)
            try await user.save(on: app.db)
            return try user.requireID()
        }

        func event(_ type: String, _ outcome: String, hoursAgo: Double, ip: String = "192.0.2.1", user: UUID? = nil,
                   apiKey: UUID? = nil, details: [String: String] = [:]) async throws {
            let event = SecurityEvent()
            event.occurredAt = SecurityReportTests.until.addingTimeInterval(-hoursAgo * 3_600)
            event.type = type
            event.outcome = outcome
            event.userID = user
            event.apiKeyID = apiKey
            event.ip = ip
            event.userAgent = "test"
            event.requestID = UUID().uuidString
            event.details = String(decoding: try JSONEncoder.sorted.encode(details), as: UTF8.self)
            try await event.save(on: app.db)
        }

        func stats(_ method: String, _ route: String, hoursAgo: Double, buckets: [Int: Int64], clientErrors: Int64 = 0,
                   serverErrors: Int64 = 0, sumMicros: Int64, maxMicros: Int64) async throws {
            let at = Int64(SecurityReportTests.until.timeIntervalSince1970 * 1000) - Int64(hoursAgo * 3_600_000)
            var counts = RequestStatsCounts()
            counts.histogram = RequestStatsTests.counts(buckets)
            counts.requests = counts.histogram.reduce(0, +)
            counts.clientErrors = clientErrors
            counts.serverErrors = serverErrors
            counts.durationSumMicros = sumMicros
            counts.durationMaxMicros = maxMicros
            let key = RequestStatsKey(bucketMilliseconds: at - at % 60_000, method: method, route: route)
            try await RequestStatsStore.add(key, counts, on: try #require(app.db as? any SQLDatabase))
        }

        func sample(hoursAgo: Double, instance: String, rssMiB: Int64, cpu: Double, fds: Int64) async throws {
            let at = Int64(SecurityReportTests.until.timeIntervalSince1970 * 1000) - Int64(hoursAgo * 3_600_000)
            try await RequestStatsStore.add(
                ResourceSample(milliseconds: at, instance: instance, residentBytes: rssMiB * 1_048_576, cpuSeconds: cpu,
                               openFileDescriptors: fds),
                on: try #require(app.db as? any SQLDatabase))
        }
    }

    static let credentialKey = "cred:" + String(repeating: "ab12", count: 8)

    /// Events and statistics with known figures. Day 2025-11-30 is 24–36 h
    /// before `until`; one failure of alice lies before the period.
    static func seed(_ app: Application) async throws {
        let seed = Seeder(app: app)
        let alice = try await seed.user("alice@example.com")
        let mallory = try await seed.user(Self.xss)
        // alice: 6 failures in 10 minutes from 198.51.100.7 (reaches the 5-in-15-min throttle once).
        for minute in 0..<6 {
            try await seed.event("login", "failure", hoursAgo: 30 - Double(minute) / 60, ip: "198.51.100.7", user: alice,
                                 details: ["reason": "wrong password"])
        }
        try await seed.event("login", "failure", hoursAgo: 8 * 24, ip: "198.51.100.7", user: alice)  // before the period
        for _ in 0..<2 { try await seed.event("login", "failure", hoursAgo: 2, ip: "203.0.113.5", user: mallory) }
        for _ in 0..<3 {
            try await seed.event("login", "failure", hoursAgo: 50, ip: "203.0.113.9", details: ["reason": "unknown account"])
        }
        for _ in 0..<2 { try await seed.event("login", "throttled", hoursAgo: 29.8, ip: "198.51.100.7", details: ["scope": "account"]) }
        try await seed.event("login", "throttled", hoursAgo: 49, ip: "203.0.113.9", details: ["scope": "ip"])
        for _ in 0..<4 { try await seed.event("login", "success", hoursAgo: 5, ip: "192.0.2.10", user: alice) }
        for _ in 0..<3 {
            try await seed.event("ratelimit.exceeded", "denied", hoursAgo: 3, ip: "203.0.113.9", details: ["policy": "api", "key": "ip:203.0.113.9"])
        }
        for _ in 0..<2 {
            try await seed.event("ratelimit.exceeded", "denied", hoursAgo: 3, ip: "192.0.2.44", details: ["policy": "api", "key": Self.credentialKey])
        }
        try await seed.event("usage.anomaly", "detected", hoursAgo: 3, ip: "203.0.113.9",
                             details: ["kind": "not_found_scan", "subject": "ip:203.0.113.9", "observed": "40", "threshold": "30"])
        try await seed.event("usage.anomaly", "detected", hoursAgo: 1, ip: "203.0.113.9",
                             details: ["kind": "not_found_scan", "subject": "ip:203.0.113.9", "observed": "55", "threshold": "30"])
        try await seed.event("usage.anomaly", "detected", hoursAgo: 49, ip: "203.0.113.9",
                             details: ["kind": "credential_stuffing", "subject": "ip:203.0.113.9", "observed": "12", "threshold": "10"])
        for _ in 0..<2 {
            try await seed.event("authorization.denied", "denied", hoursAgo: 4, user: alice,
                                 details: ["action": "workspace.update", "reason": "role", "role": "viewer"])
        }
        let key = UUID()
        try await seed.event("authorization.denied", "denied", hoursAgo: 4, apiKey: key, details: ["action": "flows.write", "reason": "scope"])
        try await seed.event("csrf.rejected", "denied", hoursAgo: 4, user: alice)
        for _ in 0..<5 { try await seed.event("api_key.used", "success", hoursAgo: 6, apiKey: key) }

        // 100 GET /api/v1/flows: 90 in (2.5, 5] ms, 10 in (250, 500] ms → p95 375 ms.
        try await seed.stats("GET", "/api/v1/flows", hoursAgo: 30, buckets: [2: 50, 8: 4], clientErrors: 3, serverErrors: 2,
                             sumMicros: 1_400_000, maxMicros: 400_000)
        try await seed.stats("GET", "/api/v1/flows", hoursAgo: 2, buckets: [2: 40, 8: 6], clientErrors: 2,
                             sumMicros: 1_760_000, maxMicros: 390_000)
        // 20 POST /api/v1/auth/login, all in (250, 500], slowest 480 ms → p95 480 ms (capped at the max).
        try await seed.stats("POST", "/api/v1/auth/login", hoursAgo: 30, buckets: [8: 20], sumMicros: 6_000_000, maxMicros: 480_000)
        // Before the period: not counted.
        try await seed.stats("GET", "/api/v1/flows", hoursAgo: 9 * 24, buckets: [13: 1000], serverErrors: 1000,
                             sumMicros: 1, maxMicros: 99_000_000)
        // Resources on 2025-11-30: instance a from 100 to 120 MiB and 10.0 to 12.5 CPU s, b once.
        try await seed.sample(hoursAgo: 35, instance: "a/1", rssMiB: 100, cpu: 10, fds: 20)
        try await seed.sample(hoursAgo: 25, instance: "a/1", rssMiB: 120, cpu: 12.5, fds: 25)
        try await seed.sample(hoursAgo: 30, instance: "b/2", rssMiB: 50, cpu: 3, fds: 10)
    }

    static func report(_ app: Application) async throws -> SecurityReport {
        try await SecurityReportBuilder(since: Self.since, until: Self.until, top: 10).build(on: app.db)
    }

    static func json(_ report: SecurityReport) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(SecurityReportText.json(report).utf8)) as? [String: Any])
    }

    static func list(_ object: Any?) -> [[String: Any]] { object as? [[String: Any]] ?? [] }

    static func pairs(_ object: Any?, key: String = "name") -> [String] {
        list(object).map { "\($0[key] ?? "?")=\($0["count"] ?? $0["events"] ?? "?")" }
    }

    // MARK: figures

    @Test func seeded_database_gives_the_expected_figures() async throws {
        try await withTestApp { app in
            try await Self.seed(app)
            let json = try Self.json(try await Self.report(app))
            #expect(json["schema"] as? String == "smflow.security-report/v1")
            let period = try #require(json["period"] as? [String: Any])
            #expect(period["since"] as? String == "2025-11-24T12:00:00Z")
            #expect(period["until"] as? String == "2025-12-01T12:00:00Z")
            #expect(period["seconds"] as? Int == 604_800)

            let totals = try #require(json["totals"] as? [String: Any])
            #expect(totals["security_events"] as? Int == 35)
            #expect(totals["login_failures"] as? Int == 11)
            #expect(totals["login_successes"] as? Int == 4)
            #expect(totals["login_throttled"] as? Int == 3)
            #expect(totals["rate_limit_violations"] as? Int == 5)
            #expect(totals["anomalies"] as? Int == 3)
            #expect(totals["authorization_denials"] as? Int == 3)
            #expect(totals["csrf_rejections"] as? Int == 1)
            #expect(totals["requests"] as? Int == 120)
            #expect(totals["client_errors"] as? Int == 5)
            #expect(totals["server_errors"] as? Int == 2)

            let failed = try #require(json["failed_logins"] as? [String: Any])
            #expect(Self.pairs(failed["by_account"]) == ["alice@example.com=6", "\(Self.xss)=2"])
            #expect(failed["unknown_account"] as? Int == 3)
            #expect(Self.pairs(failed["by_ip"]) == ["198.51.100.7=6", "203.0.113.9=3", "203.0.113.5=2"])
            #expect(Self.list(failed["by_account"]).first?["last_at"] as? String == "2025-11-30T06:05:00Z")

            let throttling = try #require(json["throttling"] as? [String: Any])
            #expect(Self.pairs(throttling["accounts_throttled"]) == ["alice@example.com=1"])
            #expect(Self.pairs(throttling["by_scope"]) == ["account=2", "ip=1"])
            #expect(Self.pairs(throttling["by_ip"]) == ["198.51.100.7=2", "203.0.113.9=1"])

            let violators = Self.list(json["rate_limit_violators"]).map { "\($0["policy"]!) \($0["subject"]!)=\($0["events"]!)" }
            #expect(violators == ["api ip:203.0.113.9=3", "api credential from 192.0.2.44=2"])

            let anomalies = Self.list(json["anomalies"]).map { "\($0["kind"]!) \($0["subject"]!) \($0["count"]!) \($0["max_observed"]!)" }
            #expect(anomalies == ["not_found_scan ip:203.0.113.9 2 55", "credential_stuffing ip:203.0.113.9 1 12"])

            let denials = try #require(json["authorization_denials"] as? [String: Any])
            #expect(Self.pairs(denials["by_reason"]) == ["role=2", "scope=1"])
            #expect(Self.pairs(denials["by_action"]) == ["workspace.update=2", "flows.write=1"])
            #expect(Self.pairs(denials["by_caller"]).first == "account alice@example.com=2")
            #expect(Self.pairs(denials["by_caller"]).last?.hasPrefix("api key ") == true)

            let http = try #require(json["http"] as? [String: Any])
            #expect(http["requests"] as? Int == 120)
            #expect(http["server_errors"] as? Int == 2)
            #expect(http["server_error_rate"] as? Double == 0.016667)
            // All routes: 90 fast and 30 in (250, 500]: rank 114 → 250 + 250 × 24/30.
            #expect(http["p95_ms"] as? Double == 450)
            let slowest = Self.list(http["slowest_routes"])
            #expect(slowest.map { "\($0["method"]!) \($0["route"]!)" } == ["POST /api/v1/auth/login", "GET /api/v1/flows"])
            #expect(slowest.map { $0["p95_ms"] as? Double } == [480, 375])
            #expect(slowest.map { $0["requests"] as? Int } == [20, 100])
            #expect(slowest.last?["mean_ms"] as? Double == 31.6)
            #expect(slowest.last?["max_ms"] as? Double == 400)
            #expect(slowest.last?["client_errors"] as? Int == 5)
            #expect(Self.list(http["server_error_routes"]).map { $0["server_errors"] as? Int } == [2])

            let daily = Self.list(json["daily"])
            #expect(daily.count == 8)
            #expect(daily.first?["day"] as? String == "2025-11-24")
            let day30 = try #require(daily.first { $0["day"] as? String == "2025-11-30" })
            #expect(day30["requests"] as? Int == 74)
            #expect(day30["server_errors"] as? Int == 2)
            #expect(day30["login_failures"] as? Int == 6)
            #expect(day30["login_throttled"] as? Int == 2)
            let day29 = try #require(daily.first { $0["day"] as? String == "2025-11-29" })
            #expect(day29["login_failures"] as? Int == 3)
            #expect(day29["anomalies"] as? Int == 1)

            let resources = Self.list(json["resources"])
            #expect(resources.count == 1)
            #expect(resources.first?["day"] as? String == "2025-11-30")
            #expect(resources.first?["samples"] as? Int == 3)
            #expect(resources.first?["instances"] as? Int == 2)
            #expect(resources.first?["max_rss_bytes"] as? Int == 120 * 1_048_576)
            #expect(resources.first?["mean_rss_bytes"] as? Int == 90 * 1_048_576)
            #expect(resources.first?["cpu_seconds"] as? Double == 2.5)
            #expect(resources.first?["max_open_file_descriptors"] as? Int == 25)

            let types = Self.list(json["events_by_type"]).map { "\($0["type"]!)/\($0["outcome"]!)=\($0["count"]!)" }
            #expect(types.first == "login/failure=11")
            #expect(types.contains("api_key.used/success=5"))
            #expect((json["notes"] as? [String])?.isEmpty == true)

            // No credential-derived value anywhere in the output.
            let text = try SecurityReportText.json(try await Self.report(app))
            #expect(!text.contains("ab12ab12"))
            #expect(!text.contains("cred:"))
        }
    }

    @Test func top_limits_every_list() async throws {
        try await withTestApp { app in
            try await Self.seed(app)
            let report = try await SecurityReportBuilder(since: Self.since, until: Self.until, top: 1).build(on: app.db)
            #expect(report.failedLogins.byIP.map(\.name) == ["198.51.100.7"])
            #expect(report.rateLimitViolators.count == 1)
            #expect(report.http.slowestRoutes.count == 1)
            #expect(report.totals.loginFailures == 11)
        }
    }

    @Test func empty_database_and_missing_statistics_are_notes() async throws {
        try await withTestApp { app in
            let empty = try await Self.report(app)
            #expect(empty.totals.securityEvents == 0)
            #expect(empty.http.p95Ms == nil)
            #expect(empty.notes.contains { $0.contains("No request statistics") })
            try await CreateRequestStats().revert(on: app.db)
            let missing = try await Self.report(app)
            #expect(missing.notes.contains { $0.contains("migration 009") })
            try await CreateRequestStats().prepare(on: app.db)
        }
    }

    // MARK: renderings

    @Test func html_is_self_contained_without_scripts_and_escapes_data() async throws {
        try await withTestApp { app in
            try await Self.seed(app)
            let html = SecurityReportHTML.render(try await Self.report(app))
            #expect(!html.lowercased().contains("<script"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;@example.com"))
            #expect(!html.contains("alert(1)</script>"))
            for external in ["http://", "https://", "src=", "href=", "@import", "url(", "<link", "<iframe", "<object", "<embed", "<img"] {
                #expect(!html.lowercased().contains(external), "\(external)")
            }
            #expect(!Self.hasEventHandler(html))
            #expect(html.contains("default-src 'none'"))
            #expect(html.contains("<svg"))
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(!html.contains("ab12ab12"))
            // scripts/test renders this file in headless Chromium (scripts/lib/report.sh).
            if let path = ProcessInfo.processInfo.environment["SMF_TEST_REPORT_HTML"], !path.isEmpty {
                try Data(html.utf8).write(to: URL(fileURLWithPath: path))
            }
        }
    }

    /// An `on…=` attribute (onload, onclick, …) in any tag.
    static func hasEventHandler(_ html: String) -> Bool {
        html.range(of: #"<[^>]*\son[a-z]+\s*="#, options: [.regularExpression, .caseInsensitive]) != nil
    }

    @Test func escaping_covers_the_five_characters_and_control_characters() {
        #expect(SecurityReportHTML.esc(#"<a href="x" title='y'>&"#) == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;")
        #expect(SecurityReportHTML.esc("a\u{1b}[31mb\r\nc") == "a[31mbc")
    }

    @Test func text_is_aligned_and_clean() async throws {
        try await withTestApp { app in
            try await Self.seed(app)
            let text = SecurityReportText.text(try await Self.report(app))
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.first == "SocialMediaFlow security report")
            #expect(text.contains("Period:    2025-11-24T12:00:00Z .. 2025-12-01T12:00:00Z (7d)"))
            // The counts column is right-aligned under its header.
            let header = try #require(lines.firstIndex { $0.hasPrefix("  ACCOUNT") && $0.contains("COUNT") })
            let countEnd = try #require(lines[header].range(of: "COUNT", options: .backwards)).upperBound.utf16Offset(in: lines[header])
            let alice = lines[header + 1]
            #expect(alice.hasPrefix("  alice@example.com"))
            let six = try #require(alice.range(of: " 6 ")).lowerBound.utf16Offset(in: alice) + 2
            #expect(six == countEnd)
            #expect(text.contains("credential from 192.0.2.44"))
            #expect(text.contains("POST    /api/v1/auth/login"))
            #expect(!text.contains("\u{1b}"))
            #expect(!text.contains("ab12ab12"))
        }
    }

    // MARK: command line

    @Test func since_parsing() throws {
        #expect(try SecurityReportPeriod.parseSince("7d") == 604_800)
        #expect(try SecurityReportPeriod.parseSince("24h") == 86_400)
        #expect(try SecurityReportPeriod.parseSince("90m") == 5_400)
        #expect(try SecurityReportPeriod.parseSince("2w") == 1_209_600)
        #expect(try SecurityReportPeriod.parseSince(" 7D ") == 604_800)
        #expect(try SecurityReportPeriod.parseSince("366d") == 366 * 86_400)
        for bad in ["", "7", "d", "0d", "-1d", "+1d", "7y", "367d", "53w", "1.5d", "7 d", "99999999d", "٣d"] {
            #expect(throws: SecurityReportInputError.invalidSince(bad), "\(bad)") { try SecurityReportPeriod.parseSince(bad) }
        }
        #expect(SecurityReportInputError.invalidSince("x\u{1b}y").description
            == #"--since must be a duration such as 7d, 24h, 90m or 2w, from 1m to 366d (got "xy")"#)
        #expect(throws: SecurityReportInputError.invalidTop(0)) { try SecurityReportPeriod.validateTop(0) }
        #expect(throws: Never.self) { try SecurityReportPeriod.validateTop(1000) }
    }

    /// The built `smflow` executable next to the test bundle.
    static func executable() throws -> URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while directory.path != "/", !FileManager.default.fileExists(atPath: directory.appendingPathComponent("smflow").path) {
            directory = directory.deletingLastPathComponent()
        }
        let url = directory.appendingPathComponent("smflow")
        try #require(FileManager.default.isExecutableFile(atPath: url.path), "smflow not built next to \(bundle.path)")
        return url
    }

    static func run(_ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["security-report"] + arguments
        process.currentDirectoryURL = directory
        // A development configuration on ./data/smflow.sqlite: nothing inherited.
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path, "SMF_LOG_LEVEL": "warning"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test func command_line_errors_exit_64_and_output_is_written_0600() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for bad in [["--since", "bogus"], ["--since", "0d"], ["--format", "xml"], ["--top", "0"], ["--output", ""]] {
            let result = try Self.run(bad, in: directory)
            #expect(result.status == 64, "\(bad): \(result.stderr)")
        }
        let since = try Self.run(["--since", "7y"], in: directory)
        #expect(since.stderr.contains("--since must be a duration such as 7d"))

        let file = directory.appendingPathComponent("report.json")
        let written = try Self.run(["--since", "24h", "--format", "json", "--output", file.path], in: directory)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.isEmpty)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        #expect(json?["schema"] as? String == "smflow.security-report/v1")
        #expect((json?["period"] as? [String: Any])?["seconds"] as? Int == 86_400)

        let html = try Self.run(["--format", "html"], in: directory)
        #expect(html.status == 0)
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.stdout.lowercased().contains("<script"))
    }
}
