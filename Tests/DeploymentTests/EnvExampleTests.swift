import Foundation
import Testing

/// deploy/.env.example: settings only, no secrets, and placeholders the
/// production guardrails refuse (checklist keys secrets.env-files-not-committed,
/// secrets.env-review, mistake.default-passwords).
@Suite struct EnvExampleTests {
    @Test func holds_no_secret_values() throws {
        let example = try EnvFile(try RepositoryFiles.text("deploy/.env.example"))
        for name in example.values.keys {
            for word in ["SECRET", "PASSWORD", "_KEY", "TOKEN", "DATABASE_URL"] {
                #expect(!name.contains(word), "\(name) belongs in a secret file, not in .env")
            }
        }
    }

    @Test func secrets_and_env_files_are_git_ignored_in_deploy() throws {
        let ignored = Set(try RepositoryFiles.text("deploy/.gitignore").split(separator: "\n").map(String.init))
        #expect(ignored.isSuperset(of: ["secrets/", "tls/", ".env"]))
    }

    /// The app's environment exactly as compose would build it from the
    /// example (secrets from freshly generated files, as generate-secrets.sh
    /// makes them): `config check` refuses it, and accepts it once the
    /// placeholder is replaced — so the refusal is the placeholder's.
    @Test func the_example_as_shipped_is_refused_by_the_guardrails() async throws {
        let scratch = try ScratchDirectory(prefix: "smflow-env-example")
        defer { scratch.remove() }
        let example = try EnvFile(try RepositoryFiles.text("deploy/.env.example")).values
        var environment = try Self.appEnvironment(settings: example, secrets: scratch.url)

        let refused = try await SmflowBinary.run(["config", "check"], environment: environment)
        #expect(refused.status == 78, "\(refused)")
        #expect(refused.stderr.contains("error: SMF_CORS_ORIGINS"), "\(refused.stderr)")

        var filled = example
        filled["SMF_SERVER_NAME"] = "smflow.example.org"
        filled["SMF_CORS_ORIGINS"] = "https://console.example.org"
        environment = try Self.appEnvironment(settings: filled, secrets: scratch.url)
        let accepted = try await SmflowBinary.run(["config", "check"], environment: environment)
        #expect(accepted.status == 0, "\(accepted)")
    }

    /// The `app` service's environment with `${…}` filled from `settings`
    /// and each /run/secrets file replaced by a generated one.
    static func appEnvironment(settings: [String: String], secrets: URL) throws -> [String: String] {
        let app = try #require(try ComposeFile.shipped().services["app"])
        let secretValues = [
            "smf_secret_key": randomHex(64),
            "smf_encryption_key": randomHex(64),
            "smf_app_database_url": "postgres://smflow_app:Pw1-\(randomHex(48))@postgres:5432/smflow",
        ]
        var environment: [String: String] = [:]
        for (name, value) in app.environment {
            if value.hasPrefix("/run/secrets/") {
                let secret = String(value.dropFirst("/run/secrets/".count))
                let file = secrets.appendingPathComponent(secret)
                try Data(((secretValues[secret] ?? "") + "\n").utf8).write(to: file)
                environment[name] = file.path
            } else {
                environment[name] = try substitute(value, settings)
            }
        }
        return environment
    }

    /// Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`.
    static func substitute(_ value: String, _ settings: [String: String]) throws -> String {
        var result = value
        for match in value.matches(of: /\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/) {
            let name = String(match.output.1)
            let replacement: String
            if let set = settings[name], !set.isEmpty {
                replacement = set
            } else if match.output.2 == "-" {
                replacement = String(match.output.3 ?? "")
            } else {
                throw UnsetVariable(name: name)
            }
            result = result.replacingOccurrences(of: String(match.output.0), with: replacement)
        }
        return result
    }

    static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &generator) ?? "0" })
    }

    struct UnsetVariable: Error { let name: String }
}
