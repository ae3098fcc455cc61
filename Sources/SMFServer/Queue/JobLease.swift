import Foundation
import Logging
import Synchronization

/// How long a worker may still treat a claimed job as its own, as this
/// process sees it: the lease it last wrote (at the claim, then at every
/// heartbeat) counted on the monotonic clock from just before that
/// statement was sent, so the local deadline is never later than the one
/// stored in `jobs.lease_expires_ms`. A heartbeat that finds the row no
/// longer ours marks the lease lost.
///
/// Used to bound the retries of the database writes that follow a side
/// effect (`LeaseBoundRetry`): while the lease holds, no other worker can
/// claim the job, so retrying cannot race a second run.
public final class JobLease: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant
        var lost = false
    }

    private let state: Mutex<State>
    /// The lease length `renewed(from:)` adds.
    let duration: Duration
    /// Retries stop this long before the deadline: other workers compare
    /// the stored expiry against their own wall clocks, which may be ahead.
    let margin: Duration

    /// - Parameters:
    ///   - written: when the statement that set the lease was sent (before
    ///     the round trip: the stored expiry is at least this plus `seconds`).
    init(written: ContinuousClock.Instant, seconds: Int) {
        duration = .seconds(max(1, seconds))
        margin = max(.milliseconds(500), duration / 10)
        state = Mutex(State(deadline: written.advanced(by: duration)))
    }

    /// A heartbeat sent at `written` renewed the lease.
    func renewed(from written: ContinuousClock.Instant) {
        state.withLock { state in
            let deadline = written.advanced(by: duration)
            if deadline > state.deadline { state.deadline = deadline }
        }
    }

    /// A heartbeat found the row gone or owned by someone else.
    func markLost() { state.withLock { $0.lost = true } }

    public var isLost: Bool { state.withLock { $0.lost } }

    /// Time left for retries (zero once lost or past the deadline minus the margin).
    public func remaining(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { state in
            guard !state.lost else { return .zero }
            let left = state.deadline - margin - now
            return left > .zero ? left : .zero
        }
    }
}

/// Retries a database write that records the result of a side effect
/// (a checkpoint after a platform call, the finished execution, the job's
/// completion) with bounded exponential backoff, for as long as the job's
/// lease is this worker's. A short database outage (a restart, a failover)
/// then delays the record instead of losing it — which would make the job
/// run again after its lease expired and repeat the side effect.
///
/// Past the lease it stops and rethrows: another worker may own the job
/// now, and the run that follows is the at-least-once case that
/// `ExecutionCheckpoints` flags. Cancellation (shutdown) is never retried.
///
/// Logs and metrics name what was being written and the error's type,
/// never its text (a driver error can quote bound values).
public struct LeaseBoundRetry: Sendable {
    let lease: JobLease
    let metrics: JobMetrics?
    /// The first wait; it doubles per failed try…
    var initialDelay: Duration = .milliseconds(50)
    /// …up to this (a recovered database is noticed within about a second).
    var maxDelay: Duration = .seconds(1)

    init(lease: JobLease, metrics: JobMetrics?) {
        self.lease = lease
        self.metrics = metrics
    }

    /// Runs `operation`, retrying its failures while the lease holds.
    /// - Parameter what: a fixed description for logs ("execution checkpoint").
    public func run<T>(
        _ what: String, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ operation: () async throws -> T
    ) async throws -> T {
        var retries = 0
        var delay = initialDelay
        // However often the heartbeat renews the lease, one write is not
        // retried for longer than one lease period.
        var giveUpAt: ContinuousClock.Instant?
        while true {
            do {
                let value = try await operation()
                if retries > 0 {
                    metrics?.recordRetry(.recovered)
                    logger.notice("recorded after the database came back", metadata: [
                        "write": .string(what), "retries": .stringConvertible(retries),
                    ])
                }
                return value
            } catch {
                if error is CancellationError || Task.isCancelled || !Self.isRetryable(error) { throw error }
                let now = ContinuousClock.now
                let stopAt = giveUpAt ?? now.advanced(by: lease.duration)
                giveUpAt = stopAt
                let left = min(lease.remaining(now: now), stopAt - now)
                guard left > .zero else {
                    metrics?.recordRetry(.gaveUp)
                    logger.error("giving up a write after a side effect: the job's lease (or the retry bound of one lease period) has run out; the job may run again", metadata: [
                        "write": .string(what), "retries": .stringConvertible(retries),
                        "error_type": .string(String(reflecting: type(of: error))), "lease_lost": .stringConvertible(lease.isLost),
                    ])
                    throw error
                }
                retries += 1
                metrics?.recordRetry(.retried)
                let wait = min(delay, left)
                if retries == 1 || retries.isMultiple(of: 10) {
                    logger.warning("write after a side effect failed; retrying while the job's lease holds", metadata: [
                        "write": .string(what), "retries": .stringConvertible(retries),
                        "error_type": .string(String(reflecting: type(of: error))),
                        "lease_left_ms": .stringConvertible(JobQueue.milliseconds(left)),
                    ])
                }
                try await Task.sleep(for: wait)
                delay = min(delay * 2, maxDelay)
            }
        }
    }

    /// Errors that the same write cannot fix by trying again: our own
    /// encoding of the values and a model that was not found.
    static func isRetryable(_ error: any Error) -> Bool {
        !(error is EncodingError || error is DecodingError || error is JobFailure)
    }
}
