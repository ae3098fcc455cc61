import Foundation
import Testing
@testable import SMFSecurity

/// Issue 8's settings: earlier encryption keys, the outbound allowlist, the
/// outside APIs' base URLs and the worker/webhook limits. Each rule has a
/// test that fails when the rule is removed.
@Suite struct ConfigVaultAndOutboundTests {
    func load(_ environment: [String: String], readFile: @escaping ConfigLoader.FileReader = ConfigLoader.defaultFileReader) -> ConfigLoadResult {
        ConfigLoader.load(environment: environment, readFile: readFile)
    }

    func production(_ changes: [String: String?]) -> [String: String] {
        var environment = validProductionEnvironment()
        for (key, value) in changes { environment[key] = value }
        return environment
    }

    @Test func defaults() {
        let config = load([:]).config
        #expect(config.encryptionKeyPrevious.isEmpty)
        #expect(config.outboundAllowlist.isEmpty)
        #expect(config.allowLoopbackOutbound == false)
        #expect(config.telegramAPIURL == "https://api.telegram.org")
        #expect(config.graphAPIURL == "https://graph.facebook.com/v21.0")
        #expect(config.workerConcurrency == 16)
        #expect(config.jobLeaseSeconds == 60)
        #expect(config.jobMaxAttempts == 5)
        #expect(config.webhookMaxBodyBytes == 262_144)
    }

    @Test func values_are_read() {
        let old1 = SecretGenerator.hexKey()
        let old2 = SecretGenerator.hexKey()
        let result = load([
            "SMF_ENCRYPTION_KEY_PREVIOUS": " \(old1) ,\(old2),",
            "SMF_OUTBOUND_ALLOWLIST": "API.Internal.example, 10.0.0.0/8 ,fd00::/8,192.168.1.7",
            "SMF_TELEGRAM_API_URL": "http://127.0.0.1:9000/",
            "SMF_GRAPH_API_URL": "https://graph.example/v99.0",
            "SMF_WORKER_CONCURRENCY": "256", "SMF_JOB_LEASE_SECONDS": "10", "SMF_JOB_MAX_ATTEMPTS": "20",
            "SMF_WEBHOOK_MAX_BODY_BYTES": "1048576",
        ])
        #expect(result.findings.isEmpty, "\(result.findings)")
        let config = result.config
        #expect(config.encryptionKeyPrevious.map { $0.reveal() } == [old1, old2])
        #expect(config.outboundAllowlist == ["api.internal.example", "10.0.0.0/8", "fd00::/8", "192.168.1.7/32"])
        #expect(config.telegramAPIURL == "http://127.0.0.1:9000")
        #expect(config.graphAPIURL == "https://graph.example/v99.0")
        #expect(config.workerConcurrency == 256)
        #expect(config.jobLeaseSeconds == 10)
        #expect(config.jobMaxAttempts == 20)
        #expect(config.webhookMaxBodyBytes == 1_048_576)
    }

    @Test(arguments: [
        ("SMF_WORKER_CONCURRENCY", "0"), ("SMF_WORKER_CONCURRENCY", "257"), ("SMF_WORKER_CONCURRENCY", "many"),
        ("SMF_JOB_LEASE_SECONDS", "9"), ("SMF_JOB_LEASE_SECONDS", "3601"),
        ("SMF_JOB_MAX_ATTEMPTS", "0"), ("SMF_JOB_MAX_ATTEMPTS", "21"),
        ("SMF_WEBHOOK_MAX_BODY_BYTES", "1023"), ("SMF_WEBHOOK_MAX_BODY_BYTES", "1048577"),
        ("SMF_TELEGRAM_API_URL", "api.telegram.org"), ("SMF_TELEGRAM_API_URL", "ftp://api.telegram.org"),
        ("SMF_TELEGRAM_API_URL", "https://user:pw@api.telegram.org"), ("SMF_GRAPH_API_URL", "https://graph.facebook.com/v21.0?x=1"),
        ("SMF_GRAPH_API_URL", "https://graph.facebook.com/#frag"), ("SMF_GRAPH_API_URL", "https://"),
        ("SMF_OUTBOUND_ALLOWLIST", "https://api.example.com"), ("SMF_OUTBOUND_ALLOWLIST", "*.example.com"),
        ("SMF_OUTBOUND_ALLOWLIST", "10.0.0.1/8"), ("SMF_OUTBOUND_ALLOWLIST", "api.example.com:443"),
        ("SMF_OUTBOUND_ALLOWLIST", "10.0.0.300"), ("SMF_OUTBOUND_ALLOWLIST", "-bad.example"),
        ("SMF_OUTBOUND_ALLOWLIST", "ok.example,bad host"),
    ])
    func malformed_values_are_errors_in_every_mode(_ name: String, _ value: String) {
        let result = load([name: value])
        #expect(result.errors.map(\.variable) == [name], "\(name)=\(value): \(result.findings)")
    }

    @Test func a_previous_key_equal_to_the_current_one_is_refused_in_every_mode() {
        let key = SecretGenerator.hexKey()
        let result = load(["SMF_ENCRYPTION_KEY": key, "SMF_ENCRYPTION_KEY_PREVIOUS": SecretGenerator.hexKey() + "," + key])
        #expect(result.errors.map(\.rule) == ["secret-key.previous-is-current"])
        #expect(!result.errors[0].message.contains(key))
    }

