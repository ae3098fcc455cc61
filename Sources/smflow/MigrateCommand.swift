import ArgumentParser
import Foundation
import SMFSecurity
import SMFServer

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations to DATABASE_URL, then exit.",
        discussion: """
            `serve` does this by itself outside production; in production run it before starting new versions. \
            Migrations create and alter tables, which the application role may not do (deploy/postgres): \
            run them as the owner role, either with DATABASE_URL(_FILE) set to the owner's URL (the compose \
            `migrate` service) or with --database-url for this run only.
            """
    )

    @Option(name: .customLong("database-url"),
            help: "Database URL for this run only (the owner role), instead of DATABASE_URL / DATABASE_URL_FILE.")
    var databaseURL: String?

    func run() async throws {
        let config = try loadConfiguration()
        LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        do {
            let count = try await Migrator.migrate(config: config)
            Output.error("smflow: database is up to date (\(count) migration(s) registered)")
        } catch {
            Output.error("smflow: migration failed: \(error)")
            throw ExitCode.failure
        }
    }

    /// The usual configuration, with `--database-url` standing in for
    /// DATABASE_URL. The URL goes through the same loader (and so the same
    /// production guardrails) as the variable would; DATABASE_URL_FILE is
    /// dropped because setting both is a configuration error.
    ///
    /// Migrations never sign or encrypt anything, so the signing and
    /// encryption keys are neither needed nor checked here: the migrate job
    /// runs without them (least privilege; deploy/docker-compose.prod.yml).
    private func loadConfiguration() throws -> AppConfig {
        var environment = ProcessInfo.processInfo.environment
        if let databaseURL {
            environment["DATABASE_URL"] = databaseURL
            environment["DATABASE_URL_FILE"] = nil
        }
        let result = ConfigLoader.load(environment: environment)
        let findings = result.findings.filter { !Self.keysOnlyServeNeeds.contains($0.variable) }
        ConfigurationLoading.report(findings)
        let errors = findings.filter { $0.severity == .error }
        guard errors.isEmpty else {
            Output.error("smflow: refusing to migrate: \(errors.count) configuration error(s); see docs/CONFIGURATION.md")
            throw ExitCode(configErrorExitCode)
        }
        return result.config
    }

    static let keysOnlyServeNeeds: Set<String> = ["SMF_SECRET_KEY", "SMF_ENCRYPTION_KEY"]
}
