import ArgumentParser
import Foundation
import SMFSecurity
import SMFServer

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore an smflow backup into a database; refuses a non-empty one unless --force.",
        discussion: """
            The whole file is decrypted and checked (authentication of every record, SHA-256 of the dump) before \
            anything is written. PostgreSQL: pg_restore in one transaction, stopping at the first error (--force: \
            existing objects of the backup are dropped first); SQLite: the online backup API copies the checked file \
            over the target. Afterwards the row counts per table are compared with the backup's manifest. Stop the \
            app and worker first, restore, then run `smflow migrate` if the backup is older than the running version.
            """
    )

    @Argument(help: "The .smfbak file.")
    var file: String

    @Option(name: .customLong("database-url"), help: "The database to restore into (postgres://… of the owner role, or sqlite://PATH).")
    var databaseURL: String

    @Flag(help: "Replace the contents of a database that is not empty.")
    var force = false

    func run() async throws {
        let config = try BackupCLI.loadConfiguration(databaseURL: databaseURL)
        LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
        guard let key = try BackupCLI.key(config) else { throw ExitCode(configErrorExitCode) }
        do {
            let tools: PostgresTools? = if case .postgres = config.database {
                try PostgresTools.locate(directory: config.pgBinDirectory)
            } else {
                nil
            }
            let progress = BackupCLI.progress("restore")
            let manifest = try BackupRunner.restore(file: file, key: key, into: config.database, force: force, tools: tools,
                                                    progress: progress?.report)
            progress?.done()
            let rows = manifest.rowCounts.values.reduce(0, +)
            Output.line("smflow: restored \(file) (\(manifest.database.rawValue) backup of \(manifest.createdAt)): \(manifest.rowCounts.count) tables, \(rows) rows, counts match; schema \(manifest.schemaVersion)")
        } catch {
            Output.error("smflow: restore failed: \(error)")
            throw ExitCode.failure
        }
    }
}
