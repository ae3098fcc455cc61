import Foundation
import Testing
@testable import SMFSecurity

/// A production environment that passes every guardrail, with secrets made
/// at run time (never committed).
func validProductionEnvironment() -> [String: String] {
    [
        "SMF_ENV": "production",
        "SMF_SECRET_KEY": SecretGenerator.hexKey(),
        "SMF_ENCRYPTION_KEY": SecretGenerator.hexKey(),
        "DATABASE_URL": "postgres://smflow_app:Aa1!\(SecretGenerator.hexKey(byteCount: 12))@db:5432/smflow",
        "SMF_PUBLIC_URL": "https://smflow.example.com",
        "SMF_CORS_ORIGINS": "https://app.example.com",
        "SMF_TRUSTED_PROXIES": "172.18.0.0/16",
    ]
}

@Suite struct ConfigLoaderTests {
    func errorRules(_ environment: [String: String]) -> Set<String> {
        Set(ConfigLoader.load(environment: environment).errors.map(\.rule))
    }

    func changed(_ changes: [String: String?]) -> [String: String] {
        var environment = validProductionEnvironment()
        for (key, value) in changes { environment[key] = value }
        return environment
    }

    @Test func valid_production_configuration_has_no_findings() {
        let result = ConfigLoader.load(environment: validProductionEnvironment())
        #expect(result.findings.isEmpty)
        #expect(result.config.isProduction)
        #expect(result.config.logFormat == .json)
    }

    @Test func development_defaults_to_embedded_sqlite() {
        let result = ConfigLoader.load(environment: [:])
        #expect(result.findings.isEmpty)
        #expect(result.config.database == .sqlite(path: "data/smflow.sqlite"))
        #expect(result.config.hostname == "127.0.0.1")
        #expect(result.config.port == 8080)
        #expect(result.config.adminNetworks == CIDR.loopback)
    }

    // One test per guardrail: each fails if the rule is removed.

    @Test func weak_secret_key_is_refused() {
        #expect(errorRules(changed(["SMF_SECRET_KEY": "0123456789abcdef"])).contains("secret-key.too-short"))
    }

    @Test func missing_keys_are_refused() {
        #expect(errorRules(changed(["SMF_SECRET_KEY": nil])).contains("secret-key.missing"))
        #expect(errorRules(changed(["SMF_ENCRYPTION_KEY": nil])).contains("secret-key.missing"))
    }

    @Test func equal_keys_are_refused() {
        let key = SecretGenerator.hexKey()
        #expect(errorRules(changed(["SMF_SECRET_KEY": key, "SMF_ENCRYPTION_KEY": key])) == ["secret-key.reused"])
    }

    @Test func placeholder_key_is_refused() {
        #expect(errorRules(changed(["SMF_ENCRYPTION_KEY": "your-secret-key"])).contains("secret-key.placeholder"))
    }

    @Test func default_database_password_is_refused() {
        #expect(errorRules(changed(["DATABASE_URL": "postgres://smflow_app:password@db/smflow"])).contains("db-password.default"))
    }

    @Test func weak_database_password_is_refused() {
        #expect(errorRules(changed(["DATABASE_URL": "postgres://smflow_app:Tr0ub4dor@db/smflow"])) == ["db-password.weak"])
    }

    @Test func superuser_database_user_is_refused() {
        #expect(errorRules(changed(["DATABASE_URL": "postgres://postgres:Aa1!Aa1!Aa1!Aa1!Zz9@db/smflow"])) == ["database.superuser"])
    }

    @Test func sqlite_in_production_is_refused() {
        #expect(errorRules(changed(["DATABASE_URL": "sqlite://data/smflow.sqlite"])) == ["database.sqlite"])
        #expect(errorRules(changed(["DATABASE_URL": nil])) == ["database.missing"])
    }

    @Test(arguments: [("*", "cors.wildcard"), ("null", "cors.null"), ("http://app.example.com", "cors.http"),
                      ("https://app.example.com/path", "cors.path"), ("https//broken", "cors.malformed")])
    func unsafe_cors_origins_are_refused(_ origins: String, _ rule: String) {
        #expect(errorRules(changed(["SMF_CORS_ORIGINS": origins])) == [rule])
    }

    @Test func http_cors_origin_is_allowed_in_development() {
        let result = ConfigLoader.load(environment: ["SMF_CORS_ORIGINS": "http://localhost:3000"])
        #expect(result.isValid)
    }

    @Test func non_https_public_url_is_refused() {
        #expect(errorRules(changed(["SMF_PUBLIC_URL": "http://smflow.example.com"])) == ["public-url.not-https"])
        #expect(errorRules(changed(["SMF_PUBLIC_URL": nil])) == ["public-url.missing"])
    }

    @Test(arguments: ["debug", "trace"])
    func debug_logging_is_refused(_ level: String) {
        #expect(errorRules(changed(["SMF_LOG_LEVEL": level])) == ["debug.enabled"])
    }

    @Test func trusting_every_proxy_is_refused() {
        #expect(errorRules(changed(["SMF_TRUSTED_PROXIES": "0.0.0.0/0"])) == ["proxies.everyone"])
        #expect(errorRules(changed(["SMF_ADMIN_NETWORKS": "::/0"])) == ["admin.everyone"])
    }

