import Prometheus

/// The queue's metrics, in the application's registry (`HTTPMetrics.registry`,
/// one per `Application`, as the HTTP metrics). No label carries a job id,
/// a kind chosen at run time or anything from a payload: only the fixed
/// `outcome` and `state` values below.
public final class JobMetrics: Sendable {
    private let claimed: Counter
    private let completed: Counter
    private let retried: Counter
    private let dead: Counter
    private let depth: [JobState: Gauge]
    private let recordRetries: [RecordRetryOutcome: Counter]

    /// What happened to a write after a side effect that failed
    /// (`LeaseBoundRetry`).
    enum RecordRetryOutcome: String, CaseIterable {
        /// One failed try, followed by a wait and another.
        case retried
        /// The write succeeded after at least one retry.
        case recovered
        /// The lease ran out first: the job may run again.
        case gaveUp = "gave_up"
    }

    init(registry: PrometheusCollectorRegistry) {
        claimed = registry.makeCounter(name: "smflow_jobs_claimed_total", help: "Jobs leased by a worker (each attempt counts).")
        completed = registry.makeCounter(name: "smflow_jobs_completed_total", help: "Jobs finished successfully (and deleted).")
        let failedHelp = "Failed job attempts, by what happened next: retry later or dead letter."
        retried = registry.makeCounter(name: "smflow_jobs_failed_total", labels: [("outcome", "retry")], help: failedHelp)
        dead = registry.makeCounter(name: "smflow_jobs_failed_total", labels: [("outcome", "dead")], help: failedHelp)
        var depth: [JobState: Gauge] = [:]
        for state in JobState.allCases {
            depth[state] = registry.makeGauge(
                name: "smflow_queue_depth", labels: [("state", state.rawValue)], help: "Jobs in the queue, by state.")
        }
        self.depth = depth
        var recordRetries: [RecordRetryOutcome: Counter] = [:]
        for outcome in RecordRetryOutcome.allCases {
            recordRetries[outcome] = registry.makeCounter(
                name: "smflow_jobs_record_retries_total", labels: [("outcome", outcome.rawValue)],
                help: "Database writes after a job's side effect that failed, retried while the lease held: retried (each wait), recovered, gave_up (lease ran out).")
        }
        self.recordRetries = recordRetries
    }

    func jobsClaimed(_ count: Int) {
        guard count > 0 else { return }
        claimed.increment(by: Int64(count))
    }

    func jobCompleted() { completed.increment() }
    func jobRetried() { retried.increment() }
    func jobsDead(_ count: Int = 1) {
        guard count > 0 else { return }
        dead.increment(by: Int64(count))
    }

    func recordRetry(_ outcome: RecordRetryOutcome) { recordRetries[outcome]?.increment() }

    func record(depth counts: [JobState: Int]) {
        for (state, gauge) in depth {
            gauge.set(Int64(counts[state] ?? 0))
        }
    }
}
