import Fluent
import SMFSecurity
import Vapor

/// The worker role of the one binary: `smflow worker` runs job handlers in
/// their own process; `serve --with-worker` runs the same loop inside the
/// server (`embed`). Both build the application with the same `configure`
/// as `serve` — database, logging, metrics, routes — the worker just never
/// starts the HTTP server.
public enum WorkerRunner {
    /// Makes the handlers once the application exists (they need its
    /// database, HTTP client, vault).
    public typealias HandlerFactory = @Sendable (Application) throws -> JobHandlers

    /// `smflow worker`: runs until SIGTERM or SIGINT, then stops claiming,
    /// gives the jobs in flight `settings.drainTimeout` to finish and leaves
    /// the rest leased (another worker takes them over when their leases
    /// expire), closes the database pools and returns.
    ///
    /// It never migrates: waiting up to `migrationWait` for `serve` or
    /// `smflow migrate` to do so, so a worker started with the server does
    /// not race it.
    public static func run(
        config: AppConfig, settings: WorkerSettings, handlers: HandlerFactory,
        migrationWait: Duration = .seconds(60)
    ) async throws {
        let app = try await ServerRunner.makeApplication(config: config)
        let loop: WorkerLoop
        do {
            try await waitForSchema(app, timeout: migrationWait)
            try await app.asyncBoot()
            let registry = try handlers(app)
            // With no handler every job would be dead-lettered as unknown.
            guard !registry.kinds.isEmpty else { throw NoHandlers() }
            loop = makeLoop(app, settings: settings, handlers: registry)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        // Signals are taken over only now: before this there is nothing to
        // drain, and the default action (exit) is the right one.
        let signals = TerminationSignals()
        let running = Task { await loop.run() }
        app.logger.notice("worker running", metadata: [
            "owner": .string(loop.owner), "mode": .string(config.mode.rawValue),
            "database": .string(ServerRunner.databaseKind(config.database)),
        ])
        let signal = await signals.next()
        app.logger.notice("worker shutting down", metadata: [
            "signal": .string(signal), "drain_timeout_s": .stringConvertible(settings.drainTimeout.components.seconds),
        ])
        await loop.stop()
        await running.value
        try await app.asyncShutdown()
        BufferedLogWriter.standardError.flush()
    }

    /// `run` was given an empty registry.
    public struct NoHandlers: Error, CustomStringConvertible {
        public var description: String { "no job handlers are registered; a worker would dead-letter every job" }
    }

    /// Why `run` did not start.
    public struct SchemaNotReady: Error, CustomStringConvertible {
        public let outcome: CheckOutcome
        public var description: String {
            switch outcome {
            case .databaseUnreachable: "the database is not reachable"
            case .migrationsPending: "migrations are pending; run `smflow migrate` (or start `smflow serve`, which migrates outside production)"
            case .ready: "ready"
            }
        }
    }

    private static func waitForSchema(_ app: Application, timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var logged = false
        while true {
            let outcome = await app.smf.readiness.check(app.db)
            if outcome == .ready { return }
            guard ContinuousClock.now < deadline else { throw SchemaNotReady(outcome: CheckOutcome(outcome)) }
            if !logged {
                app.logger.notice("worker waiting for the database schema", metadata: ["state": .string("\(outcome)")])
                logged = true
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// Starts a worker loop inside `app` when it boots and drains it when
    /// it shuts down (`serve --with-worker`, and tests). Call after
    /// `configure` and before `asyncBoot`: lifecycle handlers are shut down
    /// in reverse order, so the loop drains before the database pools that
    /// `configure` registered close.
    @discardableResult
    public static func embed(in app: Application, settings: WorkerSettings, handlers: JobHandlers) -> WorkerLoop {
        let loop = makeLoop(app, settings: settings, handlers: handlers)
        app.lifecycle.use(EmbeddedWorker(loop: loop))
        return loop
    }

    /// The loop on the application's database, clock and metrics registry.
    static func makeLoop(_ app: Application, settings: WorkerSettings, handlers: JobHandlers) -> WorkerLoop {
        let metrics = JobMetrics(registry: app.smf.metrics.registry)
        return WorkerLoop(
            queue: JobQueue(app: app, defaultMaxAttempts: settings.maxAttempts, metrics: metrics),
            handlers: handlers, settings: settings, logger: app.logger, metrics: metrics)
    }

    // MARK: - --check

    public enum CheckOutcome: Sendable, Equatable {
        case ready
        case databaseUnreachable
        case migrationsPending

        init(_ outcome: ReadinessProbe.Outcome) {
            switch outcome {
            case .ready: self = .ready
            case .databaseUnreachable: self = .databaseUnreachable
            case .migrationsPending: self = .migrationsPending
            }
        }
    }

    /// `smflow worker --check` (the worker container's healthcheck): is the
    /// database reachable and every migration applied? The worker serves no
    /// HTTP, so this asks the database directly, as `/readyz` does.
    public static func check(config: AppConfig) async throws -> CheckOutcome {
        let app = try await ServerRunner.makeApplication(config: config)
        let outcome = await app.smf.readiness.check(app.db)
        try await app.asyncShutdown()
        return CheckOutcome(outcome)
    }
}

extension JobQueue {
    /// The queue on `app`'s database pool and clock.
    init(app: Application, defaultMaxAttempts: Int = 5, metrics: JobMetrics? = nil) {
        self.init(
            database: { [unowned app] in app.db }, clock: app.smf.clock, defaultMaxAttempts: defaultMaxAttempts,
            metrics: metrics ?? JobMetrics(registry: app.smf.metrics.registry), logger: app.logger)
    }
}

/// Runs an embedded `WorkerLoop` from boot to shutdown.
private struct EmbeddedWorker: LifecycleHandler {
    let loop: WorkerLoop

    func didBootAsync(_ application: Application) async throws {
        let loop = self.loop
        Task { await loop.run() }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop()
    }
}
