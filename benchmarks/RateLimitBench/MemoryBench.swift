import Foundation
import SMFSecurity

/// Decisions per second of `MemoryRateLimitStore` on one thread, called the
/// way `RateLimitMiddleware` calls it: `decideImmediately` through an
/// `any RateLimitStore`. Everything the middleware does around the call
/// (building the key, reading the clock, the headers) is left out: keys are
/// built beforehand and time is simulated by a counter.
enum MemoryBench {
    struct Workload {
        let name: String
        let policy: RateLimitPolicy
        /// Simulated milliseconds per decision (as a divisor: `now` moves 1 ms
        /// every `decisionsPerMillisecond` decisions).
        let decisionsPerMillisecond: Int
    }

    static let workloads = [
        // Every decision admitted, so every decision writes the TAT back:
        // the store's most expensive path.
        Workload(name: "admit-all", policy: RateLimitPolicy(name: "read", limit: 1000, periodMilliseconds: 1000, burst: 1000),
                 decisionsPerMillisecond: 1),
        // The production default for reads (600/min, burst 120) with traffic
        // arriving at 2 million decisions per simulated second: a hot key is
        // refused almost always; 100k keys see 20/s each, so within a run of
        // a few simulated seconds they stay inside their burst (the report
        // gives the admitted share of every run).
        Workload(name: "read-default", policy: RateLimitConfiguration.defaults[.read] ?? RateLimitPolicy(
            name: "read", limit: 600, periodMilliseconds: 60_000, burst: 120), decisionsPerMillisecond: 2000),
    ]

    static let keyCounts = [1, 1_000, 100_000]

    static func run(decisions: Int) {
        for keyCount in keyCounts {
            // Key text as the middleware builds it for anonymous clients.
            let keys = (0..<keyCount).map { "ip:10.\($0 >> 16 & 255).\($0 >> 8 & 255).\($0 & 255)" }
            // A fixed pseudo-random order (2^20 entries, cycled), so the key
            // choice costs an array read, not a random number per decision.
            var generator = SplitMix64(seed: UInt64(keyCount))
            let order = (0..<(1 << 20)).map { _ in Int32(truncatingIfNeeded: generator.next() % UInt64(keyCount)) }
            for workload in workloads {
                // A fresh store per workload; warm it (and the caches) first.
                let store: any RateLimitStore = MemoryRateLimitStore()
                // Simulated time runs on from the warm-up into the measured run.
                let warmup = min(decisions, 1_000_000)
                _ = measure(store, keys, order, workload, from: 0, decisions: warmup)
                let result = measure(store, keys, order, workload, from: warmup, decisions: decisions)
                let perSecond = Double(decisions) / result.seconds
                print("result store=memory workload=\(workload.name) keys=\(keyCount) decisions=\(decisions) "
                    + "seconds=\(format(result.seconds, 3)) per_second=\(Int(perSecond.rounded())) "
                    + "admitted_pct=\(format(Double(result.admitted) / Double(decisions) * 100, 1)) "
                    + "checksum=\(result.checksum)")
            }
        }
    }

    /// The timed loop. `admitted` and `checksum` depend on every decision,
    /// and are printed, so the optimiser cannot drop any of them.
    @inline(never)
    static func measure(
        _ store: any RateLimitStore, _ keys: [String], _ order: [Int32], _ workload: Workload, from first: Int,
        decisions: Int
    ) -> (seconds: Double, admitted: Int, checksum: Int) {
        let policy = workload.policy
        let mask = order.count - 1
        let start: Int64 = 1_800_000_000_000
        var admitted = 0
        var checksum = 0
        let clock = ContinuousClock()
        let began = clock.now
        for index in first..<(first + decisions) {
            let key = keys[Int(order[index & mask])]
            let now = start + Int64(index / workload.decisionsPerMillisecond)
            guard let decision = store.decideImmediately(key: key, policy: policy, now: now) else {
                fatalError("the memory store always decides immediately")
            }
            if decision.allowed { admitted += 1 }
            checksum &+= decision.remaining
        }
        let elapsed = clock.now - began
        return (asSeconds(elapsed), admitted, checksum)
    }
}

/// A small seeded generator: the same key order in every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func asSeconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
}

func format(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
