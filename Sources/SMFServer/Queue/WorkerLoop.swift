import Foundation
import Logging
import Synchronization

/// Runs jobs from a `JobQueue`: claim a batch → run each job's handler
/// concurrently (up to `concurrency`) → complete or fail it. A heartbeat
/// renews the leases of the jobs in flight every lease/3, so a long job is
/// not taken over while its worker is alive, and a dead worker's jobs come
/// back within one lease.
///
/// Idle, it polls with a wait that doubles from `minPollInterval` to
/// `maxPollInterval`; after a full batch it claims again at once; a
/// finished job or `wake()` cuts the wait short.
///
/// Stopping (`stop()`): no more claims; jobs in flight get `drainTimeout`
/// to finish; the rest are cancelled and their leases left to expire, so
/// another worker takes them over (nothing is lost, the attempt counts).
/// Cancelling the task that runs `run()` stops at once, the same way.
///
/// Logs carry `job_id`, `job_kind`, `attempt` — never payload contents.
public final class WorkerLoop: Sendable {
    public let owner: String
    let queue: JobQueue
    let handlers: JobHandlers
    let settings: WorkerSettings
    let logger: Logger
    let metrics: JobMetrics?

    private enum Phase { case idle, running, stopping, stopped }

    private struct State {
        var phase: Phase = .idle
        /// Drain time is up: unfinished jobs are being left to lease expiry.
        var abandoned = false
        /// Job id → the lease this loop holds on it.
        var inFlight: [UUID: JobLease] = [:]
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let wakeup = WakeSignal()

    /// - Parameters:
    ///   - owner: this worker's name in `lease_owner`; unique per running
    ///     loop (two loops sharing a name could finish each other's jobs).
    ///   - metrics: where the depth gauge goes (the queue records the rest).
    public init(
        queue: JobQueue, handlers: JobHandlers, settings: WorkerSettings, owner: String = WorkerLoop.makeOwnerID(),
        logger: Logger, metrics: JobMetrics? = nil
    ) {
        self.queue = queue
        self.handlers = handlers
        self.settings = settings
        self.owner = owner
        self.logger = logger
        self.metrics = metrics
    }

    /// `host:pid:random`: readable in the jobs table, unique per loop.
    public static func makeOwnerID() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "host"
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        return "\(host.prefix(64)):\(ProcessInfo.processInfo.processIdentifier):\(suffix)"
    }

    // MARK: - Control

    /// Runs until `stop()`/`requestStop()` (or until the calling task is
    /// cancelled), then drains. Returns at once if the loop already ran.
    public func run() async {
        let starting = state.withLock { state -> Bool in
            guard state.phase == .idle else { return false }
            state.phase = .running
            return true
        }
        guard starting else { return }
        logger.notice("worker started", metadata: [
            "owner": .string(owner), "concurrency": .stringConvertible(settings.concurrency),
            "lease_s": .stringConvertible(settings.leaseSeconds), "kinds": .string(handlers.kinds.joined(separator: ",")),
        ])
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { services in
                services.addTask { await self.heartbeatLoop() }
                if metrics != nil {
                    services.addTask { await self.depthLoop() }
                }
                await self.claimLoop()
                services.cancelAll()
            }
        } onCancel: {
            self.requestStop()
        }
        let waiters = state.withLock { state in
            state.phase = .stopped
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        logger.notice("worker stopped", metadata: ["owner": .string(owner)])
        for waiter in waiters { waiter.resume() }
    }

    /// Stop claiming; `run()` drains and returns.
    public func requestStop() {
        state.withLock { state in
            switch state.phase {
            case .idle: state.phase = .stopped
            case .running: state.phase = .stopping
            case .stopping, .stopped: break
            }
        }
        wakeup.fire()
    }

