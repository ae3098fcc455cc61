import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// Runs the built `smflow` binary as a user would, checking exit codes and
/// output. The binary sits next to the test bundle in the build directory.
@Suite struct CLITests {
    static func binary() throws -> URL {
        var candidates: [URL] = []
        let bundle = Bundle.main.bundleURL
        candidates.append(bundle.appendingPathComponent("smflow"))
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("smflow"))
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(argv0.deletingLastPathComponent().appendingPathComponent("smflow"))
        candidates.append(argv0.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("smflow"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw BinaryNotFound(searched: candidates.map(\.path))
        }
        return found
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        let searched: [String]
        var description: String { "smflow binary not found in \(searched)" }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `smflow arguments` with exactly `environment` (plus PATH),
    /// writing `input` to its standard input.
    static func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:], directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { current, _ in current }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func hexKey() throws -> String {
        try run(["secrets", "generate"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func goodProductionEnvironment() throws -> [String: String] {
        [
            "SMF_ENV": "production",
            "SMF_SECRET_KEY": try hexKey(),
            "SMF_ENCRYPTION_KEY": try hexKey(),
            "DATABASE_URL": "postgres://smflow_app:Aa1!\(try hexKey().prefix(20))@db:5432/smflow",
            "SMF_PUBLIC_URL": "https://smflow.example.com",
        ]
    }

    @Test func secrets_generate_prints_64_hex_characters() throws {
        let first = try Self.run(["secrets", "generate"])
        let second = try Self.run(["secrets", "generate"])
        #expect(first.status == 0)
        let key = first.stdout.trimmingCharacters(in: .newlines)
        #expect(key.count == 64 && key.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(key != second.stdout.trimmingCharacters(in: .newlines))
    }

    @Test func config_check_refuses_weak_production_config_with_exit_78() throws {
        let weakKey = "weak-secret-\(UInt32.random(in: 0...UInt32.max))"
        let result = try Self.run(["config", "check"], environment: [
            "SMF_ENV": "production", "SMF_SECRET_KEY": weakKey, "SMF_ENCRYPTION_KEY": weakKey,
            "DATABASE_URL": "postgres://postgres:postgres@db/smflow", "SMF_CORS_ORIGINS": "*",
        ])
        #expect(result.status == 78)
        for variable in ["SMF_SECRET_KEY", "SMF_ENCRYPTION_KEY", "DATABASE_URL", "SMF_CORS_ORIGINS", "SMF_PUBLIC_URL"] {
            #expect(result.stderr.contains("error: \(variable)"), "no line for \(variable): \(result.stderr)")
        }
        #expect(!result.stderr.contains(weakKey))
        #expect(!result.stdout.contains(weakKey))
    }

    @Test func config_check_passes_a_good_production_config() throws {
        let result = try Self.run(["config", "check"], environment: try Self.goodProductionEnvironment())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("0 error(s)"))
    }

    @Test func config_check_production_flag_applies_guardrails_in_development() throws {
        #expect(try Self.run(["config", "check"]).status == 0)
        #expect(try Self.run(["config", "check", "--production"]).status == 78)
    }

    @Test func serve_refuses_to_start_in_production_with_sqlite() throws {
        var environment = try Self.goodProductionEnvironment()
        environment["DATABASE_URL"] = "sqlite://data/x.sqlite"
        let result = try Self.run(["serve", "--port", "0"], environment: environment)
        #expect(result.status == 78)
        #expect(result.stderr.contains("DATABASE_URL points to SQLite"))
    }

    @Test func config_show_redacts_secrets() throws {
        var environment = try Self.goodProductionEnvironment()
        let key = environment["SMF_SECRET_KEY"]!
        environment["DATABASE_URL"] = "postgres://smflow_app:Very$ecretPassw0rd!@db:5432/smflow"
        let result = try Self.run(["config", "show"], environment: environment)
        #expect(result.status == 0)
        #expect(result.stdout.contains("SMF_SECRET_KEY=****\(key.suffix(4))"))
        #expect(!result.stdout.contains(String(key.prefix(60))))
        #expect(result.stdout.contains("DATABASE_URL=postgres://smflow_app:****@db:5432/smflow"))
        #expect(!result.stdout.contains("Very$ecret"))
    }

    @Test func unknown_variable_is_reported() throws {
        let result = try Self.run(["config", "check"], environment: ["SMF_CORS_ORIGIN": "https://a.example"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: SMF_CORS_ORIGIN is not a setting smflow knows (did you mean SMF_CORS_ORIGINS?)"))
    }

    /// Least privilege for the migrate job: in production it needs the
    /// database settings only. Without keys it gets past the configuration
    /// (no exit 78, no finding about the keys) and fails only on the
    /// database, which nothing serves at 127.0.0.1:9.
    @Test func migrate_in_production_needs_no_signing_or_encryption_key() throws {
        var environment = try Self.goodProductionEnvironment()
        environment["SMF_SECRET_KEY"] = nil
        environment["SMF_ENCRYPTION_KEY"] = nil
        environment["DATABASE_URL"] = environment["DATABASE_URL"]?.replacingOccurrences(of: "@db:5432", with: "@127.0.0.1:9")
        let result = try Self.run(["migrate"], environment: environment)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(!result.stderr.contains("SMF_SECRET_KEY") && !result.stderr.contains("SMF_ENCRYPTION_KEY"))
        // serve still refuses the same configuration.
        #expect(try Self.run(["config", "check"], environment: environment).status == 78)
    }

    @Test func healthcheck_fails_when_nothing_listens() throws {
        let result = try Self.run(["healthcheck", "--url", "http://127.0.0.1:9/readyz", "--timeout", "2"])
        #expect(result.status == 1)
    }

    /// The embedded default end to end: `serve` on SQLite in an empty
    /// directory answers /healthz and /readyz, `healthcheck` agrees, and
    /// SIGTERM stops it with exit 0.
    @Test func serve_on_embedded_sqlite_then_graceful_sigterm() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let (process, address) = try await Self.startServe(in: directory)
        defer { if process.isRunning { process.terminate() } }
        let health = try await Self.get(address + "/healthz")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#)
        // Eventually ready: a probe is allowed 1 s, and on a 2-core CI
        // machine running other suites a healthy SELECT 1 can miss that once.
        var readyStatus = 0
        for _ in 0..<20 {
            readyStatus = try await Self.get(address + "/readyz").status
            if readyStatus == 200 { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(readyStatus == 200)
        #expect(try Self.run(["healthcheck", "--url", address + "/readyz", "--timeout", "10"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/smflow.sqlite").path))

        process.terminate() // SIGTERM
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        #expect(process.terminationReason == .exit)
    }

    @Test func admin_create_user_makes_the_first_owner_who_can_sign_in() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["SMF_BCRYPT_COST": "10"]

        let created = try Self.run(["admin", "create-user", "--email", "first@example.com", "--generate-password"],
                                   environment: environment, directory: directory)
        #expect(created.status == 0, "\(created.stderr)")
        let password = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 32)
        #expect(created.stderr.contains("owner of workspace"))

        let again = try Self.run(["admin", "create-user", "--email", "FIRST@example.com", "--generate-password"],
                                 environment: environment, directory: directory)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        // A common password on standard input is refused (and never echoed).
        let weak = try Self.run(["admin", "create-user", "--email", "second@example.com"], input: "1qaz2wsx3edc\n",
                                environment: environment, directory: directory)
        #expect(weak.status == 1)
        #expect(!weak.stderr.contains("1qaz2wsx3edc"))

        // The owner signs in on a running server.
        let (process, address) = try await Self.startServe(in: directory, environment: environment)
        defer { if process.isRunning { process.terminate() } }
        var request = HTTPClientRequest(url: address + "/api/v1/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"email":"first@example.com","password":"\#(password)","delivery":"bearer"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        process.terminate()
    }

    /// Starts `smflow serve --port 0` in `directory` and waits for its
    /// "listening" line, which gives the address. Standard error goes to a
    /// file in `directory` (`serve-N.log`), polled rather than read from a
    /// pipe: a pipe nobody drains fills up and stalls the server, and a
    /// blocking read would never time out.
    static func startServe(in directory: URL, environment: [String: String] = [:]) async throws -> (Process, String) {
        let log = directory.appendingPathComponent("serve-\(UUID().uuidString.prefix(8)).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw StartFailure(description: "cannot create \(log.path)")
        }
        let process = Process()
        process.executableURL = try binary()
        process.arguments = ["serve", "--port", "0"]
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { current, _ in current }
        process.currentDirectoryURL = directory
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        do {
            return (process, try await listeningAddress(in: log, of: process, timeout: .seconds(60)))
        } catch {
            process.terminate()
            throw error
        }
    }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func listeningAddress(in log: URL, of process: Process, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let seen = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = seen.range(of: #"address=http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                return String(seen[range].dropFirst("address=".count))
            }
            guard process.isRunning else {
                throw StartFailure(description: "smflow serve exited with \(process.terminationStatus): \(seen.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StartFailure(description: "smflow serve printed no listening line within \(timeout)")
    }

    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}
