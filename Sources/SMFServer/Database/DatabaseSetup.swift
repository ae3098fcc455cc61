import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SMFSecurity
import SQLKit
import Vapor

/// Connects the application to its database (SQLite by default, PostgreSQL
/// when DATABASE_URL says so) and registers the migrations.
enum DatabaseSetup {
    static func configure(_ app: Application, location: DatabaseLocation, poolTimeout: Duration? = nil) throws {
        let sqliteTimeout = poolTimeout.map(timeAmount) ?? .seconds(10)
        switch location {
        case .sqlite(let path):
            if path == ":memory:" {
                app.databases.use(.sqlite(.memory, connectionPoolTimeout: sqliteTimeout), as: .sqlite)
            } else {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    // 0700: the database file holds everything the server knows.
                    try FileManager.default.createDirectory(
                        atPath: directory, withIntermediateDirectories: true,
                        attributes: [.posixPermissions: 0o700])
                }
                app.databases.use(.sqlite(.file(path), connectionPoolTimeout: sqliteTimeout), as: .sqlite)
            }
        case .postgres(let url):
            let configuration = try SQLPostgresConfiguration(url: url.raw.reveal())
            app.databases.use(
                .postgres(
                    configuration: configuration,
                    maxConnectionsPerEventLoop: 4,
                    // Fail a request for a connection quickly when the
                    // database is gone, instead of queueing for the default 10 s.
                    connectionPoolTimeout: poolTimeout.map(timeAmount) ?? .seconds(3)),
                as: .psql)
        }
        for migration in AppMigrations.all {
            app.migrations.add(migration)
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// One-time settings for a SQLite file: write-ahead logging lets readers
    /// work while a write is in progress (DESIGN pitfall 8). The journal mode
    /// is stored in the file, so setting it once per start is enough.
    static func prepare(_ app: Application, location: DatabaseLocation) async throws {
        guard case .sqlite(let path) = location, path != ":memory:", let sql = app.db as? any SQLDatabase else { return }
        try await sql.raw("PRAGMA journal_mode=WAL").run()
    }
}