    @Test func every_problem_is_reported_at_once() {
        let result = ConfigLoader.load(environment: ["SMF_ENV": "production", "SMF_CORS_ORIGINS": "*"])
        let variables = Set(result.errors.map(\.variable))
        #expect(variables.isSuperset(of: ["SMF_SECRET_KEY", "SMF_ENCRYPTION_KEY", "DATABASE_URL", "SMF_CORS_ORIGINS", "SMF_PUBLIC_URL"]))
    }

    @Test func findings_never_echo_secret_values() {
        let weakKey = "weak-key-value-1234"
        let password = "pg-pass-value-9"
        let result = ConfigLoader.load(environment: changed([
            "SMF_SECRET_KEY": weakKey, "DATABASE_URL": "postgres://smflow_app:\(password)@db/smflow",
        ]))
        #expect(!result.errors.isEmpty)
        for finding in result.findings {
            #expect(!finding.description.contains(weakKey))
            #expect(!finding.description.contains(password))
        }
    }

    @Test func secrets_are_read_from_file_variables() {
        let key = SecretGenerator.hexKey()
        var environment = changed(["SMF_SECRET_KEY": nil])
        environment["SMF_SECRET_KEY_FILE"] = "/run/secrets/smf_secret_key"
        let result = ConfigLoader.load(environment: environment, readFile: { path in
            path == "/run/secrets/smf_secret_key" ? key + "\n" : ""
        })
        #expect(result.findings.isEmpty)
        #expect(result.config.secretKey?.reveal() == key)
    }

    @Test func secret_files_with_windows_line_endings_are_trimmed() {
        let key = SecretGenerator.hexKey()
        let result = ConfigLoader.load(environment: ["SMF_SECRET_KEY_FILE": "/run/secrets/k"], readFile: { _ in key + "\r\n" })
        #expect(result.config.secretKey?.reveal() == key)
    }

    @Test func value_and_file_both_set_is_an_error() {
        var environment = validProductionEnvironment()
        environment["SMF_SECRET_KEY_FILE"] = "/run/secrets/x"
        #expect(errorRules(environment).contains("config.ambiguous"))
    }

    @Test func unreadable_secret_file_is_an_error() {
        struct Missing: Error {}
        let result = ConfigLoader.load(environment: ["SMF_SECRET_KEY_FILE": "/nope"], readFile: { _ in throw Missing() })
        #expect(result.errors.map(\.rule) == ["config.unreadable-file"])
    }

    @Test func unknown_variables_warn_in_development_and_fail_in_production() {
        let development = ConfigLoader.load(environment: ["SMF_CORS_ORIGIN": "https://a.example"])
        #expect(development.warnings.map(\.rule) == ["config.unknown-variable"])
        #expect(development.warnings.first?.message.contains("did you mean SMF_CORS_ORIGINS?") == true)
        #expect(errorRules(changed(["SMF_TRUSTED_PROXY": "10.0.0.0/8"])) == ["config.unknown-variable"])
    }

    @Test func test_harness_variables_are_not_unknown() {
        #expect(ConfigLoader.load(environment: ["SMF_TEST_DATABASE_URL": "postgres://x"]).findings.isEmpty)
    }

    @Test(arguments: [("SMF_ENV", "staging"), ("SMF_PORT", "70000"), ("SMF_MAX_BODY_BYTES", "-1"),
                      ("SMF_LOG_LEVEL", "verbose"), ("SMF_TRUSTED_PROXIES", "10.0.0.1/8"), ("DATABASE_URL", "mysql://x"),
                      ("SMF_PUBLIC_URL", "not a url"), ("SMF_LOG_FORMAT", "xml"), ("SMF_HOSTNAME", "bad host")])
    func malformed_values_are_errors_in_every_mode(_ name: String, _ value: String) {
        let result = ConfigLoader.load(environment: [name: value])
        #expect(result.errors.map(\.variable) == [name])
    }

    @Test func the_shipped_env_example_is_refused_in_production() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent(".env.example"), encoding: .utf8)
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1] }
        }
        environment["SMF_ENV"] = "production"
        let rules = errorRules(environment)
        #expect(rules.contains("secret-key.placeholder"))
        #expect(rules.contains("db-password.default"))
    }

    @Test func redacted_summary_hides_secrets() {
        let environment = validProductionEnvironment()
        let summary = Dictionary(uniqueKeysWithValues: ConfigLoader.load(environment: environment).config.redactedSummary().map { ($0.name, $0.value) })
        let key = environment["SMF_SECRET_KEY"]!
        #expect(summary["SMF_SECRET_KEY"] == "****" + key.suffix(4))
        #expect(summary["DATABASE_URL"] == "postgres://smflow_app:****@db:5432/smflow")
        #expect(Set(summary.keys) == Set(ConfigVariable.all.map(\.name)))
    }

    @Test func configuration_doc_lists_every_variable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/CONFIGURATION.md"), encoding: .utf8)
        for variable in ConfigVariable.all {
            #expect(doc.contains("`\(variable.name)`"), "docs/CONFIGURATION.md does not document \(variable.name)")
        }
    }
}
