import Testing
@testable import SMFAudit

@Suite struct ComposeCheckTests {
    @Test func good_compose_passes() throws {
        let report = try AuditTestSupport.audit { $0.composeFiles = [try AuditTestSupport.fixture("compose/good.yml")] }
        expectStatuses(report, [
            "db.not-exposed": .pass, "network.only-proxy-exposed": .pass, "mistake.exposed-internal-services": .pass,
            "network.internal": .pass, "container.non-root": .pass, "mistake.root-containers": .pass,
            "container.resource-limits": .pass, "container.healthchecks": .pass, "health.availability": .pass,
            "db.backups": .pass, "mistake.outdated-dependencies": .pass, "secrets.env-review": .pass, "mistake.hardcoded-secrets": .pass,
        ])
    }

    @Test func broken_compose_trips_every_rule() throws {
        let report = try AuditTestSupport.audit { $0.composeFiles = [try AuditTestSupport.fixture("compose/broken.yml")] }
        expectStatuses(report, [
            "db.not-exposed": .fail, "network.only-proxy-exposed": .fail, "mistake.exposed-internal-services": .fail,
            "network.internal": .warn, "container.non-root": .fail, "mistake.root-containers": .fail,
            "container.resource-limits": .warn, "container.healthchecks": .warn, "health.availability": .warn,
            "db.backups": .warn, "mistake.outdated-dependencies": .fail, "secrets.env-review": .fail, "mistake.hardcoded-secrets": .fail,
            "secrets.default-db-credentials": .fail, "db.strong-password": .fail, "mistake.default-passwords": .fail,
        ])
        let exposure = report.details("mistake.exposed-internal-services")
        for expected in ["db: publishes 5432:5432", "app: publishes 8080:8080", "network_mode: host", "Docker socket", "pid: host", "127.0.0.1:6379:6379 on loopback only"] {
            #expect(exposure.contains(expected), "\(expected)")
        }
        #expect(!exposure.contains("web: publishes"), "the proxy may publish ports")
        #expect(report.details("mistake.root-containers").contains("privileged: true"))
        // The evidence points at the line of the port.
        #expect(report.result("db.not-exposed")?.evidence.contains { $0.line == 21 } == true)
    }

    @Test func loopback_database_port_is_a_warning() throws {
        let report = try AuditTestSupport.audit { $0.composeFiles = [try AuditTestSupport.fixture("compose/loopback-db.yml")] }
        expectStatuses(report, ["db.not-exposed": .warn, "network.only-proxy-exposed": .warn])
    }

    @Test func invalid_yaml_is_an_input_error() {
        #expect(throws: AuditInputError.self) { try ComposeFile.parse(path: "c.yml", contents: "services: [unclosed") }
    }
}
