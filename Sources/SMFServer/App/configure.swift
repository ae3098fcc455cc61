import AsyncHTTPClient
import Fluent
import NIOCore
import SQLKit
import SMFSecurity
import Vapor

/// How much of the request pipeline to install.
public enum Pipeline: Sendable {
    /// Everything DESIGN.md lists: what `serve` and the tests use.
    case full
    /// Routes only, for the benchmark that measures what the pipeline costs.
    /// Not reachable from the `smflow` command line.
    case bare
    /// Routes plus the fixed security-header set in one layer: the floor
    /// that any pipeline sending the required headers pays (benchmark only).
    case headersOnly
}

/// Builds the application from a validated configuration. Shared by `serve`,
/// `migrate` and the tests, so they all run the same server.
public func configure(_ app: Application, config: AppConfig, pipeline: Pipeline = .full) async throws {
    try await configure(app, config: config, pipeline: pipeline, clock: .system)
}

/// As above, with the clock injectable (tests move time by hand).
func configure(_ app: Application, config: AppConfig, pipeline: Pipeline = .full, clock: AppClock) async throws {
    let metrics = HTTPMetrics()
    let events = SecurityEventRecorder(metrics: metrics, clock: clock)
    let background = BackgroundWrites()
    app.smf = AppContext(
        config: config,
        clientIPResolver: ClientIPResolver(trustedProxies: config.trustedProxies),
        metrics: metrics,
        readiness: ReadinessProbe(timeout: config.readinessTimeout, expectedMigrations: Set(AppMigrations.names)),
        clock: clock,
        hasher: PasswordHasher(cost: config.bcryptCost, threadPool: makePasswordThreadPool(app)),
        events: events,
        usage: UsageAnomalyReporter(
            detector: UsageAnomalyDetector(thresholds: config.usageAnomaly), events: events, clock: clock, background: background),
        tokens: TokenHashing(ring: TokenKeyRing(config: config), clock: clock))

    configureHTTPServer(app, config: config)

    // Vapor installs its own route logger and error middleware by default;
    // both are replaced (see ProblemMapping for why).
    app.middleware = Middlewares()
    if pipeline == .full {
        // DESIGN.md "Request pipeline", in one layer: see RequestPipelineMiddleware.
        app.middleware.use(RequestPipelineMiddleware(
            accessLog: AccessLog(metrics: metrics, usage: app.smf.usage),
            securityHeaders: SecurityHeaders(sendHSTS: config.isProduction),
            crossOrigin: CrossOriginPolicy(allowedOrigins: Set(config.corsOrigins)),
            rateLimiter: RateLimiter(
                store: makeRateLimitStore(app, kind: config.rateLimitStore), policies: config.rateLimits, clock: clock,
                violations: RateLimitViolations(events: app.smf.events, background: background)),
            problems: ProblemMapping(isProduction: config.isProduction, metrics: metrics),
            bodyLimit: BodyLimit(maxBytes: config.maxBodyBytes)))
    } else if pipeline == .headersOnly {
        app.middleware.use(SecurityHeadersMiddleware(headers: SecurityHeaders(sendHSTS: config.isProduction)))
    }
    app.routes.defaultMaxBodySize = ByteCount(value: config.maxBodyBytes)
    ContentConfiguration.global.use(decoder: DepthLimitedJSONDecoder(maximumDepth: config.maxJSONDepth), for: .json)
    // Sorted keys: the same data gives the same bytes, so two answers that
    // must not be told apart (registration of a new vs. an existing email)
    // are identical.
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    ContentConfiguration.global.use(encoder: encoder, for: .json)

    try DatabaseSetup.configure(app, location: config.database, poolTimeout: config.databasePoolTimeout)
    try await DatabaseSetup.prepare(app, location: config.database)
    // After the databases: lifecycle handlers shut down in reverse order, so
    // background writes drain, the purge timer stops and the last flush runs
    // while Fluent's pools are still open (registered before, they ran
    // after Fluent had closed them: lost writes, and a crash in Fluent).
    app.lifecycle.use(BackgroundWritesShutdown(writes: background))
    app.lifecycle.use(FlowRetentionLifecycle())
    app.lifecycle.use(RequestStatsLifecycle(flusher: RequestStatsFlusher(
        aggregator: metrics.requestStats, metrics: metrics, database: { [unowned app] in app.db }, logger: app.logger),
        enabled: app.environment != .testing))

    // Outbound calls (platforms, LLMs, http.request) share one client; it
    // closes after the routes and the embedded worker are done with it.
    let client = IntegrationHTTP.makeClient(eventLoopGroup: app.eventLoopGroup)
    app.lifecycle.use(HTTPClientShutdown(client: client))
    app.execution = ExecutionServices(
        config: config, client: client, eventLoopGroup: app.eventLoopGroup, database: { [unowned app] in app.db },
        clock: clock, jobMetrics: JobMetrics(registry: metrics.registry), webhookMetrics: WebhookMetrics(registry: metrics.registry),
        logger: app.logger)

    routes(app)
}

private struct HTTPClientShutdown: LifecycleHandler {
    let client: HTTPClient

    func shutdownAsync(_ application: Application) async {
        try? await client.shutdown()
    }
}

/// A thread pool for bcrypt only, one thread per core, shut down with the app.
private func makePasswordThreadPool(_ app: Application) -> NIOThreadPool {
    let pool = NIOThreadPool(numberOfThreads: System.coreCount)
    pool.start()
    app.lifecycle.use(ThreadPoolShutdown(pool: pool))
    return pool
}

private struct ThreadPoolShutdown: LifecycleHandler {
    let pool: NIOThreadPool

    func shutdownAsync(_ application: Application) async {
        try? await pool.shutdownGracefully()
    }
}

private func makeRateLimitStore(_ app: Application, kind: AppConfig.RateLimitStoreKind) -> any RateLimitStore {
    switch kind {
    case .memory:
        return MemoryRateLimitStore()
    case .postgres:
        // `app.db` is a cheap handle onto the shared connection pool.
        return DatabaseRateLimitStore(database: { [unowned app] in app.db })
    }
}

private func configureHTTPServer(_ app: Application, config: AppConfig) {
    var server = app.http.server.configuration
    server.hostname = config.hostname
    server.port = config.port
    // No "Server: ..." header: the software and its version stay private.
    server.serverName = nil
    // Our AccessLog records the metrics, labelled by route pattern.
    server.reportMetrics = false
    // Gzip request bodies would bypass the body limit (a small compressed
    // body can inflate without bound); clients send plain JSON.
    server.requestDecompression = .disabled
    // Compressing secrets next to attacker-chosen text is the BREACH setting.
    server.responseCompression = .disabled
    // Without an idle timeout, idle connections are held forever (pitfall 5).
    server.idleTimeout = .seconds(Int64(config.idleTimeoutSeconds))
    // Bound on finishing in-flight requests after SIGTERM.
    server.shutdownTimeout = .seconds(Int64(config.shutdownTimeoutSeconds))
    app.http.server.configuration = server
}
