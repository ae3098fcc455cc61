import Foundation
import Testing
@testable import SMFAudit

/// `db.backups` (issue 9): a scheduled backup service in compose, and the
/// age of the last recorded backup over `--database-url`.
@Suite struct BackupAuditRuleTests {
    static let hour: Int64 = 3_600_000
    static let now: Int64 = 1_796_235_915_000

    @Test func database_rule_passes_only_for_a_recent_backup() {
        func status(_ state: DatabaseBackupRules.State) -> AuditStatus? {
            DatabaseBackupRules.findings(state, connection: "smflow@db:5432/smflow").first?.status
        }
        #expect(status(.init(tablePresent: false)) == .fail)
        #expect(status(.init(tablePresent: true, lastMilliseconds: 0, count: 0, nowMilliseconds: Self.now)) == .fail)
        #expect(status(.init(tablePresent: true, lastMilliseconds: Self.now - 2 * Self.hour, count: 3, nowMilliseconds: Self.now)) == .pass)
        #expect(status(.init(tablePresent: true, lastMilliseconds: Self.now - 26 * Self.hour + 60_000, count: 3, nowMilliseconds: Self.now)) == .pass)
        #expect(status(.init(tablePresent: true, lastMilliseconds: Self.now - 27 * Self.hour, count: 3, nowMilliseconds: Self.now)) == .fail)
        let detail = DatabaseBackupRules.findings(.init(tablePresent: true, lastMilliseconds: Self.now - 30 * Self.hour, count: 9, nowMilliseconds: Self.now),
                                                  connection: "c").first?.evidence.detail ?? ""
        #expect(detail.contains("30.0 h"), "\(detail)")
    }

    static func compose(backupCommand: String, profile: Bool = false) -> String {
        """
        services:
          db:
            image: postgres:17-bookworm
            networks: [internal]
          backup:
            image: smflow:1.0.0
            command: \(backupCommand)
        \(profile ? "    profiles: [\"backup\"]\n" : "")    networks: [internal]
        networks:
          internal:
            internal: true
        """
    }

    static func status(_ compose: String) throws -> (AuditStatus?, String) {
        try AuditTestSupport.withTemporaryDirectory { directory in
            let path = directory + "/docker-compose.yml"
            try AuditTestSupport.write(compose, to: path)
            let report = try AuditTestSupport.audit { $0.composeFiles = [path] }
            return (report.status("db.backups"), report.details("db.backups"))
        }
    }

    @Test func compose_rule_wants_smflow_backup_on_a_schedule() throws {
        let scheduled = try Self.status(Self.compose(backupCommand: #"["backup", "--to", "/backups", "--every", "24h", "--keep-daily", "7"]"#))
        #expect(scheduled.0 == .pass, "\(scheduled.1)")
        #expect(scheduled.1.contains("--every"))
        let once = try Self.status(Self.compose(backupCommand: #"["backup", "--to", "/backups"]"#))
        #expect(once.0 == .warn, "\(once.1)")
        #expect(once.1.contains("without --every"))
        let profiled = try Self.status(Self.compose(backupCommand: #"["backup", "--to", "/backups", "--every", "24h"]"#, profile: true))
        #expect(profiled.0 == .warn)
    }

    /// The shipped compose file runs the real CLI syntax.
    @Test func shipped_compose_backup_command_parses_as_the_cli() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let text = try String(contentsOf: root.appendingPathComponent("deploy/docker-compose.prod.yml"), encoding: .utf8)
        let compose = try ComposeFile.parse(path: "docker-compose.prod.yml", contents: text)
        let backup = try #require(compose.services.first { $0.name == "backup" })
        #expect(backup.command.contains("--to /backups"), "\(backup.command)")
        #expect(backup.command.contains("--every 24h"), "\(backup.command)")
        #expect(backup.command.contains("--keep-daily"), "\(backup.command)")
        #expect(backup.command.contains("--keep-weekly"), "\(backup.command)")
        // Its key comes from its own Docker secret; the app's keys are not given to it.
        let environment = Dictionary(backup.environment.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        #expect(environment["SMF_BACKUP_KEY_FILE"] == "/run/secrets/smf_backup_key")
        #expect(environment["SMF_SECRET_KEY_FILE"] == nil && environment["SMF_ENCRYPTION_KEY_FILE"] == nil)
        #expect(environment["DATABASE_URL_FILE"] == "/run/secrets/smf_owner_database_url")
        #expect(text.contains("  smf_backup_key:\n    file: ./secrets/smf_backup_key"))
        let generator = try String(contentsOf: root.appendingPathComponent("deploy/generate-secrets.sh"), encoding: .utf8)
        #expect(generator.contains("write smf_backup_key \"$APP_UID\" \"$(openssl rand -hex 32)\""))
        if case .test(let test)? = backup.healthcheck?.value {
            #expect(test.contains("backup --check"), "\(test)")
        } else {
            Issue.record("the backup service has no health check")
        }
    }
}
