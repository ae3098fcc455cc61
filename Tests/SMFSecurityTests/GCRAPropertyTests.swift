import PropertyBased
import Testing
@testable import SMFSecurity

/// GCRA checked against its definition (issue 4, "property tests with
/// swift-property-based") over generated policies and arrival sequences.
///
/// Each property takes the decision function as a parameter so that it can
/// be run against a deliberately broken GCRA; every property here was seen to
/// fail that way (2026-11-29; the broken variants are listed in the message
/// of commit aa7f53d, which added this file).
@Suite struct GCRAPropertyTests {
    typealias Decide = @Sendable (_ stored: Int64?, _ now: Int64, _ policy: RateLimitPolicy) -> RateLimitDecision

    /// The code under test.
    static let gcra: Decide = { GCRA.decide(tat: $0, now: $1, policy: $2) }

    // Counts: the whole suite runs in well under a second in a debug build.
    static let count = 200

    // MARK: - Properties

    /// (1) In any window [a, b]: admitted ≤ burst + floor((b − a) / T).
    /// Windows that start and end on admitted requests are the worst case,
    /// so checking every such pair covers every window.
    @Test func admitted_never_exceed_burst_plus_rate() async {
        await propertyCheck(count: Self.count, input: Self.scenarios) { scenario in
            Self.checkWindows(scenario, decide: Self.gcra)
        }
    }

    /// (2) After an idle time of at least burst · T, whatever came before,
    /// exactly `burst` requests pass at once again.
    @Test func idle_for_burst_intervals_restores_the_full_burst() async {
        await propertyCheck(count: Self.count, input: Self.scenarios) { scenario in
            Self.checkRecovery(scenario, decide: Self.gcra)
        }
    }

    /// (3) A refusal hands back the stored TAT unchanged, and leaving the
    /// refused requests out changes none of the other decisions.
    @Test func refusals_never_change_the_tat() async {
        await propertyCheck(count: Self.count, input: Self.scenarios) { scenario in
            Self.checkRefusalsInert(scenario, decide: Self.gcra)
        }
    }

    /// (4) `remaining` stays within 0…burst−1, and at one instant it counts
    /// down by one per admitted request until the refusal.
    @Test func remaining_counts_down_by_one_per_admission() async {
        await propertyCheck(count: Self.count, input: Self.scenarios) { scenario in
            Self.checkRemaining(scenario, decide: Self.gcra)
        }
    }

    /// (5) Retry-After is exact: at now + retryAfter the request passes, one
    /// millisecond earlier it does not.
    @Test func retry_after_is_exact() async {
        await propertyCheck(count: Self.count, input: Self.scenarios) { scenario in
            Self.checkRetryAfter(scenario, decide: Self.gcra)
        }
    }

    /// (6) The memory store decides exactly like the pure function, on both
    /// entry points (`decideImmediately` is the middleware's fast path).
    @Test func memory_store_agrees_with_gcra() async {
        await propertyCheck(count: Self.count, input: Self.scenarios) { scenario in
            let store = MemoryRateLimitStore()
            var index = 0
            await Self.checkStoreAgrees(scenario, decide: Self.gcra) { now in
                index += 1
                if index.isMultiple(of: 2) {
                    return store.decideImmediately(key: "ip:198.51.100.7", policy: scenario.policy, now: now)
                }
                return try? await store.decide(key: "ip:198.51.100.7", policy: scenario.policy, now: now)
            }
        }
    }

    // (7) A parse/format round trip of RateLimitConfiguration is left out:
    // there is no formatter (only `parse`), and `RateLimitPolicy.description`
    // is prose, not the `CLASS=LIMIT/PERIOD:burst=N` syntax.
}

// MARK: - Scenarios

extension GCRAPropertyTests {
    /// A policy, a sequence of arrival times for one key, and one extra gap
    /// (in percent of T) for the checks that probe the state afterwards.
    struct Scenario: Sendable, CustomStringConvertible {
        let policy: RateLimitPolicy
        let times: [Int64]
        let extraPercent: Int

        var interval: Int64 { policy.emissionInterval }
        /// T · percent / 100: gaps scale with the policy, so every policy
        /// sees bursts (gap 0), sub-T gaps and recoveries.
        func gap(percent: Int) -> Int64 { interval * Int64(percent) / 100 }

        var description: String {
            "limit \(policy.limit) per \(policy.periodMilliseconds) ms, burst \(policy.burst) (T \(interval) ms); "
                + "extra \(extraPercent) %; \(times.count) arrivals \(times)"
        }
    }

    /// limit 1…100 per 1 ms…60 s (so T runs from 1 ms, truncated, to 60 s),
    /// burst 1…30; up to 150 arrivals whose gaps are 0 about 30 % of the time
    /// and otherwise up to 2.5 T; a start anywhere in 30 years of epoch
    /// milliseconds.
    static let scenarios = zip(
        zip(Gen.int(in: 1...100), Gen.int64(in: 1...60_000), Gen.int(in: 1...30)),
        Gen.int(in: -100...250).array(of: 1...150),
        Gen.int64(in: 0...1_000_000_000_000),
        Gen.int(in: 0...300)
    ).map { parts in
        let policy = RateLimitPolicy(name: "p", limit: parts.0.0, periodMilliseconds: parts.0.1, burst: parts.0.2)
        let interval = policy.emissionInterval
        var now = parts.2
        let times = parts.1.map { percent in
            now += interval * Int64(max(0, percent)) / 100
            return now
        }
        return Scenario(policy: policy, times: times, extraPercent: parts.3)
    }

