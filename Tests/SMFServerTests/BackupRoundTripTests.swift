import Foundation
import Logging
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// Backup → verify → restore on SQLite, and on PostgreSQL when scripts/test
/// provides one (SMF_TEST_DATABASE_URL plus SMF_TEST_PG_ADMIN_URL for the
/// scratch and restore databases): identical row counts, a working sign-in
/// on the restored database, the success on `/metrics`.
@Suite(.serialized) struct BackupRoundTripTests {
    static let key = BackupKey(hex: (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined())!

    static var adminURL: String? { ProcessInfo.processInfo.environment["SMF_TEST_PG_ADMIN_URL"] }
    static var postgresReady: Bool { TestDatabase.isPostgres && adminURL != nil }

    static func temporaryDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "smflow-backup-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// An application on `location` as it is (no reset: it may be a restored database).
    static func withApp(on location: DatabaseLocation, migrate: Bool, _ body: (Application) async throws -> Void) async throws {
        var config = AppConfig()
        config.database = location
        config.databaseIsExplicit = true
        config.bcryptCost = 10
        config.usageAnomaly.enabled = false
        config.readinessTimeout = .seconds(60)
        config.databasePoolTimeout = .seconds(60)
        let app = try await Application.make(.testing, logger: Logger(label: "smflow-test") { _ in SwiftLogNoOpLogHandler() })
        do {
            try await configure(app, config: config)
            if migrate { try await app.autoMigrate() }
            try await body(app)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// The value of `backup_last_success` on `/metrics`.
    static func lastSuccessMetric(_ app: Application) async throws -> Double? {
        var value: Double?
        try await live(app).test(.GET, "metrics") { res in
            #expect(res.status == .ok)
            let line = res.body.string.split(separator: "\n").first { $0.hasPrefix(BackupRuns.metricName + " ") }
            value = line.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        return value
    }

    static func signIn(_ app: Application, _ email: String, _ password: String) async throws -> HTTPStatus {
        try await AuthFlowTests.login(app, email, password).status
    }

    @Test func sqlite_backup_verify_restore_round_trip() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = DatabaseLocation.sqlite(path: directory + "/source.sqlite")
        let password = IdentityFixtures.password()
        var outcome: BackupRunner.Outcome?
        try await Self.withApp(on: source, migrate: true) { app in
            try await IdentityFixtures(app: app).user("alice@example.com", password: password)
            _ = try await IdentityFixtures(app: app).workspace("Team")
            // No backup yet: the gauge is there, at 0 (so the alert fires).
            let before = try await Self.lastSuccessMetric(app)
            #expect(before == 0)
            outcome = try await BackupRunner.backup(app: app, database: source, to: directory + "/backups", key: Self.key, tools: nil)
            let seconds = try #require(try await Self.lastSuccessMetric(app))
            #expect(abs(seconds - Date().timeIntervalSince1970) < 120)
        }
        let backup = try #require(outcome)
        #expect(BackupFileName((backup.path as NSString).lastPathComponent)?.kind == .sqlite)
        #expect(backup.manifest.rowCounts["users"] == 1)
        #expect(backup.manifest.rowCounts["workspaces"] == 1)
        #expect(backup.manifest.migrations == AppMigrations.names)
        #expect(backup.manifest.database == .sqlite)
        let attributes = try FileManager.default.attributesOfItem(atPath: backup.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // The sidecar manifest matches the sealed one.
        let sidecar = try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: backup.path + ".json")))
        #expect(sidecar.sha256 == backup.manifest.sha256)
        // No temporary copy left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/backups").sorted()
            == [(backup.path as NSString).lastPathComponent, (backup.path as NSString).lastPathComponent + ".json"])

        let verified = try BackupRunner.verify(file: backup.path, key: Self.key, server: nil, tools: nil, scratchDirectory: directory)
        #expect(verified.sha256 == backup.manifest.sha256)

        // Into the (non-empty) source: refused without --force, and the data is untouched.
        #expect(throws: BackupError.self) {
            try BackupRunner.restore(file: backup.path, key: Self.key, into: source, force: false, tools: nil)
        }
        let restored = DatabaseLocation.sqlite(path: directory + "/restored.sqlite")
        let manifest = try BackupRunner.restore(file: backup.path, key: Self.key, into: restored, force: false, tools: nil)
        #expect(manifest.rowCounts == backup.manifest.rowCounts)
        try await Self.withApp(on: restored, migrate: false) { app in
            let good = try await Self.signIn(app, "alice@example.com", password)
            let bad = try await Self.signIn(app, "alice@example.com", "wrong-" + password)
            #expect(good == .ok)
            #expect(bad == .unauthorized)
        }
        // --force replaces the contents.
        _ = try BackupRunner.restore(file: backup.path, key: Self.key, into: source, force: true, tools: nil)
    }

    @Test func sqlite_backup_of_an_in_memory_database_is_refused() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.withApp(on: .sqlite(path: ":memory:"), migrate: true) { app in
            await #expect(throws: BackupError.inMemoryDatabase) {
                _ = try await BackupRunner.backup(app: app, database: .sqlite(path: ":memory:"), to: directory, key: Self.key, tools: nil)
            }
            // Nothing recorded.
            let value = try await Self.lastSuccessMetric(app)
            #expect(value == 0)
        }
    }

    @Test func verify_fails_on_a_tampered_backup_and_restore_writes_nothing() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = DatabaseLocation.sqlite(path: directory + "/source.sqlite")
        var path = ""
        try await Self.withApp(on: source, migrate: true) { app in
            try await IdentityFixtures(app: app).user("bob@example.com")
            path = try await BackupRunner.backup(app: app, database: source, to: directory + "/backups", key: Self.key, tools: nil).path
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: BackupError.self) { try BackupRunner.verify(file: path, key: Self.key, server: nil, tools: nil, scratchDirectory: directory) }
        let target = directory + "/target.sqlite"
        #expect(throws: BackupError.self) {
            try BackupRunner.restore(file: path, key: Self.key, into: .sqlite(path: target), force: false, tools: nil)
        }
        #expect(!FileManager.default.fileExists(atPath: target), "a damaged backup created the target")
        // Scratch and temporary files are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".smflow") || $0.hasPrefix("smflow-verify") }.isEmpty)
    }

    @Test(.enabled(if: BackupRoundTripTests.postgresReady, "needs SMF_TEST_DATABASE_URL and SMF_TEST_PG_ADMIN_URL (scripts/test's PostgreSQL pass)"))
    func postgres_backup_verify_restore_round_trip() async throws {
        let tools = try PostgresTools.locate(directory: ProcessInfo.processInfo.environment["SMF_TEST_PG_BIN"])
        let adminURL = try #require(Self.adminURL)
        let admin = try #require(PostgresTarget(url: adminURL))
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let password = IdentityFixtures.password()
        var outcome: BackupRunner.Outcome?
        try await withTestApp { app in
            try await IdentityFixtures(app: app).user("carol@example.com", password: password)
            _ = try await IdentityFixtures(app: app).workspace("Team")
            outcome = try await BackupRunner.backup(app: app, database: try TestDatabase.location(), to: directory, key: Self.key, tools: tools)
            let seconds = try #require(try await Self.lastSuccessMetric(app))
            #expect(abs(seconds - Date().timeIntervalSince1970) < 120)
        }
        let backup = try #require(outcome)
        #expect(backup.manifest.database == .postgres)
        #expect(backup.manifest.rowCounts["users"] == 1)
        #expect(backup.manifest.migrations == AppMigrations.names)
        #expect(backup.manifest.producer.hasPrefix("pg_dump"))

        // Verify: a scratch database, created and dropped.
        let verified = try BackupRunner.verify(file: backup.path, key: Self.key, server: admin, tools: tools)
        #expect(verified.rowCounts == backup.manifest.rowCounts)
        let leftovers = try tools.run(tools.psql(admin, "SELECT count(*) FROM pg_database WHERE datname LIKE 'smflow_verify_%'")).stdout
        #expect(leftovers.trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        // Restore into a fresh database.
        let name = "smflow_restore_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        _ = try tools.run(tools.createDatabase(name, on: admin))
        defer { _ = try? tools.run(tools.dropDatabase(name, on: admin)) }
        var components = try #require(URLComponents(string: adminURL))
        components.path = "/" + name
        let target = try #require(components.string.flatMap(DatabaseLocation.parse))
        let restored = try BackupRunner.restore(file: backup.path, key: Self.key, into: target, force: false, tools: tools)
        #expect(restored.rowCounts == backup.manifest.rowCounts)
        // Again: the database is no longer empty.
        #expect(throws: BackupError.self) { try BackupRunner.restore(file: backup.path, key: Self.key, into: target, force: false, tools: tools) }
        // --force drops and recreates what the backup holds.
        _ = try BackupRunner.restore(file: backup.path, key: Self.key, into: target, force: true, tools: tools)
        try await Self.withApp(on: target, migrate: false) { app in
            let status = try await Self.signIn(app, "carol@example.com", password)
            #expect(status == .ok)
        }

        // A tool's failure comes back with its own first line, and never the password.
        components.path = "/smflow_no_such_database"
        let missing = try #require(components.string.flatMap(DatabaseLocation.parse))
        do {
            _ = try BackupRunner.restore(file: backup.path, key: Self.key, into: missing, force: false, tools: tools)
            Issue.record("restore into a missing database succeeded")
        } catch let error as BackupError {
            #expect(error.description.contains("does not exist"), "\(error)")
            if let password = components.password { #expect(!error.description.contains(password)) }
        }

        // One flipped byte: verify fails, and leaves no scratch database.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: backup.path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: backup.path))
        #expect(throws: BackupError.self) { try BackupRunner.verify(file: backup.path, key: Self.key, server: admin, tools: tools) }
        let after = try tools.run(tools.psql(admin, "SELECT count(*) FROM pg_database WHERE datname LIKE 'smflow_verify_%'")).stdout
        #expect(after.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
