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

    @Flag(name: .customLong("with-worker"), help: "Also run queued jobs (flow executions) in this process, as `smflow worker` does.")
    var withWorker = false

    func validate() throws {
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
            try await ServerRunner.serve(config: config, withWorker: withWorker)
        } catch {
            Output.error("smflow: the server stopped with an error: \(error)")
            throw ExitCode.failure
        }
    }
}
