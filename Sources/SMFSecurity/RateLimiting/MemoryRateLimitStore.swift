import Synchronization

/// Rate-limit state in this process: 64 shards, each a dictionary of TATs
/// behind its own lock, so threads rarely wait for one another.
///
/// Memory is bounded: a shard holds at most `maximumKeysPerShard` keys. A
/// key whose TAT has passed carries no information (it behaves exactly like
/// a key never seen), so full shards first drop those. If a shard is still
/// full, the keys closest to expiry go — those clients get their burst back
/// a little early; the limit degrades, it never blocks anyone wrongly.
///
/// For one process only: several instances must share the database store.
public final class MemoryRateLimitStore: RateLimitStore {
    public static let shardCount = 64
    public let maximumKeysPerShard: Int
    private let shards: [Shard]

    /// `Mutex` cannot be copied, so each lives in its own object.
    private final class Shard: Sendable {
        let table = Mutex<[String: Int64]>([:])
    }

    public init(maximumKeys: Int = 1_000_000) {
        maximumKeysPerShard = max(16, maximumKeys / Self.shardCount)
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    public func decide(key: String, policy: RateLimitPolicy, now: Int64) async throws -> RateLimitDecision {
        decideNow(key: key, policy: policy, now: now)
    }

    public func decideImmediately(key: String, policy: RateLimitPolicy, now: Int64) -> RateLimitDecision? {
        decideNow(key: key, policy: policy, now: now)
    }

    /// The synchronous core (also what the micro-benchmark measures).
    public func decideNow(key: String, policy: RateLimitPolicy, now: Int64) -> RateLimitDecision {
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
        let limit = maximumKeysPerShard
        return shard.table.withLock { table in
            let decision = GCRA.decide(tat: table[key], now: now, policy: policy)
            if decision.allowed {
                if table[key] == nil && table.count >= limit {
                    Self.evict(&table, now: now, keep: limit * 3 / 4)
                }
                table[key] = decision.newTAT
            }
            return decision
        }
    }

    /// Keys currently held (for tests and metrics).
    public var keyCount: Int {
        shards.reduce(0) { total, shard in total + shard.table.withLock { $0.count } }
    }

    private static func evict(_ table: inout [String: Int64], now: Int64, keep: Int) {
        table = table.filter { $0.value > now }
        guard table.count > keep else { return }
        let survivors = table.sorted { $0.value > $1.value }.prefix(keep)
        table = Dictionary(uniqueKeysWithValues: survivors.map { ($0.key, $0.value) })
    }
}
