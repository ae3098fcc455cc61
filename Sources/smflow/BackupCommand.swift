import ArgumentParser
import Foundation
import SMFSecurity
import SMFServer
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Encrypted, verified database backups: take one (default), verify one, check the last one's age.",
        subcommands: [Create.self, Verify.self],
        defaultSubcommand: Create.self
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Back up DATABASE_URL into a directory (`smflow backup --to DIR`).",
            discussion: """
                PostgreSQL through pg_dump (custom format; the password reaches it in a 0600 pgpass file, never on the \
                command line), SQLite through its online backup API. The dump is compressed and encrypted with \
                AES-256-GCM under SMF_BACKUP_KEY as it streams, into smflow-<kind>-<UTC time>.smfbak, with its manifest \
                (SHA-256, size, migrations, row counts per table) sealed inside and copied beside it as .smfbak.json. \
                Each success is recorded in the database (backup_runs): /metrics exports it as backup_last_success. \
                --keep-daily/--keep-weekly then delete older backups of this form in DIR (nothing else). \
                --every runs forever, one backup per interval (the compose `backup` service). \
                --check exits 0 only when the last recorded success is younger than --max-age (26h).
                """
        )

        @Option(name: .customLong("to"), help: "Directory the backup is written to (created 0700 if missing).")
        var directory: String?

        @Option(help: "Keep the newest backup of each of the last N days that have one.")
        var keepDaily: Int?

        @Option(help: "Keep the newest backup of each of the last M ISO weeks that have one.")
        var keepWeekly: Int?

        @Option(help: "Run forever: a backup now, then one per interval (24h, 6h, 90m).")
        var every: String?

        @Flag(help: "Only check that the last successful backup is younger than --max-age; exit 1 if not.")
        var check = false

        @Option(help: "With --check: the largest acceptable age.")
        var maxAge = "26h"

        @Option(name: .customLong("database-url"), help: "Database to back up for this run, instead of DATABASE_URL / DATABASE_URL_FILE.")
        var databaseURL: String?

        func validate() throws {
            if check {
                guard directory == nil, every == nil else { throw ValidationError("--check takes no --to or --every") }
                guard BackupCLI.duration(maxAge) != nil else { throw ValidationError("--max-age must be a duration such as 26h or 90m") }
                return
            }
            guard directory != nil else { throw ValidationError("--to DIR is required (or --check)") }
            if let keepDaily, keepDaily < 0 { throw ValidationError("--keep-daily must be 0 or more") }
            if let keepWeekly, keepWeekly < 0 { throw ValidationError("--keep-weekly must be 0 or more") }
            if (keepDaily ?? 0) + (keepWeekly ?? 0) == 0, keepDaily != nil || keepWeekly != nil {
                throw ValidationError("--keep-daily and --keep-weekly would keep nothing, not even the new backup")
            }
            if let every, BackupCLI.duration(every).map({ $0 >= 60 }) != true {
                throw ValidationError("--every must be a duration of at least 1m, such as 24h")
            }
        }

        func run() async throws {
            let config = try BackupCLI.loadConfiguration(databaseURL: databaseURL)
            LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
            if check {
                try await runCheck(config)
                return
            }
            guard let key = try BackupCLI.key(config), let directory else { throw ExitCode(configErrorExitCode) }
            guard let interval = every.flatMap(BackupCLI.duration) else {
                guard await once(config, key: key, directory: directory) else { throw ExitCode.failure }
                return
            }
            while true {
                let started = Date()
                _ = await once(config, key: key, directory: directory)
                let wait = max(1, interval - Date().timeIntervalSince(started))
                try await Task.sleep(for: .seconds(wait))
            }
        }

        /// One backup plus retention; false (and the reason on stderr) on failure.
        private func once(_ config: AppConfig, key: BackupKey, directory: String) async -> Bool {
            do {
                let tools: PostgresTools? = if case .postgres = config.database {
                    try PostgresTools.locate(directory: config.pgBinDirectory)
                } else {
                    nil
                }
                let progress = BackupCLI.progress("backup")
                let outcome = try await BackupRunner.backup(config: config, to: directory, key: key, tools: tools, progress: progress?.report)
                progress?.done()
                let manifest = outcome.manifest
                Output.error("smflow: backup written: \(outcome.path) (\(BackupCLI.size(manifest.encryptedSize ?? 0)) encrypted, \(BackupCLI.size(manifest.size)) dump, sha256 \(manifest.sha256.prefix(16))…, \(manifest.rowCounts.count) tables, schema \(manifest.schemaVersion))")
                Output.line(outcome.path)
                if keepDaily != nil || keepWeekly != nil {
                    let plan = try BackupRetention.apply(in: directory, keepDaily: keepDaily ?? 0, keepWeekly: keepWeekly ?? 0)
                    for file in plan.delete { Output.error("smflow: retention: deleted \(file.name)") }
                    Output.error("smflow: retention: kept \(plan.keep.count), deleted \(plan.delete.count)")
                }
                return true
            } catch {
                Output.error("smflow: backup failed: \(error)")
                return false
            }
        }

        private func runCheck(_ config: AppConfig) async throws {
            let limit = BackupCLI.duration(maxAge) ?? BackupRuns.maximumAge
            let last: Date?
            do {
                last = try await BackupRunner.lastSuccess(config: config)
            } catch {
                Output.error("smflow: cannot read the last backup time: \(error)")
                throw ExitCode.failure
            }
            guard let last else {
                Output.error("smflow: no successful backup is recorded")
                throw ExitCode.failure
            }
            let age = Date().timeIntervalSince(last)
            let text = "last successful backup \(last.formatted(.iso8601)) (\(Int(age / 60)) min ago)"
            guard age <= limit else {
                Output.error("smflow: \(text): older than \(maxAge)")
                throw ExitCode.failure
            }
            Output.line("smflow: \(text)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt a backup, check its checksum, restore it into a scratch database and compare row counts.",
            discussion: """
                SQLite backups are restored into a temporary file; PostgreSQL backups into a scratch database created \
                (and dropped afterwards) on the server of --database-url (default DATABASE_URL), whose role needs \
                CREATEDB. Exit 0 only when everything matches the backup's sealed manifest.
                """
        )

        @Argument(help: "The .smfbak file.")
        var file: String

        @Option(name: .customLong("database-url"), help: "PostgreSQL server (URL of a role with CREATEDB) for the scratch database.")
        var databaseURL: String?

        @Option(help: "SQLite backups: directory for the temporary restored copy (default: the system's temporary directory).")
        var scratchDir: String?

        func run() async throws {
            let config = try BackupCLI.loadConfiguration(databaseURL: databaseURL)
            LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
            guard let key = try BackupCLI.key(config) else { throw ExitCode(configErrorExitCode) }
            do {
                var server: PostgresTarget?
                if case .postgres(let url) = config.database { server = PostgresTarget(url: url.raw.reveal()) }
                // Only PostgreSQL backups need the tools; verify says so when they are missing.
                let tools = try? PostgresTools.locate(directory: config.pgBinDirectory)
                let progress = BackupCLI.progress("verify")
                let manifest = try BackupRunner.verify(file: file, key: key, server: server, tools: tools,
                                                      scratchDirectory: scratchDir ?? NSTemporaryDirectory(), progress: progress?.report)
                progress?.done()
                let rows = manifest.rowCounts.values.reduce(0, +)
                Output.line("smflow: \(file): OK — \(manifest.database.rawValue) backup of \(manifest.createdAt), sha256 \(manifest.sha256), \(BackupCLI.size(manifest.size)) dump, \(manifest.rowCounts.count) tables and \(rows) rows restored and counted, schema \(manifest.schemaVersion)")
            } catch {
                Output.error("smflow: verification failed: \(error)")
                throw ExitCode.failure
            }
        }
    }
}

