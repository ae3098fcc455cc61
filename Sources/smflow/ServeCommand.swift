import ArgumentParser
import SMFServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP server (SQLite under ./data unless DATABASE_URL is set).",
        discussion: "Stops gracefully on SIGTERM or SIGINT. In production (SMF_ENV=production) it refuses to start, exit code 78, while any guardrail fails."
    )

    @Option(help: "Address to bind (default: SMF_HOSTNAME or 127.0.0.1).")
    var hostname: String?

    @Option(help: "Port to bind, 0 for any free port (default: SMF_PORT or 8080).")
    var port: Int?

    @Flag(name: .customLong("with-worker"), help: "Also run queued jobs (flow executions) in this process, as `smflow worker` does (the default on SQLite).")
    var withWorker = false

    @Flag(name: .customLong("without-worker"), help: "Do not run jobs here, even on SQLite (a separate `smflow worker` runs them).")
    var withoutWorker = false

    func validate() throws {
        if withWorker && withoutWorker {
            throw ValidationError("--with-worker and --without-worker exclude each other")
        }
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be from 0 to 65535")
        }
    }

    func run() async throws {
        var config = try ConfigurationLoading.loadOrExit()
        if let hostname { config.hostname = hostname }
        if let port { config.port = port }
        LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        do {
            // The embedded default (SQLite) runs its flows in the same process:
            // `swift run smflow serve` needs nothing else. On PostgreSQL workers
            // are their own processes unless asked for.
            let embedded: Bool
            if case .sqlite = config.database { embedded = true } else { embedded = false }
            try await ServerRunner.serve(config: config, withWorker: withWorker || (embedded && !withoutWorker))
        } catch {
            Output.error("smflow: the server stopped with an error: \(error)")
            throw ExitCode.failure
        }
    }
}
