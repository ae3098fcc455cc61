import Testing
@testable import SMFSecurity

@Suite struct UsageAnomalyDetectorTests {
    static let minute: Int64 = 60_000

    /// Defaults, with a short cooldown the tests can step over.
    static func thresholds(_ adjust: (inout UsageAnomalyThresholds) -> Void = { _ in }) -> UsageAnomalyThresholds {
        var thresholds = UsageAnomalyThresholds()
        thresholds.cooldownMilliseconds = 10 * minute
        adjust(&thresholds)
        return thresholds
    }

    /// `perWindow` successful requests in each of `windows` windows, spread evenly.
    func steady(_ detector: UsageAnomalyDetector, subject: String, perWindow: Int, windows: Int, from start: Int64 = 0) -> [UsageAnomaly] {
        var found: [UsageAnomaly] = []
        for window in 0..<Int64(windows) {
            for index in 0..<Int64(perWindow) {
                let now = start + window * Self.minute + index * Self.minute / Int64(perWindow)
                found += detector.observe(subject: subject, status: 200, now: now)
            }
        }
        return found
    }

    @Test func steady_traffic_is_never_unusual() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        #expect(steady(detector, subject: "ip:a", perWindow: 200, windows: 30).isEmpty)
    }

    @Test func rate_spike_against_the_baseline_reported_once() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        #expect(steady(detector, subject: "user:u", perWindow: 20, windows: 6).isEmpty)
        // Window 7: 20 per minute → 250 in one minute (threshold 10 × 20 = 200).
        var found: [UsageAnomaly] = []
        for index in 0..<250 {
            found += detector.observe(subject: "user:u", status: 200, now: 6 * Self.minute + Int64(index))
        }
        #expect(found.count == 1, "one event, not one per request")
        let anomaly = try? #require(found.first)
        #expect(anomaly?.kind == .rateSpike)
        #expect(anomaly?.subject == "user:u")
        #expect(anomaly?.observed == 201, "reported as soon as the threshold is crossed")
        #expect(anomaly?.baseline.map { abs($0 - 20) < 0.01 } == true)
        #expect(anomaly?.threshold == 200)
    }

    @Test func small_absolute_numbers_are_not_a_spike() {
        // 1 a minute then 100 in a minute: 100× the baseline, but under rate_min (120).
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        _ = steady(detector, subject: "ip:b", perWindow: 1, windows: 6)
        var found: [UsageAnomaly] = []
        for index in 0..<100 { found += detector.observe(subject: "ip:b", status: 200, now: 6 * Self.minute + Int64(index)) }
        #expect(found.isEmpty)
    }

    @Test func no_rate_judgement_during_warmup() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        _ = steady(detector, subject: "ip:c", perWindow: 5, windows: 4)
        var found: [UsageAnomaly] = []
        for index in 0..<1000 { found += detector.observe(subject: "ip:c", status: 200, now: 4 * Self.minute + Int64(index)) }
        #expect(found.isEmpty, "4 closed windows < warmup 5")
    }

    @Test func quiet_windows_pull_the_baseline_down() {
        // 100/min for 6 minutes, then 30 quiet minutes: the baseline decays
        // towards 0, so 150 in a minute is now a spike (> 10 × max(b, 1)).
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        _ = steady(detector, subject: "ip:d", perWindow: 100, windows: 6)
        var found: [UsageAnomaly] = []
        for index in 0..<150 { found += detector.observe(subject: "ip:d", status: 200, now: 36 * Self.minute + Int64(index)) }
        #expect(found.map(\.kind) == [.rateSpike])
    }

    @Test func not_found_scan() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        var found: [UsageAnomaly] = []
        for index in 0..<100 { found += detector.observe(subject: "ip:scanner", status: 404, now: Int64(index) * 100) }
        #expect(found.count == 1)
        #expect(found.first?.kind == .notFoundScan)
        #expect(found.first?.observed == 30)
    }

    @Test func a_few_404s_among_normal_traffic_are_not_a_scan() {
        // 40 404s, but among 200 successes: 17%, under error_ratio 0.5.
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        var found: [UsageAnomaly] = []
        for index in 0..<240 {
            found += detector.observe(subject: "ip:app", status: index % 6 == 0 ? 404 : 200, now: Int64(index) * 100)
        }
        #expect(found.isEmpty)
    }

    @Test func forbidden_probe() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        var found: [UsageAnomaly] = []
        for index in 0..<25 { found += detector.observe(subject: "api-key:k", status: 403, now: Int64(index)) }
        #expect(found.map(\.kind) == [.forbiddenProbe])
        #expect(found.first?.observed == 20)
    }

    @Test func credential_stuffing_needs_distinct_accounts() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        // One account, 50 wrong passwords: brute force (the login throttle's
        // business), not stuffing.
        for index in 0..<50 {
            #expect(detector.observeFailedCredential(subject: "ip:one", account: 7, now: Int64(index)).isEmpty)
        }
        var found: [UsageAnomaly] = []
        for account in UInt64(1)...8 { found += detector.observeFailedCredential(subject: "ip:many", account: account, now: Int64(account)) }
        #expect(found.map(\.kind) == [.credentialStuffing])
        #expect(found.first?.observed == 5)
        // Spread over windows it does not add up.
        let slow = UsageAnomalyDetector(thresholds: Self.thresholds())
        for account in UInt64(1)...8 {
            #expect(slow.observeFailedCredential(subject: "ip:slow", account: account, now: Int64(account) * 30_000).isEmpty)
        }
    }

    @Test func cooldown_then_reported_again() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        func scan(at start: Int64) -> [UsageAnomaly] {
            (0..<40).flatMap { detector.observe(subject: "ip:s", status: 404, now: start + Int64($0)) }
        }
        #expect(scan(at: 0).count == 1)
        #expect(scan(at: 2 * Self.minute).isEmpty, "within the 10-minute cooldown")
        #expect(scan(at: 11 * Self.minute).count == 1)
    }

    @Test func subjects_are_independent() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds())
        for index in 0..<29 {
            _ = detector.observe(subject: "ip:x", status: 404, now: Int64(index))
            _ = detector.observe(subject: "ip:y", status: 404, now: Int64(index))
        }
        #expect(detector.observe(subject: "ip:x", status: 404, now: 100).count == 1)
    }

    @Test func memory_is_bounded() {
        let detector = UsageAnomalyDetector(thresholds: Self.thresholds { $0.maximumSubjects = 1000 })
        for index in 0..<20_000 { _ = detector.observe(subject: "ip:\(index)", status: 200, now: Int64(index)) }
        #expect(detector.subjectCount <= 1000 + 16 * 64)
    }

    @Test func off_means_nothing_is_tracked() {
        let detector = UsageAnomalyDetector(thresholds: UsageAnomalyThresholds.parse("off").thresholds)
        for index in 0..<100 { #expect(detector.observe(subject: "ip:z", status: 404, now: Int64(index)).isEmpty) }
        #expect(detector.subjectCount == 0)
    }

    @Test func configuration_parses_round_trips_and_rejects() {
        let parsed = UsageAnomalyThresholds.parse("window=2m, rate_factor=4.5, scan_404=10, cooldown=1h")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.thresholds.windowMilliseconds == 120_000)
        #expect(parsed.thresholds.rateFactor == 4.5)
        #expect(parsed.thresholds.scanNotFound == 10)
        #expect(parsed.thresholds.cooldownMilliseconds == 3_600_000)
        #expect(UsageAnomalyThresholds.parse(parsed.thresholds.format()).thresholds == parsed.thresholds)
        #expect(UsageAnomalyThresholds.parse(UsageAnomalyThresholds().format()).thresholds == UsageAnomalyThresholds())
        for bad in ["window=5s", "rate_factor=1", "scan_404=0", "nope=3", "error_ratio=1.5", "window", "stuffing_accounts=1", "cooldown=2d"] {
            #expect(UsageAnomalyThresholds.parse(bad).problems.count == 1, "\(bad)")
        }
        let loaded = ConfigLoader.load(environment: ["SMF_USAGE_ANOMALY": "scan_404=oops"])
        #expect(loaded.findings.map(\.variable) == ["SMF_USAGE_ANOMALY"])
        #expect(ConfigLoader.load(environment: ["SMF_USAGE_ANOMALY": "off"]).config.usageAnomaly.enabled == false)
    }
}
