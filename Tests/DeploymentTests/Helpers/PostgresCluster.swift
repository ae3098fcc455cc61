import Foundation

/// The throwaway PostgreSQL cluster scripts/test starts
/// (`SMF_TEST_PG_ADMIN_URL`, `SMF_TEST_PG_BIN`). Tests make their own
/// database and roles in it with random names and drop them afterwards; the
/// shared `SMF_TEST_DATABASE_URL` database is never touched.
struct PostgresCluster: Sendable {
    let host: String
    let port: Int
    let adminUser: String
    let adminPassword: String
    let binDirectory: String

    static var isConfigured: Bool { TestPrograms.environment["SMF_TEST_PG_ADMIN_URL"] != nil }

    static func fromEnvironment() throws -> PostgresCluster {
        guard let raw = TestPrograms.environment["SMF_TEST_PG_ADMIN_URL"],
              let url = URLComponents(string: raw), let user = url.user, let password = url.password,
              let host = url.host, let bin = TestPrograms.environment["SMF_TEST_PG_BIN"] else {
            throw NotConfigured()
        }
        // Only loopback: these tests create and drop roles.
        guard host == "127.0.0.1" || host == "localhost" else { throw NotConfigured() }
        return PostgresCluster(host: host, port: url.port ?? 5432, adminUser: user,
                               adminPassword: password.removingPercentEncoding ?? password, binDirectory: bin)
    }

    func url(user: String, password: String, database: String) -> String {
        "postgres://\(user):\(password)@\(host):\(port)/\(database)"
    }

    /// The variables libpq and psql read, for `user` (the password in the
    /// environment, never in argv).
    func environment(user: String, password: String, database: String) -> [String: String] {
        ["PGHOST": host, "PGPORT": String(port), "PGUSER": user, "PGPASSWORD": password, "PGDATABASE": database,
         "PGCONNECT_TIMEOUT": "10"]
    }

    /// Runs one SQL statement with psql; unaligned, tuples only.
    func psql(_ sql: String, user: String, password: String, database: String) async throws -> ProcessOutput {
        try await ProcessRunner.run(binDirectory + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                    environment: environment(user: user, password: password, database: database),
                                    timeout: .seconds(30))
    }

    func admin(_ sql: String, database: String = "postgres") async throws -> ProcessOutput {
        try await psql(sql, user: adminUser, password: adminPassword, database: database)
    }

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "SMF_TEST_PG_ADMIN_URL (loopback) and SMF_TEST_PG_BIN must be set; scripts/test sets them" }
    }
}