/// Shared by `backup` and `restore`.
enum BackupCLI {
    /// The configuration with `--database-url` standing in for DATABASE_URL.
    /// Backups never sign or encrypt with the server's keys, so (as for
    /// `migrate`) their absence is not an error here.
    static func loadConfiguration(databaseURL: String?) throws -> AppConfig {
        var environment = ProcessInfo.processInfo.environment
        if let databaseURL {
            environment["DATABASE_URL"] = databaseURL
            environment["DATABASE_URL_FILE"] = nil
        }
        let result = ConfigLoader.load(environment: environment)
        let findings = result.findings.filter { !MigrateCommand.keysOnlyServeNeeds.contains($0.variable) }
        ConfigurationLoading.report(findings)
        let errors = findings.filter { $0.severity == .error }
        guard errors.isEmpty else {
            Output.error("smflow: refusing to run: \(errors.count) configuration error(s); see docs/CONFIGURATION.md")
            throw ExitCode(configErrorExitCode)
        }
        return result.config
    }

    /// SMF_BACKUP_KEY, or nil after saying why.
    static func key(_ config: AppConfig) throws -> BackupKey? {
        guard let secret = config.backupKey else {
            Output.error("smflow: \(BackupError.keyMissing)")
            return nil
        }
        do {
            return try BackupKey(secret: secret)
        } catch {
            Output.error("smflow: \(error)")
            return nil
        }
    }

    /// `26h`, `90m`, `7d`, `30s` → seconds.
    static func duration(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last, let value = Int(trimmed.dropLast()), value > 0 else { return nil }
        switch unit {
        case "d": return TimeInterval(value * 86_400)
        case "h": return TimeInterval(value * 3_600)
        case "m": return TimeInterval(value * 60)
        case "s": return TimeInterval(value)
        default: return nil
        }
    }

    static func size(_ bytes: Int64) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) : String(format: "%.1f KiB", Double(bytes) / 1024)
    }

    /// A progress line on standard error, only when it is a terminal.
    static func progress(_ label: String) -> TerminalProgress? {
        isatty(STDERR_FILENO) == 1 ? TerminalProgress(label: label) : nil
    }
}

/// Rewrites one line on the terminal (at most 5 times a second).
final class TerminalProgress: Sendable {
    private let label: String
    private let lastShown = Mutex<Date>(.distantPast)

    init(label: String) {
        self.label = label
    }

    var report: BackupProgress {
        { [self] bytes in
            let now = Date()
            let show = lastShown.withLock { last in
                guard now.timeIntervalSince(last) >= 0.2 else { return false }
                last = now
                return true
            }
            if show { FileHandle.standardError.write(Data("\r\(label): \(BackupCLI.size(bytes)) of dump processed\u{1B}[K".utf8)) }
        }
    }

    func done() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
