import Fluent
import Foundation
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct RateLimitTests {
    /// 3 an hour, all at once: nothing refills during a test, however slow
    /// the machine (one request every 20 minutes at the steady rate).
    static let read = RateLimitPolicy(name: "read", limit: 3, periodMilliseconds: 3_600_000, burst: 3)

    func strict(_ config: inout AppConfig) {
        config.rateLimits[.read] = Self.read
    }

    @Test func headers_then_429_problem_with_retry_after() async throws {
        try await withTestApp(strict) { app in
            for expectedRemaining in [2, 1, 0] {
                try await app.testing().test(.GET, "api/v1") { res in
                    #expect(res.status == .ok)
                    #expect(res.headers.first(name: "RateLimit-Policy") == #""read";q=3;w=3600"#)
                    #expect(res.headers.first(name: "RateLimit")?.hasPrefix(#""read";r=\#(expectedRemaining);t="#) == true)
                    #expect(res.headers.first(name: "RateLimit-Limit") == "3")
                    #expect(res.headers.first(name: "RateLimit-Remaining") == String(expectedRemaining))
                    #expect(res.headers.first(name: "RateLimit-Reset") != nil)
                }
            }
            try await app.testing().test(.GET, "api/v1") { res in
                #expect(res.status == .tooManyRequests)
                #expect(res.headers.contentType?.description.hasPrefix("application/problem+json") == true)
                #expect(res.problem?["type"] as? String == "urn:smflow:problem:rate-limited")
                let retryAfter = try #require(res.headers.first(name: "Retry-After").flatMap(Int.init))
                #expect((1190...1200).contains(retryAfter), "one emission interval: 20 minutes")
                #expect(res.headers.first(name: "RateLimit-Remaining") == "0")
                // Still a hardened response.
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
            // Health checks are never limited.
            for _ in 0..<10 {
                try await app.testing().test(.GET, "healthz") { res in #expect(res.status == .ok) }
            }
        }
    }

    @Test func each_credential_has_its_own_allowance() async throws {
        try await withTestApp(strict) { app in
            for token in ["token-a", "token-b"] {
                for _ in 0..<3 {
                    try await app.testing().test(.GET, "api/v1", headers: .bearer(token)) { res in #expect(res.status == .ok) }
                }
            }
            try await app.testing().test(.GET, "api/v1", headers: .bearer("token-a")) { res in #expect(res.status == .tooManyRequests) }
        }
    }

    @Test func spoofed_forwarded_for_from_an_untrusted_peer_is_one_client() async throws {
        try await withTestApp(strict) { app in
            let tester = try live(app)
            var statuses: [UInt] = []
            for index in 0..<4 {
                // Each request claims another client; the peer is the same.
                let res = try await tester.sendRequest(.GET, "api/v1", headers: ["X-Forwarded-For": "198.51.100.\(index)"])
                statuses.append(res.status.code)
            }
            #expect(statuses == [200, 200, 200, 429])
        }
        try await withTestApp({ config in
            strict(&config)
            config.trustedProxies = CIDR.loopback
        }) { app in
            // Behind a trusted proxy, the forwarded clients are told apart.
            let tester = try live(app)
            for index in 0..<4 {
                let res = try await tester.sendRequest(.GET, "api/v1", headers: ["X-Forwarded-For": "198.51.100.\(index)"])
                #expect(res.status == .ok)
            }
        }
    }

    @Test func violations_are_counted_and_reported_once_a_minute() async throws {
        try await withTestApp(strict) { app in
            for _ in 0..<13 {
                _ = try await app.testing().sendRequest(.GET, "api/v1")
            }
            #expect(app.smf.metrics.exposition().contains(#"ratelimit_rejections_total{policy="read"} 10"#))
            // The event is written from a background task.
            var events: [SecurityEvent] = []
            for _ in 0..<50 {
                events = try await SecurityEvent.query(on: app.db).filter(\.$type == "ratelimit.exceeded").all()
                if !events.isEmpty { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(events.count == 1)
        }
    }

    /// The shared store: one atomic statement per decision, so concurrent
    /// callers (tasks here, processes in production) get exactly the burst.
    @Test func database_store_is_atomic_under_concurrency() async throws {
        try await withTestApp { app in
            let store = DatabaseRateLimitStore(database: { app.db })
            let policy = RateLimitPolicy(name: "t", limit: 10, periodMilliseconds: 1000, burst: 5)
            let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await store.decide(key: "shared", policy: policy, now: 5_000).allowed }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 5)
            let refused = try await store.decide(key: "shared", policy: policy, now: 5_000)
            #expect(!refused.allowed && refused.retryAfterMilliseconds == 100)
            // Same arithmetic as the memory store.
            #expect(try await store.decide(key: "shared", policy: policy, now: 5_100).allowed)
            #expect(try await store.decide(key: "other", policy: policy, now: 5_000).remaining == 4)
        }
    }

    @Test func memory_and_database_stores_agree() async throws {
        try await withTestApp { app in
            let database = DatabaseRateLimitStore(database: { app.db })
            let memory = MemoryRateLimitStore()
            let policy = RateLimitPolicy(name: "t", limit: 20, periodMilliseconds: 1000, burst: 4)
            var generator = SplitMix64Test(seed: 42)
            var now: Int64 = 10_000
            for _ in 0..<200 {
                now += Int64(generator.next() % 80)
                let a = try await database.decide(key: "k", policy: policy, now: now)
                let b = try await memory.decide(key: "k", policy: policy, now: now)
                #expect(a == b)
            }
        }
    }
}

struct SplitMix64Test: RandomNumberGenerator {
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