    struct Step {
        let now: Int64
        let stored: Int64?
        let decision: RateLimitDecision
    }

    /// Runs the arrivals through one key the way the stores do: the TAT is
    /// stored only when the request is admitted.
    static func replay(_ times: [Int64], _ policy: RateLimitPolicy, decide: Decide) -> (steps: [Step], tat: Int64?) {
        var tat: Int64?
        let steps = times.map { now in
            let decision = decide(tat, now, policy)
            defer { if decision.allowed { tat = decision.newTAT } }
            return Step(now: now, stored: tat, decision: decision)
        }
        return (steps, tat)
    }
}

// MARK: - Checks (shared by the tests and the "can it fail" runs)

extension GCRAPropertyTests {
    static func checkWindows(_ scenario: Scenario, decide: Decide) {
        let policy = scenario.policy
        let admitted = replay(scenario.times, policy, decide: decide).steps.filter(\.decision.allowed).map(\.now)
        // The largest excess over the bound, over all windows; one #expect
        // per scenario keeps a failure readable.
        var worst: (excess: Int64, start: Int64, end: Int64)?
        for i in admitted.indices {
            for j in i..<admitted.count {
                let bound = Int64(policy.burst) + (admitted[j] - admitted[i]) / scenario.interval
                let excess = Int64(j - i + 1) - bound
                if excess > (worst?.excess ?? 0) { worst = (excess, admitted[i], admitted[j]) }
            }
        }
        #expect(worst == nil, "window [\(worst?.start ?? 0), \(worst?.end ?? 0)] admits \(worst?.excess ?? 0) too many")
    }

    static func checkRecovery(_ scenario: Scenario, decide: Decide) {
        let policy = scenario.policy
        let (steps, tat) = replay(scenario.times, policy, decide: decide)
        guard let last = steps.last?.now else { return }
        // burst · T after the last request; extraPercent adds 0 … 3 T more.
        let now = last + Int64(policy.burst) * scenario.interval + scenario.gap(percent: scenario.extraPercent)
        let burst = replay(Array(repeating: now, count: policy.burst + 1), policy, decide: { stored, now, policy in
            decide(stored ?? tat, now, policy)
        }).steps.map(\.decision)
        #expect(burst.map(\.allowed) == Array(repeating: true, count: policy.burst) + [false])
        #expect(burst.first?.remaining == policy.burst - 1)
    }

    static func checkRefusalsInert(_ scenario: Scenario, decide: Decide) {
        let policy = scenario.policy
        let steps = replay(scenario.times, policy, decide: decide).steps
        for step in steps where !step.decision.allowed {
            #expect(step.decision.newTAT == step.stored, "refused at \(step.now)")
        }
        let admitted = steps.filter(\.decision.allowed)
        let alone = replay(admitted.map(\.now), policy, decide: decide).steps.map(\.decision)
        #expect(alone == admitted.map(\.decision))
    }

    static func checkRemaining(_ scenario: Scenario, decide: Decide) {
        let policy = scenario.policy
        let (steps, tat) = replay(scenario.times, policy, decide: decide)
        for step in steps {
            #expect((0...(policy.burst - 1)).contains(step.decision.remaining), "at \(step.now)")
        }
        for (previous, step) in zip(steps, steps.dropFirst())
        where step.now == previous.now && previous.decision.allowed && step.decision.allowed {
            #expect(step.decision.remaining == previous.decision.remaining - 1, "at \(step.now)")
        }
        // Drain one instant after the sequence: the first admission's
        // `remaining` says how many more follow, then a refusal.
        guard let last = steps.last?.now else { return }
        let now = last + scenario.gap(percent: scenario.extraPercent)
        var stored = tat
        var drained: [Int] = []
        for _ in 0...policy.burst {
            let decision = decide(stored, now, policy)
            guard decision.allowed else { break }
            drained.append(decision.remaining)
            stored = decision.newTAT
        }
        if let first = drained.first {
            #expect(drained == Array((0...first).reversed()))
        }
        #expect(!decide(stored, now, policy).allowed, "more than burst at one instant")
    }

    static func checkRetryAfter(_ scenario: Scenario, decide: Decide) {
        let policy = scenario.policy
        let steps = replay(scenario.times, policy, decide: decide).steps
        for step in steps where !step.decision.allowed {
            let wait = step.decision.retryAfterMilliseconds
            #expect(wait >= 1)
            #expect(decide(step.stored, step.now + wait, policy).allowed, "at \(step.now) + \(wait)")
            #expect(!decide(step.stored, step.now + wait - 1, policy).allowed, "at \(step.now) + \(wait) - 1")
        }
    }

    static func checkStoreAgrees(
        _ scenario: Scenario, decide: Decide, store: (Int64) async -> RateLimitDecision?
    ) async {
        let expected = replay(scenario.times, scenario.policy, decide: decide).steps
        for step in expected {
            let actual = await store(step.now)
            #expect(actual == step.decision, "at \(step.now)")
        }
    }
}
