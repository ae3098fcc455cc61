import Synchronization

/// Per-subject usage baselines for this process, and the anomalies they
/// reveal (checklist key `monitor.unusual-usage`). Subjects are client IPs
/// and authenticated identities; the server feeds every answer in and turns
/// what comes back into `usage.anomaly` security events.
///
/// Sharded like `MemoryRateLimitStore`: 16 locks, so concurrent requests
/// rarely wait. Memory is bounded by `maximumSubjects`: a full shard first
/// forgets subjects idle for two windows, then the least recently seen.
///
/// Per process: with several instances behind a round-robin proxy each sees
/// its share of a client's traffic, so rate thresholds apply per instance
/// (documented in docs/SECURITY.md).
public final class UsageAnomalyDetector: Sendable {
    public let thresholds: UsageAnomalyThresholds
    private let shards: [Shard]
    private let maximumPerShard: Int
    private static let shardCount = 16

    private final class Shard: Sendable {
        let table = Mutex<[String: UsageBaseline]>([:])
    }

    public init(thresholds: UsageAnomalyThresholds) {
        self.thresholds = thresholds
        maximumPerShard = max(64, thresholds.maximumSubjects / Self.shardCount)
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Records one answer (an HTTP status) for the subject.
    public func observe(subject: String, status: Int, now: Int64) -> [UsageAnomaly] {
        guard thresholds.enabled else { return [] }
        let answer: UsageBaseline.Answer = switch status {
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 200..<400: .success
        default: .other
        }
        return update(subject, now: now) { state, thresholds in
            state.observe(answer, subject: subject, now: now, thresholds: thresholds)
        }
    }

    /// Records a failed sign-in for the account hash (or a rejected credential) from the subject.
    public func observeFailedCredential(subject: String, account: UInt64, now: Int64) -> [UsageAnomaly] {
        guard thresholds.enabled else { return [] }
        return update(subject, now: now) { state, thresholds in
            state.observeFailedCredential(account, subject: subject, now: now, thresholds: thresholds)
        }
    }

    /// Subjects currently tracked (tests, metrics).
    public var subjectCount: Int {
        shards.reduce(0) { total, shard in total + shard.table.withLock { $0.count } }
    }

    private func update(
        _ subject: String, now: Int64,
        _ body: (inout UsageBaseline, UsageAnomalyThresholds) -> [UsageAnomaly]
    ) -> [UsageAnomaly] {
        let shard = shards[Int(UInt(bitPattern: subject.hashValue) % UInt(Self.shardCount))]
        let limit = maximumPerShard
        let thresholds = self.thresholds
        return shard.table.withLock { table in
            if table[subject] == nil, table.count >= limit {
                Self.evict(&table, now: now, keep: limit * 3 / 4, idleAfter: 2 * thresholds.windowMilliseconds)
            }
            return body(&table[subject, default: UsageBaseline(now: now)], thresholds)
        }
    }

    private static func evict(_ table: inout [String: UsageBaseline], now: Int64, keep: Int, idleAfter: Int64) {
        table = table.filter { now - $0.value.lastSeen < idleAfter }
        guard table.count > keep else { return }
        let survivors = table.sorted { $0.value.lastSeen > $1.value.lastSeen }.prefix(keep)
        table = Dictionary(uniqueKeysWithValues: survivors.map { ($0.key, $0.value) })
    }
}
