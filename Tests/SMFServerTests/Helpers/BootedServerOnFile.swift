import Foundation
import Logging
import SMFSecurity
import Vapor
@testable import SMFServer

/// What `serve` does to the database across a whole life — configure,
/// migrate, boot, work, shut down — on a SQLite file of its own, then a
/// second application opened on the same file to read what the first one
/// left. For the shutdown-order tests: what a lifecycle handler writes
/// while the first application stops must be found by the second.
func withServerLifeOnSQLiteFile(
    _ name: String,
    whileRunning run: (Application) async throws -> Void,
    afterShutdown read: (Application) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var config = AppConfig()
    config.database = .sqlite(path: directory.appendingPathComponent("smflow.sqlite").path)
    config.databaseIsExplicit = true
    config.usageAnomaly.enabled = false
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    let app = try await Application.make(Environment(name: "development", arguments: ["smflow"]), logger: logger)
    do {
        try await configure(app, config: config)
        try await app.autoMigrate()
        try await app.asyncBoot()
        try await run(app)
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()

    let reader = try await Application.make(.testing, logger: logger)
    do {
        try await configure(reader, config: config)
        try await read(reader)
    } catch {
        try? await reader.asyncShutdown()
        throw error
    }
    try await reader.asyncShutdown()
}
