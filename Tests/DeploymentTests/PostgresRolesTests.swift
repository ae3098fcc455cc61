import Foundation
import Testing

/// deploy/postgres/initdb/10-smflow-roles.sh applied to a fresh database of
/// the test cluster, then smflow run against it the way the compose stack
/// does: migrations as the owner role, `serve` in production as the
/// application role (checklist key db.least-privilege).
@Suite(.serialized, .enabled(if: PostgresCluster.isConfigured,
                             "needs the PostgreSQL of scripts/test (SMF_TEST_PG_ADMIN_URL); runs in its PostgreSQL pass"))
struct PostgresRolesTests {
    /// A database and two roles with random names and passwords, made for one test.
    struct Fixture: Sendable {
        let cluster: PostgresCluster
        let database: String
        let owner: String
        let app: String
        let ownerPassword: String
        let appPassword: String

        var ownerURL: String { cluster.url(user: owner, password: ownerPassword, database: database) }
        var appURL: String { cluster.url(user: app, password: appPassword, database: database) }

        func asApp(_ sql: String) async throws -> ProcessOutput {
            try await cluster.psql(sql, user: app, password: appPassword, database: database)
        }
    }

    /// Creates the database (as the image does for POSTGRES_DB), runs the
    /// shipped init script exactly as the image would, calls `body`, drops it all.
    static func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        let cluster = try PostgresCluster.fromEnvironment()
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        // Passwords the production guardrails accept: 16+ characters, upper, lower, digit, symbol.
        let fixture = Fixture(cluster: cluster, database: "smf_deploy_\(suffix)", owner: "smf_deploy_owner_\(suffix)",
                              app: "smf_deploy_app_\(suffix)", ownerPassword: "Ow1-" + randomHex(),
                              appPassword: "Ap1-" + randomHex())
        let scratch = try ScratchDirectory(prefix: "smflow-pg-roles")
        do {
            let created = try await cluster.admin("CREATE DATABASE \(fixture.database)")
            try #require(created.status == 0, "\(created)")
            try await runInitScript(fixture, secrets: scratch.url)
            try await body(fixture)
        } catch {
            await drop(fixture)
            scratch.remove()
            throw error
        }
        await drop(fixture)
        scratch.remove()
    }

    static func runInitScript(_ fixture: Fixture, secrets: URL) async throws {
        let ownerFile = secrets.appendingPathComponent("pg_owner_password")
        let appFile = secrets.appendingPathComponent("pg_app_password")
        // As generate-secrets.sh writes them: value and a newline.
        try Data((fixture.ownerPassword + "\n").utf8).write(to: ownerFile)
        try Data((fixture.appPassword + "\n").utf8).write(to: appFile)
        let cluster = fixture.cluster
        var environment = cluster.environment(user: cluster.adminUser, password: cluster.adminPassword, database: fixture.database)
        environment.merge([
            "POSTGRES_USER": cluster.adminUser,
            "POSTGRES_DB": fixture.database,
            "SMF_DB_OWNER_ROLE": fixture.owner,
            "SMF_DB_APP_ROLE": fixture.app,
            "SMF_DB_OWNER_PASSWORD_FILE": ownerFile.path,
            "SMF_DB_APP_PASSWORD_FILE": appFile.path,
            "PATH": cluster.binDirectory + ":" + TestPrograms.searchPath.joined(separator: ":"),
        ]) { _, new in new }
        let script = RepositoryFiles.url("deploy/postgres/initdb/10-smflow-roles.sh").path
        let result = try await ProcessRunner.run("/bin/bash", [script], environment: environment, timeout: .seconds(60))
        try #require(result.status == 0, "init script failed: \(result)")
        #expect(!result.stdout.contains(fixture.appPassword) && !result.stderr.contains(fixture.appPassword))
    }

    static func drop(_ fixture: Fixture) async {
        let cluster = fixture.cluster
        _ = try? await cluster.admin("DROP DATABASE IF EXISTS \(fixture.database) WITH (FORCE)")
        _ = try? await cluster.admin("DROP ROLE IF EXISTS \(fixture.app)")
        _ = try? await cluster.admin("DROP ROLE IF EXISTS \(fixture.owner)")
    }

    static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<3).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }

    /// A production environment for `smflow` with fresh keys and `databaseURL`.
    static func productionEnvironment(databaseURL: String) async throws -> [String: String] {
        [
            "SMF_ENV": "production",
            "SMF_SECRET_KEY": try await SmflowBinary.generateKey(),
            "SMF_ENCRYPTION_KEY": try await SmflowBinary.generateKey(),
            "SMF_PUBLIC_URL": "https://smflow.test",
            "DATABASE_URL": databaseURL,
        ]
    }

    @Test func roles_have_no_superuser_createdb_createrole_or_replication() async throws {
        try await Self.withFixture { fixture in
            let roles = try await fixture.cluster.admin("""
                SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
                FROM pg_roles WHERE rolname IN ('\(fixture.owner)', '\(fixture.app)') ORDER BY rolname
                """)
            let lines = roles.stdout.split(separator: "\n").map(String.init).sorted()
            #expect(lines == ["\(fixture.app)|f|f|f|f|f", "\(fixture.owner)|f|f|f|f|f"], "\(roles)")
            let owner = try await fixture.cluster.admin(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '\(fixture.database)'")
            #expect(owner.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == fixture.owner)
            // scram-sha-256, never md5 or plain text.
            let hashes = try await fixture.cluster.admin(
                "SELECT count(*) FROM pg_authid WHERE rolname IN ('\(fixture.owner)', '\(fixture.app)') AND rolpassword LIKE 'SCRAM-SHA-256$%'")
            #expect(hashes.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "\(hashes)")
        }
    }

    @Test func app_role_cannot_migrate_but_the_owner_can_and_then_the_app_serves() async throws {
        try await Self.withFixture { fixture in
            // The application role may not create the schema…
            let asApp = try await SmflowBinary.run(["migrate", "--database-url", fixture.appURL],
                                                   environment: try await Self.productionEnvironment(databaseURL: fixture.appURL))
            #expect(asApp.status == 1, "the app role could migrate: \(asApp)")
            #expect(!asApp.stderr.contains(fixture.appPassword))

            // …the owner can; --database-url overrides DATABASE_URL for this run.
            let migrated = try await SmflowBinary.run(["migrate", "--database-url", fixture.ownerURL],
                                                      environment: try await Self.productionEnvironment(databaseURL: fixture.appURL))
            #expect(migrated.status == 0, "\(migrated)")

            // With the tables in place, the app role still cannot change the schema or read secrets.
            for sql in [
                "CREATE TABLE intruder (id int)",
                "CREATE TEMPORARY TABLE intruder (id int)",
                "CREATE SCHEMA intruder",
                "DROP TABLE users",
                "ALTER TABLE users ADD COLUMN intruder int",
                "TRUNCATE users",
                "CREATE INDEX intruder ON users (id)",
                "SELECT rolpassword FROM pg_authid",
            ] {
                let result = try await fixture.asApp(sql)
                #expect(result.status != 0, "the app role could run: \(sql)")
                #expect(result.stderr.contains("permission denied") || result.stderr.contains("must be owner"),
                        "\(sql): \(result.stderr)")
            }
            // …but reads and writes data.
            let read = try await fixture.asApp("SELECT count(*) FROM users")
            #expect(read.status == 0, "\(read)")

            try await Self.expectServeWorks(fixture)
        }
    }

    /// `serve` in production as the application role: ready, and a real
    /// sign-in and an authenticated call go through.
    static func expectServeWorks(_ fixture: Fixture) async throws {
        var environment = try await Self.productionEnvironment(databaseURL: fixture.appURL)
        let email = "deploy-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let created = try await SmflowBinary.run(["admin", "create-user", "--email", email, "--generate-password"],
                                                 environment: environment)
        try #require(created.status == 0, "\(created)")
        let password = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let scratch = try ScratchDirectory(prefix: "smflow-pg-serve")
        defer { scratch.remove() }
        environment["SMF_DATA_DIR"] = scratch.url.path
        let (server, address) = try await SmflowBinary.startServe(environment: environment, directory: scratch.url)
        do {
            // Eventually ready (the probe's 1 s bound can be missed once on
            // a loaded 2-core CI machine; a broken role stays 503).
            var ready = try await Curl.request(address + "/readyz")
            for _ in 0..<20 where ready.status != 200 {
                try await Task.sleep(for: .milliseconds(500))
                ready = try await Curl.request(address + "/readyz")
            }
            #expect(ready.status == 200, "\(ready)\n\(server.output)")
            let login = try await Curl.request(address + "/api/v1/auth/login", method: "POST",
                                               headers: ["Content-Type: application/json"],
                                               body: #"{"email":"\#(email)","password":"\#(password)","delivery":"bearer"}"#)
            #expect(login.status == 200, "\(login)\n\(server.output)")
            let token = try #require(Self.jsonString("token", in: login.body), "\(login.body)")
            let me = try await Curl.request(address + "/api/v1/auth/me", headers: ["Authorization: Bearer \(token)"])
            #expect(me.status == 200, "\(me)")
            #expect(me.body.contains(email))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static func jsonString(_ key: String, in body: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return nil }
        return object[key] as? String
    }
}
