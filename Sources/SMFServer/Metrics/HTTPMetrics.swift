import Prometheus
import Synchronization
import Vapor

/// The application's Prometheus registry and the metrics the server records.
///
/// Each `Application` has its own registry (no global `MetricsSystem`
/// bootstrap), so tests can build many applications in one process. Vapor's
/// own request metrics are switched off in `configure` (`reportMetrics =
/// false`): these replace them with a `route` label holding the route
/// pattern, and one name is never registered with two types (a crash in
/// swift-prometheus — DESIGN pitfall 9).
final class HTTPMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let inFlight: Gauge
    /// The same count, readable: shutdown waits for it to reach zero before
    /// it closes the database pools (`ServerRunner`).
    private let active = Atomic<Int>(0)
    private let databaseErrors: Counter
    /// Metric handles by "method route status", so a request does one
    /// dictionary lookup instead of the registry's name and label checks.
    private let handles = Mutex<[String: (Counter, DurationHistogram)]>([:])
    /// The same requests in per-minute buckets for `request_stats` (issue 9): memory only, flushed by `RequestStatsFlusher`.
    let requestStats = RequestStatsAggregator()

    /// Buckets from 1 ms to 10 s: the API's interesting range.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10),
    ]

    /// Methods get their own label value; anything else is `OTHER`, so a
    /// client cannot mint label values.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        inFlight = registry.makeGauge(name: "http_requests_in_flight", help: "Requests being processed now.")
        databaseErrors = registry.makeCounter(name: "db_errors_total", help: "Database errors seen by the server (queries and readiness checks).")
    }

    static func methodLabel(_ method: HTTPMethod) -> String {
        knownMethods.contains(method.rawValue) ? method.rawValue : "OTHER"
    }

    func requestStarted() {
        inFlight.increment()
        active.add(1, ordering: .relaxed)
    }

    func requestFinished() {
        inFlight.decrement()
        active.subtract(1, ordering: .relaxed)
    }

    /// Requests that entered the pipeline and have not been answered yet.
    var requestsInFlight: Int { active.load(ordering: .relaxed) }
    func databaseError() { databaseErrors.increment() }

    func rateLimitRejected(policy: String) {
        registry.makeCounter(
            name: "ratelimit_rejections_total", labels: [("policy", policy)],
            help: MetricHelp.rateLimitRejections
        ).increment()
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let key = method + " " + route + " " + String(status)
        let (counter, histogram) = handles.withLock { table in
            if let cached = table[key] { return cached }
            // Label values are bounded: known methods, route patterns, statuses.
            let made = (
                registry.makeCounter(
                    name: "http_requests_total",
                    labels: [("method", method), ("route", route), ("status", String(status))],
                    help: "HTTP requests answered, by method, route pattern and status."),
                registry.makeDurationHistogram(
                    name: "http_request_duration_seconds",
                    labels: [("method", method), ("route", route)],
                    buckets: Self.durationBuckets,
                    help: "Time to answer HTTP requests, by method and route pattern."))
            table[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
        requestStats.record(method: method, route: route, status: status, duration: duration)
    }

    /// The Prometheus text exposition: the registry plus process metrics.
    func exposition() -> String {
        registry.emitToString() + ProcessMetrics.exposition()
    }
}
