import Foundation
import Testing
@testable import SMFAudit

/// Env files: the SMFSecurity guardrails through ConfigLoader, generic rules,
/// test keys, secret-looking values, modes, example files.
@Suite struct EnvCheckTests {
    /// A production env file that passes, built at run time (its keys are real).
    static func goodEnv() -> String {
        """
        SMF_ENV=production
        SMF_SECRET_KEY=\(AuditTestSupport.hexKey())
        SMF_ENCRYPTION_KEY=\(AuditTestSupport.hexKey())
        DATABASE_URL=postgres://smflow_app:\(AuditTestSupport.strongPassword())@postgres:5432/smflow
        SMF_PUBLIC_URL=https://smflow.example.com
        SMF_CORS_ORIGINS=https://app.example.com
        SMF_TRUSTED_PROXIES=172.30.10.10/32
        SMF_ADMIN_NETWORKS=10.8.0.0/24
        SMF_LOG_LEVEL=info
        """
    }

    @Test func good_env_passes_every_env_key() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            let path = directory + "/.env.prod"
            try AuditTestSupport.write(Self.goodEnv(), to: path, mode: 0o600)
            return try AuditTestSupport.audit { $0.envFiles = [path] }
        }
        expectStatuses(report, [
            "secrets.default-db-credentials": .pass, "secrets.strong-secret-key": .pass, "secrets.production-api-keys": .pass,
            "secrets.env-files-not-committed": .pass, "secrets.cors-origins": .pass, "secrets.env-review": .pass,
            "db.strong-password": .pass, "app.error-messages": .pass, "app.authn-authz": .pass, "network.admin-private": .pass,
            "mistake.default-passwords": .pass, "mistake.permissive-cors": .pass, "mistake.unencrypted-communication": .pass,
            // The env file says nothing about privileges beyond the user name.
            "db.least-privilege": .notApplicable,
        ])
    }

    @Test func weak_env_fails_every_guardrail_key() throws {
        let report = try AuditTestSupport.audit { $0.envFiles = [try AuditTestSupport.fixture("env/weak.env")] }
        expectStatuses(report, [
            "secrets.default-db-credentials": .fail, "secrets.strong-secret-key": .fail, "secrets.production-api-keys": .fail,
            "secrets.cors-origins": .fail, "secrets.env-review": .fail, "db.strong-password": .fail, "db.least-privilege": .fail,
            "app.authn-authz": .fail, "app.error-messages": .fail, "network.admin-private": .fail,
            "mistake.default-passwords": .fail, "mistake.permissive-cors": .fail, "mistake.unencrypted-communication": .fail,
        ])
        #expect(report.details("secrets.production-api-keys").contains("STRIPE_KEY"))
        #expect(report.details("secrets.production-api-keys").contains("SMF_TELEGRAM_TEST"))
        // Evidence names the variable and its line, never the value.
        let strongKey = try #require(report.result("secrets.strong-secret-key"))
        #expect(strongKey.evidence.contains { $0.line == 3 })
        #expect(!strongKey.evidence.contains { $0.detail.contains("changeme") })
    }

    @Test func secrets_in_a_world_readable_env_file_fail() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            let path = directory + "/.env"
            try AuditTestSupport.write(Self.goodEnv(), to: path, mode: 0o644)
            return try AuditTestSupport.audit { $0.envFiles = [path] }
        }
        #expect(report.status("secrets.env-files-not-committed") == .fail)
        #expect(report.details("secrets.env-files-not-committed").contains("mode 0644"))
    }

    @Test func development_mode_fails_error_messages() throws {
        let report = try AuditTestSupport.audit { $0.envFiles = [try AuditTestSupport.fixture("env/dev.env")] }
        #expect(report.status("app.error-messages") == .fail)
        #expect(report.details("app.error-messages").contains("SMF_ENV is 'development'"))
    }

    @Test func other_projects_variables_get_the_generic_rules() throws {
        let report = try AuditTestSupport.audit { $0.envFiles = [try AuditTestSupport.fixture("env/generic.env")] }
        expectStatuses(report, [
            "app.error-messages": .fail, "secrets.strong-secret-key": .fail, "mistake.default-passwords": .fail,
            "db.strong-password": .fail, "secrets.cors-origins": .fail, "mistake.unencrypted-communication": .fail,
            "secrets.production-api-keys": .pass,
        ])
    }

    @Test func secret_files_missing_on_this_machine_are_warnings_not_failures() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            let path = directory + "/.env"
            let env = Self.goodEnv().replacingOccurrences(of: "SMF_SECRET_KEY=", with: "SMF_SECRET_KEY_FILE=/run/secrets/nope\nIGNORED=")
            try AuditTestSupport.write(env, to: path)
            return try AuditTestSupport.audit { $0.envFiles = [path] }
        }
        #expect(report.status("secrets.strong-secret-key") == .warn)
        #expect(!report.details("secrets.strong-secret-key").contains("is not set"))
    }

    @Test func secret_looking_value_in_a_plain_variable_is_a_warning() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            let path = directory + "/.env"
            // A GitHub-format token, assembled here so the repository never holds one.
            try AuditTestSupport.write(Self.goodEnv() + "\nBUILD_NOTE=" + "gh" + "p_" + AuditTestSupport.random(36), to: path)
            return try AuditTestSupport.audit { $0.envFiles = [path] }
        }
        #expect(report.status("secrets.env-review") == .warn)
        #expect(report.details("secrets.env-review").contains("BUILD_NOTE is not a secret variable but holds a GitHub token"))
    }

    @Test func example_with_placeholders_passes_and_decides_nothing_else() throws {
        let report = try AuditTestSupport.audit { $0.envFiles = [try AuditTestSupport.fixture("env/good.env.example")] }
        #expect(report.status("secrets.env-review") == .pass)
        #expect(report.status("secrets.strong-secret-key") == .notApplicable)
        #expect(report.details("secrets.strong-secret-key").contains("only example env files"))
    }

    @Test func example_with_a_real_looking_secret_fails() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            let path = directory + "/.env.example"
            try AuditTestSupport.write("SMF_ENV=production\nSMF_SECRET_KEY=\(AuditTestSupport.hexKey())\n", to: path, mode: 0o644)
            return try AuditTestSupport.audit { $0.envFiles = [path] }
        }
        expectStatuses(report, ["secrets.env-review": .fail, "mistake.hardcoded-secrets": .fail, "secrets.env-files-not-committed": .fail])
        #expect(report.details("secrets.env-review").contains("real-looking secret in SMF_SECRET_KEY"))
    }

    @Test func env_file_parser_reads_quotes_exports_and_comments() {
        let file = EnvFile(path: "x.env", contents: "# c\nexport A=1\nB=\"two words\" \nC='x#y'\nD=plain # note\n\nE\n", mode: nil)
        #expect(file.environment == ["A": "1", "B": "two words", "C": "x#y", "D": "plain"])
        #expect(file.line(of: "D") == 5)
    }
}
