import Foundation
import Testing

/// `smflow audit` as a user runs it: the built binary (next to the test
/// bundle), its exit codes and its output streams.
@Suite struct AuditCommandTests {
    static var binary: String? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("smflow").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("smflow").path,
            AuditTestSupport.repositoryRoot + "/.build/debug/smflow",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Run {
        let status: Int32
        let output: String
        let error: String
    }

    static func smflow(_ arguments: String...) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(binary))
        process.arguments = ["audit"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self), error: String(decoding: errorData, as: UTF8.self))
    }

    @Test(.enabled(if: binary != nil)) func exit_codes() throws {
        let broken = try AuditTestSupport.fixture("compose/broken.yml")
        let loopback = try AuditTestSupport.fixture("compose/loopback-db.yml")
        #expect(try Self.smflow("--compose", broken).status == 1)
        #expect(try Self.smflow("--compose", loopback).status == 0)
        #expect(try Self.smflow("--compose", loopback, "--fail-on", "warn").status == 1)
        #expect(try Self.smflow("--compose", broken, "--only", "secrets.strong-secret-key").status == 0)
    }

    @Test(.enabled(if: binary != nil)) func usage_errors_exit_64_with_one_clear_line() throws {
        for (arguments, message) in [
            (["--only", "app.https,app.nope"], "unknown key(s) app.nope"),
            (["--env", "/nonexistent/.env"], "--env /nonexistent/.env: cannot read the file"),
            (["--deployment", "/nonexistent"], "--deployment /nonexistent: not a directory"),
            (["--format", "xml"], "--format must be"),
        ] {
            let run = try Self.smflow(arguments[0], arguments[1])
            #expect(run.status == 64, "\(arguments)")
            #expect(run.error.contains(message), "\(run.error)")
            #expect(!run.error.contains("Fatal error") && !run.error.contains("Stack dump"))
            #expect(run.output.isEmpty)
        }
    }

    @Test(.enabled(if: binary != nil)) func formats_and_no_colour_when_piped() throws {
        let broken = try AuditTestSupport.fixture("compose/broken.yml")
        let text = try Self.smflow("--compose", broken)
        #expect(!text.output.contains("\u{1B}["))
        #expect(text.output.contains("46 checks: "))
        let json = try Self.smflow("--compose", broken, "--format", "json")
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(object?["version"] as? Int == 1)
        #expect(try Self.smflow("--compose", broken, "--format", "sarif").output.contains("\"version\": \"2.1.0\""))
        #expect(try Self.smflow("--compose", broken, "--format", "markdown").output.hasPrefix("# smflow audit"))
    }
}
