/// How a `WorkerLoop` runs. The integrator builds one from `AppConfig`
/// (`workerConcurrency`, `jobLeaseSeconds`, `jobMaxAttempts`); out-of-range
/// values are clamped here so a loop never spins or stalls on a bad number.
public struct WorkerSettings: Sendable, Equatable {
    /// Jobs handled at the same time by one worker.
    public var concurrency: Int
    /// How long a claimed job stays this worker's without a heartbeat. A
    /// crashed worker's jobs come back after at most this long.
    public var leaseSeconds: Int
    /// Attempts a job gets unless its enqueuer says otherwise.
    public var maxAttempts: Int
    /// Jobs claimed per statement (never more than free slots).
    public var batchSize: Int
    /// The first idle wait; it doubles while the queue stays empty…
    public var minPollInterval: Duration
    /// …up to this.
    public var maxPollInterval: Duration
    /// After a stop, how long in-flight jobs may take to finish; the rest
    /// are left leased and come back when their lease expires.
    public var drainTimeout: Duration
    /// How often the `smflow_queue_depth` gauge is refreshed.
    public var depthRefreshInterval: Duration
    /// How often the leases of jobs in flight are renewed: three times per
    /// lease period by default, so two heartbeats can be lost (a slow
    /// database) before a live job's lease runs out.
    public var heartbeatInterval: Duration

    public init(
        concurrency: Int = 8, leaseSeconds: Int = 30, maxAttempts: Int = 5, batchSize: Int = 16,
        minPollInterval: Duration = .milliseconds(50), maxPollInterval: Duration = .seconds(1),
        drainTimeout: Duration = .seconds(10), depthRefreshInterval: Duration = .seconds(15)
    ) {
        self.concurrency = min(max(concurrency, 1), 1024)
        self.leaseSeconds = min(max(leaseSeconds, 3), 3600)
        self.maxAttempts = min(max(maxAttempts, 1), 1000)
        self.batchSize = min(max(batchSize, 1), 500)
        self.minPollInterval = max(minPollInterval, .milliseconds(1))
        self.maxPollInterval = max(maxPollInterval, self.minPollInterval)
        self.drainTimeout = max(drainTimeout, .zero)
        self.depthRefreshInterval = max(depthRefreshInterval, .seconds(1))
        self.heartbeatInterval = .seconds(self.leaseSeconds) / 3
    }
}
