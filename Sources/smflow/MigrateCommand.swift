import ArgumentParser
import SMFServer

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations to DATABASE_URL, then exit.",
        discussion: "`serve` does this by itself outside production; in production run it before starting new versions."
    )

    func run() async throws {
        let config = try ConfigurationLoading.loadOrExit()
        LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        do {
            let count = try await Migrator.migrate(config: config)
            Output.error("smflow: database is up to date (\(count) migration(s) registered)")
        } catch {
            Output.error("smflow: migration failed: \(error)")
            throw ExitCode.failure
        }
    }
}
