import Foundation
import Synchronization

/// The fixed latency buckets of the persisted request statistics
/// (migration 009): the upper bounds of `HTTPMetrics.durationBuckets` in
/// milliseconds plus one unbounded bucket. Fixed, so that rows written at
/// different times and by different processes add up column by column and
/// any period's p95 comes from their sum.
enum RequestStatsHistogram {
    /// Upper bounds (inclusive) in milliseconds; a 14th bucket holds the rest.
    static let upperBoundsMilliseconds: [Double] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
    static var bucketCount: Int { upperBoundsMilliseconds.count + 1 }
    /// `le_00` … `le_13`.
    static let columns: [String] = (0..<(upperBoundsMilliseconds.count + 1)).map { String(format: "le_%02d", $0) }

    /// The bucket index of a duration in microseconds.
    static func index(micros: Int64) -> Int {
        let milliseconds = Double(micros) / 1000
        return upperBoundsMilliseconds.firstIndex(where: { milliseconds <= $0 }) ?? upperBoundsMilliseconds.count
    }

    /// The `quantile` (0…1) of the counts, in milliseconds, interpolated
    /// linearly inside the bucket it falls in, as Prometheus'
    /// `histogram_quantile` does (the first bucket starts at 0). A quantile in
    /// the unbounded bucket is `maxMilliseconds`, the largest duration seen.
    /// Nil when there are no counts.
    static func quantile(_ quantile: Double, counts: [Int64], maxMilliseconds: Double) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0, counts.count == bucketCount else { return nil }
        let rank = quantile * Double(total)
        var below: Int64 = 0
        for (index, count) in counts.enumerated() {
            let through = below + count
            if count > 0, Double(through) >= rank {
                guard index < upperBoundsMilliseconds.count else { return maxMilliseconds }
                let lower = index == 0 ? 0 : upperBoundsMilliseconds[index - 1]
                let upper = upperBoundsMilliseconds[index]
                let value = lower + (upper - lower) * (rank - Double(below)) / Double(count)
                // Never above the largest duration actually seen.
                return min(value, max(maxMilliseconds, lower))
            }
            below = through
        }
        return maxMilliseconds
    }
}

/// One row of `request_stats`: the minute (epoch milliseconds of its
/// start), the method label and the route pattern.
struct RequestStatsKey: Hashable, Sendable {
    let bucketMilliseconds: Int64
    let method: String
    let route: String
}

/// The figures of one bucket; `merge` is the same addition the upsert does.
struct RequestStatsCounts: Sendable, Equatable {
    var requests: Int64 = 0
    var clientErrors: Int64 = 0
    var serverErrors: Int64 = 0
    var durationSumMicros: Int64 = 0
    var durationMaxMicros: Int64 = 0
    var histogram: [Int64] = Array(repeating: 0, count: RequestStatsHistogram.bucketCount)

    mutating func add(status: Int, micros: Int64) {
        requests += 1
        if (400..<500).contains(status) { clientErrors += 1 }
        if status >= 500 { serverErrors += 1 }
        durationSumMicros &+= micros
        durationMaxMicros = max(durationMaxMicros, micros)
        histogram[RequestStatsHistogram.index(micros: micros)] += 1
    }

    mutating func merge(_ other: RequestStatsCounts) {
        requests += other.requests
        clientErrors += other.clientErrors
        serverErrors += other.serverErrors
        durationSumMicros &+= other.durationSumMicros
        durationMaxMicros = max(durationMaxMicros, other.durationMaxMicros)
        for index in histogram.indices { histogram[index] += other.histogram[index] }
    }
}

/// Per-minute request figures kept in memory between two flushes
/// (`RequestStatsFlusher`): one lock and one dictionary update per request,
/// no database write. Bounded: at most `maxEntries` buckets are held (the
/// keys are bounded anyway — known methods × route patterns × the minutes
/// since the last successful flush); requests that would open a bucket
/// beyond that are counted in `dropped` and reported by the next flush.
final class RequestStatsAggregator: Sendable {
    static let bucketMilliseconds: Int64 = 60_000

    struct State {
        var entries: [RequestStatsKey: RequestStatsCounts] = [:]
        var dropped: Int64 = 0
    }

    let maxEntries: Int
    private let now: @Sendable () -> Int64
    private let state = Mutex(State())

    /// - Parameter now: epoch milliseconds (tests pass a fixed clock).
    init(maxEntries: Int = 10_000, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.maxEntries = maxEntries
        self.now = now
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        let at = now()
        let key = RequestStatsKey(bucketMilliseconds: at - at % Self.bucketMilliseconds, method: method, route: route)
        state.withLock { state in
            if state.entries[key] == nil, state.entries.count >= maxEntries {
                state.dropped += 1
                return
            }
            state.entries[key, default: RequestStatsCounts()].add(status: status, micros: micros)
        }
    }

    /// Takes everything recorded so far (and the dropped count), leaving the
    /// aggregator empty.
    func drain() -> (entries: [RequestStatsKey: RequestStatsCounts], dropped: Int64) {
        state.withLock { state in
            defer { state = State() }
            return (state.entries, state.dropped)
        }
    }

    /// Puts back what a failed flush could not write, merged with what was
    /// recorded meanwhile, within the same bound.
    func restore(_ entries: [RequestStatsKey: RequestStatsCounts]) {
        state.withLock { state in
            for (key, counts) in entries {
                if state.entries[key] == nil, state.entries.count >= maxEntries {
                    state.dropped += counts.requests
                    continue
                }
                state.entries[key, default: RequestStatsCounts()].merge(counts)
            }
        }
    }

    var pendingBuckets: Int { state.withLock { $0.entries.count } }
}
