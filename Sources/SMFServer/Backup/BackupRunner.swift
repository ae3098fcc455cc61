import Fluent
import Foundation
import SMFSecurity
import SQLKit
import Vapor

/// `smflow backup`, `smflow backup verify` and `smflow restore` (issue 9).
///
/// PostgreSQL: `pg_dump --format=custom` in a subprocess, reading the
/// snapshot of a repeatable-read transaction that also counts the rows, so
/// that the manifest's counts are exactly those of the dump. SQLite: the
/// online backup API into a temporary copy, counted there. Either way the
/// plaintext dump is compressed and sealed as it streams (BackupFormat.swift).
public enum BackupRunner {
    public struct Outcome: Sendable {
        public let path: String
        public let manifest: BackupManifest
    }

    // MARK: backup

    /// Takes a backup of the configured database into `directory` and
    /// records the success in `backup_runs`.
    public static func backup(config: AppConfig, to directory: String, key: BackupKey, tools: PostgresTools?,
                              progress: BackupProgress? = nil) async throws -> Outcome {
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            if !config.isProduction { try await app.autoMigrate() }
            let outcome = try await backup(app: app, database: config.database, to: directory, key: key, tools: tools, progress: progress)
            try await app.asyncShutdown()
            return outcome
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// The same on a running application (tests).
    public static func backup(app: Application, database location: DatabaseLocation, to directory: String, key: BackupKey,
                              tools: PostgresTools?, progress: BackupProgress? = nil) async throws -> Outcome {
        let clock = app.smf.clock
        let started = clock.now()
        let kind: BackupDatabaseKind = switch location {
        case .postgres: .postgres
        case .sqlite: .sqlite
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        removeStalePartials(in: directory, now: started)
        let name = BackupFileName.make(kind: kind, at: started)
        let final = (directory as NSString).appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: final) else { throw BackupError.io("\(name) already exists in \(directory)") }
        // Written under a name retention never matches, renamed when complete.
        let partial = (directory as NSString).appendingPathComponent(".\(name).partial")
        defer { try? FileManager.default.removeItem(atPath: partial) }
        let output = try createPrivateFile(partial)

        let manifest: BackupManifest
        do {
            defer { try? output.close() }
            switch location {
            case .sqlite(let path):
                manifest = try sqliteBackup(path: path, output: output, directory: directory, key: key, createdAt: started, progress: progress)
            case .postgres(let url):
                guard let tools else { throw BackupError.toolMissing("pg_dump") }
                guard let target = PostgresTarget(url: url.raw.reveal()) else { throw BackupError.invalidURL }
                manifest = try await postgresBackup(app.db, target: target, tools: tools, output: output, key: key,
                                                    createdAt: started, progress: progress)
            }
            try output.synchronize()
        }
        try FileManager.default.moveItem(atPath: partial, toPath: final)
        let encryptedSize = (try? FileManager.default.attributesOfItem(atPath: final)[.size] as? Int64) ?? nil
        var sidecar = manifest
        sidecar.file = name
        sidecar.encryptedSize = encryptedSize
        guard FileManager.default.createFile(atPath: final + ".json", contents: try sidecar.encoded(), attributes: [.posixPermissions: 0o600]) else {
            throw BackupError.io("cannot write \(name).json")
        }
        if let sql = app.db as? any SQLDatabase {
            do {
                try await BackupRuns.record(on: sql, startedMs: Int64(started.timeIntervalSince1970 * 1000),
                                            finishedMs: clock.milliseconds(), kind: kind, fileName: name,
                                            encryptedSize: encryptedSize ?? 0, sha256: manifest.sha256)
            } catch {
                // The file is good; only the record is missing (most likely migration 007).
                throw BackupError.io("\(final) was written, but the success could not be recorded in backup_runs (run `smflow migrate`?): \(error)")
            }
        }
        return Outcome(path: final, manifest: sidecar)
    }

    private static func sqliteBackup(path: String, output: FileHandle, directory: String, key: BackupKey, createdAt: Date,
                                     progress: BackupProgress?) throws -> BackupManifest {
        guard path != ":memory:", !path.hasPrefix("file::memory:") else { throw BackupError.inMemoryDatabase }
        let copyPath = (directory as NSString).appendingPathComponent(".smflow-sqlite-\(UUID().uuidString).partial")
        defer { try? FileManager.default.removeItem(atPath: copyPath) }
        _ = try createPrivateFile(copyPath)
        let counts: [String: Int64], migrations: [String]
        do {
            let source = try SQLiteHandle(path: path, readOnly: true)
            let copy = try SQLiteHandle(path: copyPath, readOnly: false)
            try copy.copy(from: source)
            // The copy is a plain file: no -wal/-shm beside it to carry along.
            try copy.execute("PRAGMA journal_mode=DELETE")
            counts = try copy.rowCounts()
            migrations = try copy.migrations()
        }
        let input = try BackupStream.openForReading(copyPath)
        defer { try? input.close() }
        let producer = "SQLite \(SQLiteHandle.libraryVersion) online backup API"
        return try BackupStream.seal(input: input, output: output, kind: .sqlite, key: key, manifest: { digest, size in
            manifest(.sqlite, createdAt: createdAt, sha256: digest, size: size, migrations: migrations, counts: counts, producer: producer)
        }, progress: progress).1
    }

    private static func postgresBackup(_ database: any Database, target: PostgresTarget, tools: PostgresTools, output: FileHandle,
                                       key: BackupKey, createdAt: Date, progress: BackupProgress?) async throws -> BackupManifest {
        let producer = tools.version()
        // FileHandle is not Sendable; the transaction closure gets its descriptor.
        let descriptor = output.fileDescriptor
        return try await database.transaction { transaction in
            guard let sql = transaction as? any SQLDatabase else { throw BackupError.invalidURL }
            // Must be the transaction's first statement. The exported snapshot
            // stays valid while this transaction is open, i.e. while pg_dump runs.
            try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
            guard let snapshot = try await sql.raw("SELECT pg_export_snapshot() AS snapshot").first()?
                .decode(column: "snapshot", as: String.self) else { throw BackupError.io("pg_export_snapshot returned nothing") }
            let counts = try await postgresRowCounts(sql)
            let migrations = try await postgresMigrations(sql)
            let running = try PostgresTools.Running(tools.dump(target, snapshot: snapshot), pipeStdin: false, pipeStdout: true)
            guard let stdout = running.stdout else { running.abandon(); throw BackupError.io("pg_dump has no output") }
            let sink = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
            let manifest: BackupManifest
            do {
                manifest = try BackupStream.seal(input: stdout, output: sink, kind: .postgres, key: key, manifest: { digest, size in
                    Self.manifest(.postgres, createdAt: createdAt, sha256: digest, size: size, migrations: migrations, counts: counts, producer: producer)
                }, progress: progress).1
            } catch {
                running.abandon()
                throw error
            }
            // A failing pg_dump may have written a valid-looking prefix: its exit status decides.
            try running.finish()
            return manifest
        }
    }

    static func postgresRowCounts(_ sql: any SQLDatabase) async throws -> [String: Int64] {
        struct Table: Decodable { let schemaname: String; let tablename: String }
        let tables = try await sql.raw("""
            SELECT schemaname, tablename FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, tablename
            """).all(decoding: Table.self)
        var counts: [String: Int64] = [:]
        for table in tables {
            let count = try await sql.raw("SELECT count(*) AS n FROM \(ident: table.schemaname).\(ident: table.tablename)").first()?
                .decode(column: "n", as: Int64.self) ?? 0
            counts[tableKey(schema: table.schemaname, table: table.tablename)] = count
        }
        return counts
    }

    static func postgresMigrations(_ sql: any SQLDatabase) async throws -> [String] {
        struct Row: Decodable { let name: String }
        let exists = try await sql.raw("SELECT to_regclass('_fluent_migrations') IS NOT NULL AS present").first()?
            .decode(column: "present", as: Bool.self) ?? false
        guard exists else { return [] }
        return try await sql.raw("SELECT name FROM _fluent_migrations ORDER BY batch, created_at, name").all(decoding: Row.self).map(\.name)
    }

    /// `table` in schema public, `schema.table` elsewhere.
    static func tableKey(schema: String, table: String) -> String {
        schema == "public" ? table : "\(schema).\(table)"
    }

    static func manifest(_ kind: BackupDatabaseKind, createdAt: Date, sha256: String, size: Int64, migrations: [String],
                         counts: [String: Int64], producer: String) -> BackupManifest {
        // In registry order (rows of one batch may share a timestamp); names this
        // version does not know (a newer schema) go last, as read.
        let order = Dictionary(AppMigrations.names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let ordered = migrations.enumerated().sorted { (order[$0.element] ?? Int.max, $0.offset) < (order[$1.element] ?? Int.max, $1.offset) }.map(\.element)
        return BackupManifest(database: kind, createdAt: createdAt.formatted(.iso8601), createdAtUnix: Int64(createdAt.timeIntervalSince1970),
                              sha256: sha256, size: size, migrations: ordered, rowCounts: counts, producer: producer)
    }

    // MARK: verify

    /// Decrypts `file`, checks its checksum, restores it into a scratch
    /// database and compares the row counts with the manifest. The scratch
    /// database is removed afterwards, whatever happened.
    /// - Parameters:
    ///   - server: PostgreSQL backups: where the scratch database is created
    ///     (the role needs CREATEDB); unused for SQLite.
    ///   - scratchDirectory: SQLite backups: where the temporary copy goes.
    public static func verify(file: String, key: BackupKey, server: PostgresTarget?, tools: PostgresTools?,
                              scratchDirectory: String = NSTemporaryDirectory(), progress: BackupProgress? = nil) throws -> BackupManifest {
        let kind = try BackupStream.kind(of: file, key: key)
        switch kind {
        case .sqlite:
            let scratch = (scratchDirectory as NSString).appendingPathComponent("smflow-verify-\(UUID().uuidString).sqlite")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let manifest = try decryptToFile(file, key: key, path: scratch, progress: progress)
            let counts = try SQLiteHandle(path: scratch, readOnly: true).rowCounts()
            let differences = manifest.rowCountDifferences(counts)
            guard differences.isEmpty else { throw BackupError.rowCountMismatch(differences) }
            return manifest
        case .postgres:
            guard let tools else { throw BackupError.toolMissing("pg_restore") }
            guard let server else {
                throw BackupError.io("verifying a PostgreSQL backup needs a server for the scratch database: --database-url postgres://… of a role with CREATEDB")
            }
            let name = "smflow_verify_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            _ = try tools.run(tools.createDatabase(name, on: server))
            defer { _ = try? tools.run(tools.dropDatabase(name, on: server)) }
            let scratch = server.database(name)
            let manifest = try pgRestore(file, key: key, into: scratch, tools: tools, clean: false, scratch: true, progress: progress)
            let counts = try postgresRowCounts(scratch, tools: tools)
            let differences = manifest.rowCountDifferences(counts)
            guard differences.isEmpty else { throw BackupError.rowCountMismatch(differences) }
            return manifest
        }
    }

    // MARK: restore

    /// Restores `file` into `target`, which must be empty unless `force`.
    /// The whole file is authenticated before anything is written.
    public static func restore(file: String, key: BackupKey, into target: DatabaseLocation, force: Bool, tools: PostgresTools?,
                               progress: BackupProgress? = nil) throws -> BackupManifest {
        let kind = try BackupStream.kind(of: file, key: key)
        switch (kind, target) {
        case (.sqlite, .sqlite(let path)):
            guard path != ":memory:" else { throw BackupError.inMemoryDatabase }
            if FileManager.default.fileExists(atPath: path), !force {
                let tables = try SQLiteHandle(path: path, readOnly: true).tables()
                guard tables.isEmpty else { throw BackupError.databaseNotEmpty("\(tables.count) table(s)") }
            }
            let directory = ((path as NSString).deletingLastPathComponent as NSString).length == 0 ? "." : (path as NSString).deletingLastPathComponent
            let temporary = (directory as NSString).appendingPathComponent(".smflow-restore-\(UUID().uuidString).partial")
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            // Fully decrypted and checked before the target is touched.
            let manifest = try decryptToFile(file, key: key, path: temporary, progress: progress)
            do {
                let source = try SQLiteHandle(path: temporary, readOnly: true)
                let destination = try SQLiteHandle(path: path, readOnly: false, create: true)
                try destination.copy(from: source)
            }
            let differences = manifest.rowCountDifferences(try SQLiteHandle(path: path, readOnly: true).rowCounts())
            guard differences.isEmpty else { throw BackupError.rowCountMismatch(differences) }
            return manifest
        case (.postgres, .postgres(let url)):
            guard let tools else { throw BackupError.toolMissing("pg_restore") }
            guard let pg = PostgresTarget(url: url.raw.reveal()) else { throw BackupError.invalidURL }
            if !force {
                let tables = try postgresRowCounts(pg, tools: tools)
                guard tables.isEmpty else { throw BackupError.databaseNotEmpty("\(tables.count) table(s) in \(pg.label)") }
            }
            // First pass: authenticate every record and the checksum, write nothing.
            let input = try BackupStream.openForReading(file)
            try BackupStream.open(input: input, key: key, sink: nil)
            try? input.close()
            let manifest = try pgRestore(file, key: key, into: pg, tools: tools, clean: force, scratch: false, progress: progress)
            let counts = try postgresRowCounts(pg, tools: tools).filter { manifest.rowCounts.keys.contains($0.key) }
            let differences = manifest.rowCountDifferences(counts)
            guard differences.isEmpty else { throw BackupError.rowCountMismatch(differences) }
            return manifest
        case (.postgres, .sqlite):
            throw BackupError.kindMismatch(backup: .postgres, target: .sqlite)
        case (.sqlite, .postgres):
            throw BackupError.kindMismatch(backup: .sqlite, target: .postgres)
        }
    }

    /// Decrypts into a new 0600 file at `path`.
    static func decryptToFile(_ file: String, key: BackupKey, path: String, progress: BackupProgress?) throws -> BackupManifest {
        let input = try BackupStream.openForReading(file)
        defer { try? input.close() }
        let output = try createPrivateFile(path)
        defer { try? output.close() }
        let manifest = try BackupStream.open(input: input, key: key, progress: progress, header: { kind in
            guard kind == .sqlite else { throw BackupError.kindMismatch(backup: kind, target: .sqlite) }
        }, sink: { piece in try output.write(contentsOf: Data(piece)) })
        try output.synchronize()
        return manifest
    }

    /// Streams the decrypted dump into pg_restore.
    static func pgRestore(_ file: String, key: BackupKey, into target: PostgresTarget, tools: PostgresTools, clean: Bool, scratch: Bool,
                          progress: BackupProgress?) throws -> BackupManifest {
        let input = try BackupStream.openForReading(file)
        defer { try? input.close() }
        let running = try PostgresTools.Running(tools.restore(target, clean: clean, scratch: scratch), pipeStdin: true, pipeStdout: false)
        guard let stdin = running.stdin else { running.abandon(); throw BackupError.io("pg_restore has no input") }
        let manifest: BackupManifest
        do {
            manifest = try BackupStream.open(input: input, key: key, progress: progress, header: { kind in
                guard kind == .postgres else { throw BackupError.kindMismatch(backup: kind, target: .postgres) }
            }, sink: { piece in
                do {
                    try stdin.write(contentsOf: Data(piece))
                } catch {
                    // pg_restore stopped reading: its own message says why.
                    throw BackupError.toolFailed(tool: "pg_restore", status: -1, message: "stopped reading its input")
                }
            })
        } catch let error as BackupError {
            running.abandon()
            if case .toolFailed = error, !running.process.isRunning, running.process.terminationStatus != 0 {
                throw BackupError.toolFailed(tool: "pg_restore", status: running.process.terminationStatus, message: running.directory.firstErrorLine())
            }
            throw error
        } catch {
            running.abandon()
            throw error
        }
        try running.finish()
        return manifest
    }

    /// Rows per table through psql (scratch and restore targets, which no
    /// Fluent application is connected to).
    static func postgresRowCounts(_ target: PostgresTarget, tools: PostgresTools) throws -> [String: Int64] {
        let listing = try tools.run(tools.psql(target, """
            SELECT schemaname, tablename FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, tablename
            """)).stdout
        let tables = listing.split(separator: "\n").compactMap { line -> (String, String)? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return fields.count == 2 ? (fields[0], fields[1]) : nil
        }
        guard !tables.isEmpty else { return [:] }
        func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let query = tables.enumerated().map { index, table in
            "SELECT \(index), count(*) FROM \(quote(table.0)).\(quote(table.1))"
        }.joined(separator: " UNION ALL ")
        var counts: [String: Int64] = [:]
        for line in try tools.run(tools.psql(target, query)).stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 2, let index = Int(fields[0]), tables.indices.contains(index), let count = Int64(fields[1]) else { continue }
            counts[tableKey(schema: tables[index].0, table: tables[index].1)] = count
        }
        return counts
    }

    // MARK: last success

    /// The newest successful backup recorded in the configured database.
    public static func lastSuccess(config: AppConfig) async throws -> Date? {
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            var result: Date?
            if let sql = app.db as? any SQLDatabase, let ms = try await BackupRuns.lastSuccessMilliseconds(on: sql) {
                result = Date(timeIntervalSince1970: TimeInterval(ms) / 1000)
            }
            try await app.asyncShutdown()
            return result
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// `.smflow-….partial` files of runs that were killed (SIGTERM during a
    /// backup) and have not been written to for an hour; a running backup
    /// keeps touching its own.
    static func removeStalePartials(in directory: String, now: Date) {
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(".smflow-") && name.hasSuffix(".partial") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) > 3600 else { continue }
            try? manager.removeItem(atPath: path)
        }
    }

    static func createPrivateFile(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw BackupError.io("cannot create \(path)")
        }
        return handle
    }
}
