import Foundation
import Testing

/// `smflow audit --database-url` (issue 6) against real PostgreSQL roles:
/// the shipped application role passes, the owner role (owns the tables,
/// may CREATE in the schema) and the superuser fail; a database without the
/// product's tables is "not an smflow database". Loopback only.
@Suite(.serialized, .enabled(if: PostgresCluster.isConfigured,
                             "needs the PostgreSQL of scripts/test (SMF_TEST_PG_ADMIN_URL); runs in its PostgreSQL pass"))
struct AuditDatabaseTests {
    static let keys = "db.least-privilege,secrets.default-db-credentials,mistake.unencrypted-communication,monitor.failed-auth,"
        + "monitor.rate-limit-violations,monitor.unusual-usage,secrets.production-api-keys,tasks.monthly-rotation,mistake.insufficient-logging"

    static func audit(_ url: String) async throws -> AuditLiveTests.Report {
        try await AuditLiveTests.audit(["--database-url", url, "--only", keys])
    }

    @Test func app_role_passes_owner_and_superuser_fail() async throws {
        try await PostgresRolesTests.withFixture { fixture in
            let migrated = try await SmflowBinary.run(["migrate", "--database-url", fixture.ownerURL],
                                                      environment: try await PostgresRolesTests.productionEnvironment(databaseURL: fixture.ownerURL))
            try #require(migrated.status == 0, "\(migrated)")

            let app = try await Self.audit(fixture.appURL)
            for key in Self.keys.split(separator: ",").map(String.init) {
                #expect(app.status(key) != "fail", "\(key): \(app.details(key))")
            }
            #expect(app.status("db.least-privilege") == "pass", "\(app.details("db.least-privilege"))")
            #expect(app.status("secrets.default-db-credentials") == "pass", "\(app.details("secrets.default-db-credentials"))")
            #expect(app.details("monitor.failed-auth").contains("0 failed sign-ins in the last 7 days"), "\(app.details("monitor.failed-auth"))")
            #expect(!app.output.stdout.contains(fixture.appPassword) && !app.output.stderr.contains(fixture.appPassword))

            let owner = try await Self.audit(fixture.ownerURL)
            #expect(owner.status("db.least-privilege") == "fail", "\(owner.details("db.least-privilege"))")
            #expect(owner.details("db.least-privilege").contains("owns"), "\(owner.details("db.least-privilege"))")

            let cluster = fixture.cluster
            let superuser = try await Self.audit(cluster.url(user: cluster.adminUser, password: cluster.adminPassword, database: fixture.database))
            #expect(superuser.status("db.least-privilege") == "fail")
            #expect(superuser.details("db.least-privilege").contains("superuser"), "\(superuser.details("db.least-privilege"))")
        }
    }

    @Test func a_database_without_the_products_tables_is_not_an_smflow_database() async throws {
        try await PostgresRolesTests.withFixture { fixture in
            let report = try await Self.audit(fixture.appURL)
            #expect(report.status("monitor.failed-auth") == "n/a")
            #expect(report.details("monitor.failed-auth").contains("not an smflow database"), "\(report.details("monitor.failed-auth"))")
            #expect(report.status("db.least-privilege") == "pass", "\(report.details("db.least-privilege"))")
        }
    }
}
