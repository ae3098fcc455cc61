import Fluent
import Prometheus
import SQLKit
import Vapor

/// Gauges read from the database each time `/metrics` is scraped, so that
/// the alert rules in `deploy/monitoring/alerts.yml` see the deployment's
/// state rather than one process's memory:
///
/// - `smflow_ready` — 1 when `/readyz` would answer 200 (database reachable
///   and migrated), else 0. A scrape that works while the database does not
///   is exactly the "up but not ready" case the readiness alert is for.
/// - `smflow_queue_depth{state}` — jobs per state (`queued`, `leased`,
///   `dead`: the dead letters). The worker processes serve no HTTP, so
///   without this refresh the scraped app process would report the depth
///   only when it embeds a worker (`serve --with-worker`).
/// - `smflow_queue_oldest_job_age_seconds` — how long the oldest *due*
///   queued job has been waiting (0 when none): a backlog the workers do
///   not drain. Jobs waiting for a retry time in the future do not count.
///
/// Every instance reports the same database-wide numbers: the rules take
/// `max` over instances. Labels are the fixed job states only (DESIGN
/// pitfall 9); each name has one type and is registered through the
/// registry's get-or-create, so repeated scrapes reuse the same gauges.
enum ScrapeTimeMetrics {
    /// Refreshes the gauges above; a database failure leaves the queue
    /// gauges as they were and sets `smflow_ready` to 0.
    static func refresh(_ request: Request) async {
        let application = request.application
        let context = application.smf
        let registry = context.metrics.registry
        let ready = registry.makeGauge(name: "smflow_ready", help: "1 when the server is ready (database reachable and migrated), else 0; refreshed at scrape time.")
        let oldest = registry.makeGauge(
            name: "smflow_queue_oldest_job_age_seconds",
            help: "Seconds the oldest due queued job has waited (0 when none); refreshed at scrape time.")

        registerAlertedSeries(registry, policies: context.config.rateLimits.values.map(\.name))

        let outcome = await context.readiness.check(request.db)
        ready.set(outcome == .ready ? 1.0 : 0.0)
        if outcome == .databaseUnreachable { context.metrics.databaseError() }
        guard outcome == .ready else { return }
        await refreshLastBackup(registry, request.db, onError: context.metrics.databaseError)

        let queue = application.execution.queue
        do {
            queue.metrics?.record(depth: try await queue.depth())
            oldest.set(try await oldestDueJobAge(request.db, now: context.clock.milliseconds()))
        } catch {
            context.metrics.databaseError()
            request.logger.warning("queue metrics not refreshed", metadata: ["error_type": .string(String(reflecting: type(of: error)))])
        }
    }

    /// The security events the alert rules count, by (type, outcome).
    static let alertedEvents: [(SecurityEventType, SecurityEventOutcome)] = [
        (.login, .failure), (.login, .throttled), (.usageAnomaly, .detected), (.rateLimitExceeded, .denied),
    ]

    /// Creates the counters the alert rules watch at 0 if nothing has
    /// created them yet. A counter that first appears with the value 1 hides
    /// that first event from `increase()`, and the first `usage.anomaly`
    /// after a restart may be the only one.
    ///
    /// The help texts come from `MetricHelp`, as in `SecurityEventRecorder`
    /// and `HTTPMetrics.rateLimitRejected` (swift-prometheus stops the
    /// process when one name is registered with two texts).
    static func registerAlertedSeries(_ registry: PrometheusCollectorRegistry, policies: [String]) {
        for (type, outcome) in alertedEvents {
            _ = registry.makeCounter(
                name: "security_events_total", labels: [("type", type.rawValue), ("outcome", outcome.rawValue)],
                help: MetricHelp.securityEvents)
        }
        for policy in policies {
            _ = registry.makeCounter(
                name: "ratelimit_rejections_total", labels: [("policy", policy)],
                help: MetricHelp.rateLimitRejections)
        }
    }

    /// Whole seconds since the oldest queued job became due (0 when none).
    static func oldestDueJobAge(_ database: any Database, now: Int64) async throws -> Int64 {
        guard let sql = database as? any SQLDatabase else { return 0 }
        let row = try await sql.select()
            .column(SQLFunction("MIN", args: SQLColumn("run_after_ms")), as: "oldest")
            .from(CreateJob.schema)
            .where("state", .equal, JobState.queued.rawValue)
            .where("run_after_ms", .lessThanOrEqual, now)
            .first()
        guard let due = try row?.decode(column: "oldest", as: Int64?.self) else { return 0 }
        return max(0, (now - due) / 1000)
    }
}
