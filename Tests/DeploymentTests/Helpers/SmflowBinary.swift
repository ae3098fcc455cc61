import Foundation

/// The `smflow` binary SwiftPM built next to this test bundle (the test
/// target depends on it), run as a user or the container would run it.
enum SmflowBinary {
    static func path() throws -> String {
        let bundle = Bundle.main.bundleURL
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0])
        let candidates = [
            bundle.appendingPathComponent("smflow"),
            bundle.deletingLastPathComponent().appendingPathComponent("smflow"),
            argv0.deletingLastPathComponent().appendingPathComponent("smflow"),
            argv0.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("smflow"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestPrograms.MissingProgram(name: "smflow (built binary)")
        }
        return found.path
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) async throws -> ProcessOutput {
        try await ProcessRunner.run(try path(), arguments, environment: environment, input: input, timeout: .seconds(120))
    }

    /// A fresh 32-byte key, as `smflow secrets generate` makes it.
    static func generateKey() async throws -> String {
        try await run(["secrets", "generate"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `smflow serve --port 0` in `directory`; returns once it logs its
    /// address (text log format, so the line is `… address=http://…`).
    static func startServe(environment: [String: String], directory: URL) async throws -> (ChildProcess, String) {
        var environment = environment
        environment["SMF_LOG_FORMAT"] = "text"
        let child = try ChildProcess.start(name: "smflow-serve", try path(), ["serve", "--port", "0"],
                                           environment: environment, directory: directory, logIn: directory)
        do {
            let line = try await child.waitForLog(matching: #"address=http://127\.0\.0\.1:[0-9]+"#, timeout: .seconds(90))
            return (child, String(line.dropFirst("address=".count)))
        } catch {
            await child.stop()
            throw error
        }
    }
}
