import FluentKit
import Logging
import Synchronization
import SQLKit
import Vapor

/// Writes the in-memory request statistics (`RequestStatsAggregator`) to
/// `request_stats`, one upsert per bucket, plus one `resource_samples` row
/// for this process. Never throws: a failure is logged (and counted in
/// `db_errors_total`) and the buckets are kept for the next flush, within
/// the aggregator's bound.
final class RequestStatsFlusher: Sendable {
    /// How long rows are kept (pruned about once an hour).
    static let retentionMilliseconds: Int64 = 90 * 86_400_000

    let aggregator: RequestStatsAggregator
    let metrics: HTTPMetrics?
    let instance: String
    private let database: @Sendable () -> any Database
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let lastPrune = Mutex<Int64>(0)
    /// One flush at a time (the timer and the shutdown flush never overlap).
    private let flushing = Mutex<Bool>(false)

    init(aggregator: RequestStatsAggregator, metrics: HTTPMetrics?, database: @escaping @Sendable () -> any Database,
         logger: Logger, instance: String = ResourceSample.thisInstance,
         now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.aggregator = aggregator
        self.metrics = metrics
        self.database = database
        self.logger = logger
        self.instance = instance
        self.now = now
    }

    struct Outcome: Sendable, Equatable {
        var bucketsWritten = 0
        var bucketsKept = 0
        var sampled = false
    }

    @discardableResult
    func flush(sampleResources: Bool) async -> Outcome {
        var outcome = Outcome()
        guard flushing.withLock({ busy in defer { busy = true }; return !busy }) else { return outcome }
        defer { flushing.withLock { $0 = false } }
        let (entries, dropped) = aggregator.drain()
        if dropped > 0 {
            logger.warning("request statistics dropped: too many buckets pending", metadata: ["requests": .stringConvertible(dropped)])
        }
        guard let sql = database() as? any SQLDatabase else { return outcome }
        var unwritten: [RequestStatsKey: RequestStatsCounts] = [:]
        var failure: (any Error)?
        // Oldest first, so that a failure part-way keeps the newest.
        for (key, counts) in entries.sorted(by: { $0.key.bucketMilliseconds < $1.key.bucketMilliseconds }) {
            if failure != nil {
                unwritten[key] = counts
                continue
            }
            do {
                try await RequestStatsStore.add(key, counts, on: sql)
                outcome.bucketsWritten += 1
            } catch {
                failure = error
                unwritten[key] = counts
            }
        }
        if let failure {
            aggregator.restore(unwritten)
            outcome.bucketsKept = unwritten.count
            fail("request statistics not stored", failure, ["buckets": .stringConvertible(unwritten.count)])
            return outcome
        }
        let at = now()
        if sampleResources, let sample = ResourceSample.current(instance: instance, milliseconds: at) {
            do {
                try await RequestStatsStore.add(sample, on: sql)
                outcome.sampled = true
            } catch {
                fail("resource sample not stored", error, [:])
            }
        }
        if lastPrune.withLock({ last in defer { if at - last >= 3_600_000 { last = at } }; return at - last >= 3_600_000 }) {
            do {
                try await RequestStatsStore.prune(before: at - Self.retentionMilliseconds, on: sql)
            } catch {
                fail("request statistics not pruned", error, [:])
            }
        }
        return outcome
    }

    private func fail(_ message: Logger.Message, _ error: any Error, _ extra: Logger.Metadata) {
        metrics?.databaseError()
        var metadata = extra
        // The type only: driver messages can carry SQL with values.
        metadata["error_type"] = .string(String(reflecting: type(of: error)))
        logger.warning(message, metadata: metadata)
    }
}

/// Runs the flusher every `interval` from boot, and once more at shutdown
/// (lifecycle handlers run before Vapor closes the databases; the HTTP
/// server has stopped by then, so the last requests are in it). Only a
/// booted application (`serve`) flushes; commands that configure an
/// application without booting it write nothing. Off under the `testing`
/// environment, where the tests call the flusher themselves.
final class RequestStatsLifecycle: LifecycleHandler, Sendable {
    let flusher: RequestStatsFlusher
    let interval: Duration
    let enabled: Bool
    private let timer = Mutex<Task<Void, Never>?>(nil)
    private let booted = Atomic<Bool>(false)

    init(flusher: RequestStatsFlusher, interval: Duration = .seconds(60), enabled: Bool) {
        self.flusher = flusher
        self.interval = interval
        self.enabled = enabled
    }

    func didBootAsync(_ application: Application) async throws {
        guard enabled else { return }
        booted.store(true, ordering: .relaxed)
        let flusher = self.flusher
        let interval = self.interval
        let task = Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                await flusher.flush(sampleResources: true)
            }
        }
        timer.withLock { $0 = task }
    }

    func shutdownAsync(_ application: Application) async {
        guard enabled, booted.load(ordering: .relaxed) else { return }
        let task = timer.withLock { current in defer { current = nil }; return current }
        task?.cancel()
        // A flush in progress finishes (bounded by the pool timeout) before the last one.
        await task?.value
        await flusher.flush(sampleResources: true)
    }
}
