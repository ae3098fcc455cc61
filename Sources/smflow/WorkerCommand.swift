import ArgumentParser
import SMFServer

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run queued jobs (flow executions) in their own process, without the HTTP server.",
        discussion: """
            Stops gracefully on SIGTERM or SIGINT: no new jobs, jobs in flight get time to finish, the rest \
            are taken over by another worker when their leases expire. It does not migrate; it waits for \
            `smflow migrate` (or `serve`). --check exits 0 when the database is reachable and every migration \
            is applied (the worker container's healthcheck).
            """
    )

    @Flag(help: "Only check that the database is reachable and migrated, then exit (0 = ready).")
    var check = false

    func run() async throws {
        let config = try ConfigurationLoading.loadOrExit()
        LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        if check {
            let outcome: WorkerRunner.CheckOutcome
            do {
                outcome = try await WorkerRunner.check(config: config)
            } catch {
                Output.error("smflow worker --check: cannot open the database: \(error)")
                throw ExitCode.failure
            }
            switch outcome {
            case .ready: return
            case .databaseUnreachable:
                Output.error("smflow worker --check: the database is not reachable")
                throw ExitCode.failure
            case .migrationsPending:
                Output.error("smflow worker --check: migrations are pending (run `smflow migrate`)")
                throw ExitCode.failure
            }
        }
        do {
            try await WorkerRunner.run(
                config: config, settings: WorkerSettings(config: config), handlers: { app in FlowJobs.handlers(for: app) })
        } catch {
            Output.error("smflow: the worker stopped with an error: \(error)")
            throw ExitCode.failure
        }
    }
}