    @Test func previous_keys_must_meet_the_key_policy_in_production() {
        let good = SecretGenerator.hexKey()
        #expect(load(production(["SMF_ENCRYPTION_KEY_PREVIOUS": good])).findings.isEmpty)
        let weak = load(production(["SMF_ENCRYPTION_KEY_PREVIOUS": good + ",0123456789abcdef"]))
        #expect(weak.errors.map(\.rule) == ["secret-key.too-short"])
        #expect(weak.errors.first?.variable == "SMF_ENCRYPTION_KEY_PREVIOUS")
        #expect(weak.errors.first?.message.contains("entry 2") == true)
        let placeholder = load(production(["SMF_ENCRYPTION_KEY_PREVIOUS": "CHANGE_ME_run_smflow_secrets_generate_old"]))
        #expect(placeholder.errors.map(\.rule).contains("secret-key.placeholder"))
        // The development default does not judge key strength (as for SMF_ENCRYPTION_KEY).
        #expect(load(["SMF_ENCRYPTION_KEY_PREVIOUS": "0123456789abcdef"]).isValid)
    }

    @Test func a_previous_key_equal_to_the_signing_key_is_refused_in_production() {
        var environment = validProductionEnvironment()
        environment["SMF_ENCRYPTION_KEY_PREVIOUS"] = environment["SMF_SECRET_KEY"]
        #expect(load(environment).errors.map(\.rule) == ["secret-key.reused"])
    }

    @Test func previous_keys_are_read_from_a_file() {
        let old1 = SecretGenerator.hexKey()
        let old2 = SecretGenerator.hexKey()
        let result = load(production(["SMF_ENCRYPTION_KEY_PREVIOUS_FILE": "/run/secrets/smf_encryption_key_previous"]), readFile: { path in
            path == "/run/secrets/smf_encryption_key_previous" ? "\(old1),\(old2)\n" : ""
        })
        #expect(result.findings.isEmpty, "\(result.findings)")
        #expect(result.config.encryptionKeyPrevious.map { $0.reveal() } == [old1, old2])
        let both = load(["SMF_ENCRYPTION_KEY_PREVIOUS": old1, "SMF_ENCRYPTION_KEY_PREVIOUS_FILE": "/x"], readFile: { _ in old2 })
        #expect(both.errors.map(\.rule) == ["config.ambiguous"])
    }

    @Test(arguments: ["SMF_TELEGRAM_API_URL", "SMF_GRAPH_API_URL"])
    func outside_apis_must_be_https_in_production(_ name: String) {
        let result = load(production([name: "http://api.example.com"]))
        #expect(result.errors.map(\.rule) == ["outbound.not-https"])
        #expect(result.errors.first?.variable == name)
        #expect(load([name: "http://127.0.0.1:8081"]).isValid)
    }

    @Test(arguments: ["0.0.0.0/0", "::/0"])
    func an_allowlist_of_everything_is_refused_in_production(_ entry: String) {
        #expect(load(production(["SMF_OUTBOUND_ALLOWLIST": "api.example.com,\(entry)"])).errors.map(\.rule) == ["outbound.everyone"])
        #expect(load(production(["SMF_OUTBOUND_ALLOWLIST": "api.example.com,10.0.0.0/8"])).isValid)
    }

    /// Loopback is for tests only: no variable can switch it on.
    @Test func loopback_outbound_cannot_be_set_from_the_environment() {
        let result = load(["SMF_ALLOW_LOOPBACK_OUTBOUND": "true", "SMF_OUTBOUND_ALLOW_LOOPBACK": "1"])
        #expect(result.config.allowLoopbackOutbound == false)
        #expect(result.warnings.map(\.rule) == ["config.unknown-variable", "config.unknown-variable"])
        #expect(!ConfigVariable.all.contains { $0.name.lowercased().contains("loopback") })
    }

    @Test func show_redacts_previous_keys() throws {
        let old1 = SecretGenerator.hexKey()
        let old2 = SecretGenerator.hexKey()
        let summary = Dictionary(uniqueKeysWithValues: load(production(["SMF_ENCRYPTION_KEY_PREVIOUS": "\(old1),\(old2)"]))
            .config.redactedSummary().map { ($0.name, $0.value) })
        let shown = try #require(summary["SMF_ENCRYPTION_KEY_PREVIOUS"])
        #expect(shown == "****\(old1.suffix(4)),****\(old2.suffix(4))")
        #expect(!shown.contains(old1.prefix(8)) && !shown.contains(old2.prefix(8)))
        #expect(summary["SMF_WORKER_CONCURRENCY"] == "16")
        #expect(summary["SMF_OUTBOUND_ALLOWLIST"] == "(empty)")
        #expect(Dictionary(uniqueKeysWithValues: load([:]).config.redactedSummary().map { ($0.name, $0.value) })["SMF_ENCRYPTION_KEY_PREVIOUS"] == "(not set)")
    }

    @Test func host_name_rule() {
        for name in ["localhost", "api.example.com", "a-b.c0.example.", "xn--bcher-kva.example"] {
            #expect(OutboundAllowlist.isHostName(name), "\(name)")
        }
        for name in ["", ".", "a..b", "-a.example", "a-.example", "1.2.3.4", "a_b.example", "a.example/x", "ä.example",
                     String(repeating: "a", count: 64) + ".example"] {
            #expect(!OutboundAllowlist.isHostName(name), "\(name)")
        }
    }
}