    /// `requestStop()`, then waits until `run()` has returned (at most the
    /// drain timeout plus the time cancelled handlers take to end).
    public func stop() async {
        requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.phase == .stopped { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Claim now instead of at the end of the idle wait (e.g. right after
    /// this process enqueued a job).
    public func wake() { wakeup.fire() }

    /// Jobs being handled now.
    public var inFlightCount: Int { state.withLock { $0.inFlight.count } }

    private var isStopping: Bool { state.withLock { $0.phase != .running } }
    private var isAbandoned: Bool { state.withLock { $0.abandoned } }

    // MARK: - Claiming

    private func claimLoop() async {
        await withDiscardingTaskGroup { jobs in
            var idleWait = settings.minPollInterval
            var errorWait = settings.minPollInterval
            while !isStopping {
                let free = settings.concurrency - inFlightCount
                guard free > 0 else {
                    // Woken when a job finishes.
                    await wakeup.wait(timeout: settings.maxPollInterval)
                    continue
                }
                let wanted = min(settings.batchSize, free)
                let batch: [ClaimedJob]
                // Leases count from before the statement: never later than the stored expiry.
                let sent = ContinuousClock.now
                do {
                    batch = try await queue.claim(owner: owner, limit: wanted, leaseSeconds: settings.leaseSeconds)
                    errorWait = settings.minPollInterval
                } catch {
                    logger.error("job claim failed", metadata: ["error_type": .string(String(reflecting: type(of: error)))])
                    await wakeup.wait(timeout: errorWait)
                    errorWait = min(errorWait * 2, max(settings.maxPollInterval, .seconds(5)))
                    continue
                }
                let leases = batch.map { _ in JobLease(written: sent, seconds: settings.leaseSeconds) }
                state.withLock { state in
                    for (job, lease) in zip(batch, leases) { state.inFlight[job.id] = lease }
                }
                for (job, lease) in zip(batch, leases) {
                    jobs.addTask { await self.process(job, lease: lease) }
                }
                if batch.count == wanted {
                    // There may be more: go again at once.
                    idleWait = settings.minPollInterval
                } else if batch.isEmpty {
                    await wakeup.wait(timeout: idleWait)
                    idleWait = min(idleWait * 2, settings.maxPollInterval)
                } else {
                    idleWait = settings.minPollInterval
                    await wakeup.wait(timeout: idleWait)
                }
            }
            await drain()
            if inFlightCount > 0 {
                // Cancelled handlers end with an error that is not recorded
                // (see `process`): their leases expire and another worker
                // takes the jobs over.
                jobs.cancelAll()
            }
        }
    }

    /// Waits for the jobs in flight, at most `drainTimeout`; then marks the
    /// rest abandoned (the heartbeat stops renewing them).
    private func drain() async {
        let deadline = ContinuousClock.now.advanced(by: settings.drainTimeout)
        if inFlightCount > 0 {
            logger.notice("worker draining", metadata: [
                "owner": .string(owner), "in_flight": .stringConvertible(inFlightCount),
            ])
        }
        while inFlightCount > 0 {
            let now = ContinuousClock.now
            guard now < deadline else { break }
            await wakeup.wait(timeout: min(deadline - now, .milliseconds(100)))
        }
        let left = state.withLock { state -> Int in
            if !state.inFlight.isEmpty { state.abandoned = true }
            return state.inFlight.count
        }
        if left > 0 {
            logger.warning("drain timeout: jobs left to lease expiry", metadata: [
                "owner": .string(owner), "jobs": .stringConvertible(left),
            ])
        }
    }

    // MARK: - One job

    private func process(_ job: ClaimedJob, lease: JobLease) async {
        var log = logger
        log[metadataKey: "job_id"] = .string(job.id.uuidString)
        log[metadataKey: "job_kind"] = .string(job.kind)
        log[metadataKey: "attempt"] = .stringConvertible(job.attempt)
        defer {
            state.withLock { _ = $0.inFlight.removeValue(forKey: job.id) }
            wakeup.fire()
        }
        let retry = LeaseBoundRetry(lease: lease, metrics: metrics)
        guard let handler = handlers[job.kind] else {
            log.error("job dead: no handler for its kind")
            await record(job, JobFailure.permanent("no handler for job kind \(job.kind)"), retry: retry, log: log)
            return
        }
        let context = JobContext(
            logger: log, database: queue.database(), attempt: job.attempt, maxAttempts: job.maxAttempts, owner: owner,
            lease: lease, retry: retry)
        do {
            try await handler(job, context)
        } catch {
            if Task.isCancelled || error is CancellationError {
                // Stopped, not failed: the attempt is not recorded, the
                // lease runs out and another worker retries.
                log.notice("job interrupted by shutdown; left to lease expiry")
                return
            }
            await record(job, JobFailure.from(error), retry: retry, log: log)
            return
        }
        do {
            // The handler's side effects happened: retry the completion
            // through a short outage rather than let the job run again.
            if try await retry.run("job completion", logger: log, { try await queue.complete(job, owner: owner) }) {
                log.debug("job completed")
            } else {
                log.warning("job finished after its lease was lost; it may run again")
            }
        } catch {
            log.error("recording a completed job failed; it will run again after its lease expires", metadata: [
                "error_type": .string(String(reflecting: type(of: error))),
            ])
        }
    }

    private func record(_ job: ClaimedJob, _ failure: JobFailure, retry: LeaseBoundRetry, log: Logger) async {
        do {
            let outcome = try await retry.run("job failure", logger: log) {
                try await queue.fail(
                    job, owner: owner, error: failure.message, retryable: failure.retryable, retryAfter: failure.retryAfter)
            }
            switch outcome {
            case .retry(let due):
                log.warning("job failed; will retry", metadata: [
                    "error": .string(JobQueue.truncated(failure.message)), "retry_in_ms": .stringConvertible(max(0, due - queue.clock.milliseconds())),
                ])
            case .dead:
                log.error("job failed; dead-lettered", metadata: ["error": .string(JobQueue.truncated(failure.message))])
            case .notOwned:
                log.warning("job failed after its lease was lost; the failure is not recorded")
            }
        } catch {
            log.error("recording a job failure failed; it will run again after its lease expires", metadata: [
                "error_type": .string(String(reflecting: type(of: error))),
            ])
        }
    }

    // MARK: - Background

    /// Renews the leases in flight every `heartbeatInterval`; after a
    /// failed renewal (the database is away) it tries again every second,
    /// so leases are extended as soon as the database is back and writes
    /// retried meanwhile (`LeaseBoundRetry`) keep their time.
    private func heartbeatLoop() async {
        var wait = settings.heartbeatInterval
        while true {
            do { try await Task.sleep(for: wait) } catch { return }
            let (leases, abandoned) = state.withLock { ($0.inFlight, $0.abandoned) }
            if abandoned { return }
            wait = settings.heartbeatInterval
            guard !leases.isEmpty else { continue }
            let ids = Array(leases.keys)
            let sent = ContinuousClock.now
            do {
                let renewed = try await queue.renew(ids: ids, owner: owner, leaseSeconds: settings.leaseSeconds)
                for id in renewed { leases[id]?.renewed(from: sent) }
                // Jobs that finished meanwhile are gone from the table, not lost.
                let lost = state.withLock { state in ids.filter { !renewed.contains($0) && state.inFlight[$0] != nil } }
                for id in lost {
                    leases[id]?.markLost()
                    logger.warning("job lease lost; another worker may run it", metadata: ["job_id": .string(id.uuidString)])
                }
            } catch {
                logger.warning("lease renewal failed", metadata: ["error_type": .string(String(reflecting: type(of: error)))])
                wait = min(settings.heartbeatInterval, .seconds(1))
            }
        }
    }

    private func depthLoop() async {
        while !Task.isCancelled {
            do {
                metrics?.record(depth: try await queue.depth())
            } catch {
                logger.debug("queue depth refresh failed", metadata: ["error_type": .string(String(reflecting: type(of: error)))])
            }
            do { try await Task.sleep(for: settings.depthRefreshInterval) } catch { return }
        }
    }
}

/// One waiter sleeps until a timeout or until `fire()`. A `fire()` with
/// nobody waiting is kept for the next `wait`, so a wake-up between two
/// waits is not lost.
final class WakeSignal: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var pending = false
        var waiter: Waiter?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func fire() {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume()
    }

    func wait(timeout: Duration) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let id = state.withLock { state -> UInt64? in
                    if state.pending {
                        state.pending = false
                        return nil
                    }
                    // One waiter at a time (the claim loop); an earlier one is released.
                    if let earlier = state.waiter {
                        earlier.timer?.cancel()
                        earlier.continuation.resume()
                    }
                    state.nextID &+= 1
                    state.waiter = Waiter(id: state.nextID, continuation: continuation)
                    return state.nextID
                }
                guard let id else {
                    continuation.resume()
                    return
                }
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.timedOut(id)
                }
                let stale = state.withLock { state -> Bool in
                    guard state.waiter?.id == id else { return true }
                    state.waiter?.timer = timer
                    return false
                }
                if stale { timer.cancel() }
            }
        } onCancel: {
            self.fire()
        }
    }

    private func timedOut(_ id: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard state.waiter?.id == id else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume()
    }
}
