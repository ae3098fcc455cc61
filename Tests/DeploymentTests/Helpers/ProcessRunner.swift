import Foundation

/// What a finished program left behind.
struct ProcessOutput: Sendable, CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String
    let timedOut: Bool

    var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Runs programs with a bounded time. Output goes to files rather than
/// pipes, so a chatty program can never block on a full pipe.
enum ProcessRunner {
    static func run(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = [:], input: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> ProcessOutput {
        let scratch = try ScratchDirectory(prefix: "smflow-run")
        defer { scratch.remove() }
        let stdoutURL = scratch.url.appendingPathComponent("stdout")
        let stderrURL = scratch.url.appendingPathComponent("stderr")
        let inputURL = scratch.url.appendingPathComponent("stdin")
        try Data((input ?? "").utf8).write(to: inputURL)
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": TestPrograms.searchPath.joined(separator: ":")]) { mine, _ in mine }
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()

        let timedOut = await waitForExit(process, timeout: timeout)
        return ProcessOutput(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "",
            timedOut: timedOut)
    }

    /// Waits for `process` to exit; after `timeout` sends SIGTERM, and SIGKILL
    /// five seconds later. Returns whether it had to stop it.
    @discardableResult
    static func waitForExit(_ process: Process, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard process.isRunning else { return false }
        process.terminate()
        let killDeadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < killDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return true
    }
}

/// A fresh directory under the system temp dir, world-traversable (0755) so
/// that nginx's workers, which drop to an unprivileged user when the tests
/// run as root, can read the files the tests put there.
struct ScratchDirectory: Sendable {
    let url: URL

    init(prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
    }

    func subdirectory(_ name: String) throws -> URL {
        let sub = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        return sub
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
