import Dispatch
import Fluent
import NIOConcurrencyHelpers
import SMFSecurity
import Vapor

/// Runs the HTTP server until SIGTERM or SIGINT, then shuts down gracefully:
/// stop accepting, finish in-flight requests (bounded by
/// `SMF_SHUTDOWN_TIMEOUT`), close the database pools, return.
public enum ServerRunner {
    /// An application configured from `config`, not yet started.
    public static func makeApplication(config: AppConfig, pipeline: Pipeline = .full) async throws -> Application {
        // Vapor must not parse our command line: it gets a neutral argv.
        let environment = Environment(name: config.isProduction ? "production" : "development", arguments: ["smflow"])
        var logger = Logger(label: "smflow")
        logger.logLevel = Logger.Level(config.logLevel)
        let app = try await Application.make(environment, logger: logger)
        do {
            try await configure(app, config: config, pipeline: pipeline)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }

    /// - Parameter withWorker: also run the job handlers in this process
    ///   (`serve --with-worker`): they drain before the database pools close.
    public static func serve(config: AppConfig, pipeline: Pipeline = .full, withWorker: Bool = false) async throws {
        let signals = TerminationSignals()
        let app = try await makeApplication(config: config, pipeline: pipeline)
        do {
            if withWorker {
                WorkerRunner.embed(in: app, settings: WorkerSettings(config: config), handlers: FlowJobs.handlers(for: app))
            }
            // Outside production the embedded default must just work; in
            // production migrations are a deliberate step (`smflow migrate`,
            // as the schema owner role) and /readyz says when they are due.
            if !config.isProduction {
                try await app.autoMigrate()
            }
            try await app.asyncBoot()
            try await app.server.start(address: .hostname(config.hostname, port: config.port))
            let bound = app.http.server.shared.localAddress
            app.logger.notice("listening", metadata: [
                "address": .string("http://\(bound?.ipAddress ?? config.hostname):\(bound?.port ?? config.port)"),
                "mode": .string(config.mode.rawValue),
                "database": .string(Self.databaseKind(config.database)),
            ])
            let signal = await signals.next()
            app.logger.notice("shutting down", metadata: [
                "signal": .string(signal), "drain_timeout_s": .stringConvertible(config.shutdownTimeoutSeconds),
            ])
            await app.server.shutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        // The HTTP server stops waiting after the drain timeout, but handlers
        // still running (e.g. waiting for a database that went away) would
        // touch the database pools after they are closed — a crash inside
        // Fluent (`Request.db` unwraps nil). Give them the same time again;
        // if some still run, leave without closing the pools: the process
        // ends either way, this way with a log line and exit status 1.
        let stillRunning = await Self.waitForHandlers(app.smf.metrics, timeout: .seconds(config.shutdownTimeoutSeconds))
        guard stillRunning == 0 else {
            app.logger.error("requests still running after the drain timeout; exiting without closing the database", metadata: [
                "requests": .stringConvertible(stillRunning), "drain_timeout_s": .stringConvertible(config.shutdownTimeoutSeconds),
            ])
            BufferedLogWriter.standardError.flush()
            throw DrainIncomplete(requests: stillRunning)
        }
        try await app.asyncShutdown()
        app.logger.notice("stopped")
        BufferedLogWriter.standardError.flush()
    }

    /// Handlers were still running when the drain time was up twice over.
    public struct DrainIncomplete: Error, CustomStringConvertible {
        public let requests: Int
        public var description: String { "\(requests) request(s) still running after the drain timeout" }
    }

    /// Polls the in-flight count until it is zero or `timeout` has passed;
    /// returns the count left.
    static func waitForHandlers(_ metrics: HTTPMetrics, timeout: Duration) async -> Int {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while metrics.requestsInFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return metrics.requestsInFlight
    }

    static func databaseKind(_ location: DatabaseLocation) -> String {
        switch location {
        case .sqlite: "sqlite"
        case .postgres: "postgresql"
        }
    }
}

/// Waits for SIGTERM or SIGINT. The default actions are switched off at
/// creation so the signal is handled here instead of killing the process.
///
/// `@unchecked Sendable` is safe: `sources` is a `let` written only in
/// `init` and never read again (it only keeps the sources alive), Dispatch
/// sources are thread-safe objects, and the mutable state is behind a lock.
final class TerminationSignals: @unchecked Sendable {
    private let state = NIOLockedValueBox<(received: String?, waiter: CheckedContinuation<String, Never>?)>((nil, nil))
    private let sources: [any DispatchSourceSignal]

    init() {
        let queue = DispatchQueue(label: "smflow.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            sources.append(source)
        }
        self.sources = sources
        for (source, name) in zip(sources, ["SIGTERM", "SIGINT"]) {
            source.setEventHandler { [state] in
                let waiter = state.withLockedValue { value -> CheckedContinuation<String, Never>? in
                    guard value.received == nil else { return nil }
                    value.received = name
                    defer { value.waiter = nil }
                    return value.waiter
                }
                waiter?.resume(returning: name)
            }
            source.resume()
        }
    }

    /// The name of the first signal received (waits until there is one).
    func next() async -> String {
        await withCheckedContinuation { continuation in
            let received = state.withLockedValue { value -> String? in
                if value.received == nil { value.waiter = continuation }
                return value.received
            }
            if let received { continuation.resume(returning: received) }
        }
    }
}
