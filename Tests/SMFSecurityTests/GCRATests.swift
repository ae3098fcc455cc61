import Testing
@testable import SMFSecurity

@Suite struct GCRATests {
    // 10 per second with a burst of 3: T = 100 ms, tau = 200 ms.
    let policy = RateLimitPolicy(name: "t", limit: 10, periodMilliseconds: 1000, burst: 3)

    /// Runs requests at the given times through one key; returns the decisions.
    func run(_ times: [Int64]) -> [RateLimitDecision] {
        var tat: Int64?
        return times.map { now in
            let decision = GCRA.decide(tat: tat, now: now, policy: policy)
            if decision.allowed { tat = decision.newTAT }
            return decision
        }
    }

    @Test func burst_passes_at_once_then_refused() {
        let decisions = run([0, 0, 0, 0])
        #expect(decisions.map(\.allowed) == [true, true, true, false])
        #expect(decisions.map(\.remaining) == [2, 1, 0, 0])
        #expect(decisions[3].retryAfterMilliseconds == 100)
    }

    @Test func steady_rate_after_the_burst() {
        // After the burst, one request per T (100 ms) passes, not more.
        let decisions = run([0, 0, 0, 100, 150, 200, 250, 300])
        #expect(decisions.map(\.allowed) == [true, true, true, true, false, true, false, true])
    }

    @Test func full_recovery_after_idle() {
        let decisions = run([0, 0, 0, 300, 300, 300, 300])
        #expect(decisions.map(\.allowed) == [true, true, true, true, true, true, false])
    }

    @Test func refusals_do_not_move_the_tat() {
        // Hammering while refused must not push recovery further away.
        var times: [Int64] = [0, 0, 0]
        times += Array(repeating: 50, count: 100)
        times.append(100)
        #expect(run(times).last?.allowed == true)
    }

    @Test func configuration_parses_and_rejects() {
        let parsed = RateLimitConfiguration.parse("auth=5/1m:burst=2, read=100/10s")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.policies[.auth] == RateLimitPolicy(name: "auth", limit: 5, periodMilliseconds: 60_000, burst: 2))
        #expect(parsed.policies[.read]?.burst == 10)
        #expect(parsed.policies[.write] == RateLimitConfiguration.defaults[.write])
        for bad in ["auth=5", "nope=5/1m", "read=0/1m", "read=5/1x", "read=5/1m:burst=0", "read=5/1m:bust=2"] {
            #expect(RateLimitConfiguration.parse(bad).problems.count == 1, "\(bad)")
        }
    }

    @Test func memory_instances_warning() {
        let result = ConfigLoader.load(environment: ["SMF_INSTANCES": "3"])
        #expect(result.warnings.map(\.rule) == ["ratelimit.memory-multi-instance"])
        #expect(ConfigLoader.load(environment: ["SMF_INSTANCES": "3", "SMF_RATE_LIMIT_STORE": "postgres"]).findings.isEmpty)
    }
}

@Suite struct MemoryRateLimitStoreTests {
    let policy = RateLimitPolicy(name: "t", limit: 10, periodMilliseconds: 1000, burst: 5)

    /// Many tasks at the same instant on one key: exactly `burst` get through.
    @Test func concurrent_callers_never_exceed_the_burst() async throws {
        let store = MemoryRateLimitStore()
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<500 {
                group.addTask { try await store.decide(key: "k", policy: policy, now: 1_000).allowed }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == policy.burst)
    }

    @Test func keys_are_independent_and_memory_is_bounded() {
        let store = MemoryRateLimitStore(maximumKeys: 64 * 16)
        for index in 0..<10_000 {
            #expect(store.decideNow(key: "k\(index)", policy: policy, now: Int64(index)).allowed)
        }
        #expect(store.keyCount <= 64 * 16)
    }
}
