import Testing
@testable import SMFAudit

/// The database checks' rules over facts (no server); the queries run
/// against real PostgreSQL roles in DeploymentTests/AuditDatabaseTests.
@Suite struct DatabaseRuleTests {
    static func status(_ findings: [Finding], _ key: String) -> AuditStatus? {
        findings.filter { $0.key == key }.map(\.status).max { $0.precedence < $1.precedence }
    }

    @Test func an_application_role_passes_and_each_privilege_fails() {
        let app = DatabaseRoleRules.Role(name: "smflow_app")
        let good = DatabaseRoleRules.findings(app, connection: "c", privateNetwork: true)
        #expect(good.allSatisfy { $0.status == .pass }, "\(good)")

        var superuser = app
        superuser.superuser = true
        #expect(Self.status(DatabaseRoleRules.findings(superuser, connection: "c", privateNetwork: true), "db.least-privilege") == .fail)
        for change in [{ (r: inout DatabaseRoleRules.Role) in r.createDB = true }, { $0.createRole = true }, { $0.replication = true },
                       { $0.ownedTables = 3 }, { $0.createInPublic = true }] {
            var role = app
            change(&role)
            #expect(Self.status(DatabaseRoleRules.findings(role, connection: "c", privateNetwork: true), "db.least-privilege") == .fail, "\(role)")
        }
        var md5 = app
        md5.passwordEncryption = "md5"
        #expect(Self.status(DatabaseRoleRules.findings(md5, connection: "c", privateNetwork: true), "secrets.default-db-credentials") == .warn)
    }

    @Test func ssl_is_required_only_off_private_networks() {
        var role = DatabaseRoleRules.Role(name: "app")
        role.ssl = false
        #expect(Self.status(DatabaseRoleRules.findings(role, connection: "c", privateNetwork: false), "mistake.unencrypted-communication") == .fail)
        #expect(Self.status(DatabaseRoleRules.findings(role, connection: "c", privateNetwork: true), "mistake.unencrypted-communication") == .pass)
        role.ssl = true
        #expect(Self.status(DatabaseRoleRules.findings(role, connection: "c", privateNetwork: false), "mistake.unencrypted-communication") == .pass)
    }

    @Test func parses_urls_and_private_hosts_without_putting_the_password_anywhere_visible() throws {
        let connection = try #require(PostgresConnection(url: "postgres://app:p%40ss@db.example.com:6543/smflow?sslmode=verify-full", psql: "/x", timeout: 1))
        #expect(connection.user == "app" && connection.port == 6543 && connection.database == "smflow" && connection.sslMode == "verify-full")
        #expect(!connection.label.contains("p@ss") && !connection.isLocalOrPrivate)
        for host in ["127.0.0.1", "localhost", "10.1.2.3", "172.20.0.5", "192.168.1.1", "postgres"] {
            #expect(PostgresConnection(url: "postgres://a:b@\(host)/d", psql: "/x", timeout: 1)?.isLocalOrPrivate == true, "\(host)")
        }
        #expect(PostgresConnection(url: "postgres://a:b@172.32.0.1/d", psql: "/x", timeout: 1)?.isLocalOrPrivate == false)
        #expect(PostgresConnection(url: "mysql://a:b@h/d", psql: "/x", timeout: 1) == nil)
    }

    @Test func app_counts_are_summarised_and_old_or_test_keys_warn_or_fail() {
        let quiet = DatabaseAppRules.findings(.init(events: 12, activeKeys: 2), connection: "c")
        #expect(quiet.allSatisfy { $0.status == .pass }, "\(quiet)")
        #expect(!quiet.contains { $0.key == "tasks.monthly-rotation" }, "no pass that would hide the manual task")
        #expect(quiet.contains { $0.evidence.detail.contains("0 failed sign-ins in the last 7 days") })

        let busy = DatabaseAppRules.findings(.init(failedLogins: 250, rateLimited: 5_000, anomalies: 1, events: 0, oldKeys: 2, testKeys: 1, activeKeys: 4), connection: "c")
        #expect(Self.status(busy, "monitor.failed-auth") == .warn)
        #expect(Self.status(busy, "monitor.rate-limit-violations") == .warn)
        #expect(Self.status(busy, "monitor.unusual-usage") == .warn)
        #expect(Self.status(busy, "mistake.insufficient-logging") == .warn)
        #expect(Self.status(busy, "tasks.monthly-rotation") == .warn)
        #expect(Self.status(busy, "secrets.production-api-keys") == .fail)
    }
}
