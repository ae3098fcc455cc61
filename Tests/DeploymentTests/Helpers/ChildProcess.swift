import Foundation

/// A long-running program (nginx, `smflow serve`) started by a test. Its
/// standard output and error go to one log file, read when a test fails and
/// to find the "listening" line.
struct ChildProcess: Sendable {
    let process: Process
    let log: URL
    let name: String

    static func start(name: String, _ executable: String, _ arguments: [String],
                      environment: [String: String], directory: URL, logIn logDirectory: URL) throws -> ChildProcess {
        let log = logDirectory.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": TestPrograms.searchPath.joined(separator: ":")]) { mine, _ in mine }
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return ChildProcess(process: process, log: log, name: name)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after ten seconds.
    func stop() async {
        if process.isRunning { process.terminate() }
        await ProcessRunner.waitForExit(process, timeout: .seconds(10))
    }

    /// Waits until the log matches `pattern` (a regular expression) and
    /// returns the match.
    func waitForLog(matching pattern: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let seen = output
            if let range = seen.range(of: pattern, options: .regularExpression) { return String(seen[range]) }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StartFailed(name: name, output: output)
    }

    struct StartFailed: Error, CustomStringConvertible {
        let name: String
        let output: String
        var description: String { "\(name) did not start; its output:\n\(output)" }
    }
}
