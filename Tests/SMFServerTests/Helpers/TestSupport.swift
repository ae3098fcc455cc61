import Foundation
import Logging
import NIOConcurrencyHelpers
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// The database the integration tests run on: PostgreSQL when
/// `SMF_TEST_DATABASE_URL` is set (scripts/test does), else in-memory SQLite.
enum TestDatabase {
    struct NonLocalDatabase: Error, CustomStringConvertible {
        var description: String { "SMF_TEST_DATABASE_URL must point to a loopback host; tests reset what they touch" }
    }

    static func location() throws -> DatabaseLocation {
        guard let raw = ProcessInfo.processInfo.environment["SMF_TEST_DATABASE_URL"], !raw.isEmpty else {
            return .sqlite(path: ":memory:")
        }
        // Never run tests against a database that is not on this machine.
        guard case .postgres(let url)? = DatabaseLocation.parse(raw),
              ["127.0.0.1", "localhost", "::1"].contains(url.host) else { throw NonLocalDatabase() }
        return .postgres(url)
    }

    static var isPostgres: Bool {
        if case .postgres? = try? location() { return true }
        return false
    }
}

/// Collects log events, for tests of what the server writes to its log.
final class LogCapture: Sendable {
    private let storage = NIOLockedValueBox<[String]>([])

    var lines: [String] { storage.withLockedValue { $0 } }

    func makeLogger() -> Logger {
        Logger(label: "smflow-test") { label in
            var handler = JSONLogHandler(label: label, write: { [storage] line in
                storage.withLockedValue { $0.append(line) }
            })
            handler.logLevel = .debug
            return handler
        }
    }
}

/// Runs `test` against a fully configured application (the same
/// `configure` as `serve`) on the test database.
/// - Parameters:
///   - adjust: changes to the default development configuration.
///   - routes: throwaway routes a test needs (registered after ours).
///   - logs: where log events go (discarded when nil).
func withTestApp(
    _ adjust: (inout AppConfig) -> Void = { _ in },
    routes extra: (Application) -> Void = { _ in },
    logs: LogCapture? = nil,
    clock: AppClock = .system,
    _ test: (Application) async throws -> Void
) async throws {
    var config = AppConfig()
    config.database = try TestDatabase.location()
    config.databaseIsExplicit = true
    // The minimum the loader accepts; production refuses < 12 (tested in
    // ConfigLoaderTests). Keeps the many sign-ins of the tests fast.
    config.bcryptCost = 10
    // Rate limits out of the way of tests that are not about them
    // (RateLimitTests set their own).
    config.rateLimits = Dictionary(uniqueKeysWithValues: RateLimitClass.allCases.map {
        ($0, RateLimitPolicy(name: $0.rawValue, limit: 1_000_000, periodMilliseconds: 1000, burst: 1_000_000))
    })
    // Likewise the unusual-usage detector: the authorization matrix alone is
    // a 404/403 "scan" (UsageAnomalyTests switch it on).
    config.usageAnomaly.enabled = false
    // A healthy database must read as ready however loaded the machine is;
    // the 1 s production bound has its own test (HealthTests, database down).
    config.readinessTimeout = .seconds(60)
    config.databasePoolTimeout = .seconds(60)
    adjust(&config)
    if TestDatabase.isPostgres, case .postgres = config.database {
        try await sharedDatabaseLock.withLock {
            try await runTestApp(config: config, routes: extra, logs: logs, clock: clock, test)
        }
    } else {
        try await runTestApp(config: config, routes: extra, logs: logs, clock: clock, test)
    }
}

let sharedDatabaseLock = AsyncMutex()

private func runTestApp(
    config: AppConfig, routes extra: (Application) -> Void, logs: LogCapture?, clock: AppClock,
    _ test: (Application) async throws -> Void
) async throws {
    let logger = logs?.makeLogger() ?? Logger(label: "smflow-test") { _ in SwiftLogNoOpLogHandler() }
    let app = try await Application.make(.testing, logger: logger)
    do {
        try await configure(app, config: config, clock: clock)
        extra(app)
        try await resetDatabase(app)
        try await test(app)
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

/// A clean schema for every test: on PostgreSQL the database outlives the
/// test, so it is reverted and migrated again (tests touching it run serially).
func resetDatabase(_ app: Application) async throws {
    if TestDatabase.isPostgres {
        try await app.autoRevert()
    }
    try await app.autoMigrate()
}

/// A configuration that `SMF_ENV=production` would accept, apart from the
/// database, which stays the test database.
func productionMode(_ config: inout AppConfig) {
    config.mode = .production
    config.logFormat = .json
    config.publicURL = "https://smflow.example.com"
}

/// The test server over a real loopback socket, so requests have a peer address.
func live(_ app: Application) throws -> any TestingApplicationTester {
    try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
}

extension TestingHTTPResponse {
    var problem: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
    }
}
