import Foundation
import Synchronization

/// A child process of the crash test: `smflow-testbed serve|worker` with
/// its standard error in a log file of the test's directory. A pipe nobody
/// drains would fill up and stall the child, and a blocking read would
/// never time out, so the log is polled (as `CLITests.startServe` does).
///
/// Every process started here is remembered by `TestbedProcesses`, which
/// the test stops in one place whatever happened, so a failing test does
/// not leave a server or a worker behind holding the database.
final class TestbedProcess: Sendable {
    let process: Process
    let log: URL
    let role: String

    private init(process: Process, log: URL, role: String) {
        self.process = process
        self.log = log
        self.role = role
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The built binary `name`, searched where `CLITests.binary()` looks
    /// for `smflow` (beside the test bundle in the build directory).
    static func binary(named name: String) throws -> URL {
        let bundle = Bundle.main.bundleURL
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0])
        let candidates = [
            bundle.appendingPathComponent(name),
            bundle.deletingLastPathComponent().appendingPathComponent(name),
            argv0.deletingLastPathComponent().appendingPathComponent(name),
            argv0.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(name),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(description: "\(name) not found in \(candidates.map(\.path)); build it with `swift build --build-tests`")
        }
        return found
    }

    /// Starts `smflow-testbed arguments` in `directory` with exactly
    /// `environment` (plus PATH); the log is `<role>.log` there.
    static func start(
        _ arguments: [String], role: String, in directory: URL, environment: [String: String]
    ) throws -> TestbedProcess {
        let log = directory.appendingPathComponent("\(role).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw Failure(description: "cannot create \(log.path)")
        }
        let process = Process()
        process.executableURL = try binary(named: "smflow-testbed")
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { current, _ in current }
        process.currentDirectoryURL = directory
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return TestbedProcess(process: process, log: log, role: role)
    }

    /// Waits for `pattern` in the log; fails early when the process exits.
    func waitForLog(matching pattern: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let seen = logText
            if let range = seen.range(of: pattern, options: .regularExpression) { return String(seen[range]) }
            guard process.isRunning else {
                throw Failure(description: "\(role) exited with \(process.terminationStatus) before logging /\(pattern)/: \(seen.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "\(role) logged no /\(pattern)/ within \(timeout): \(logText.suffix(3000))")
    }

    /// The `http://127.0.0.1:PORT` a `serve --port 0` logged.
    func listeningAddress(timeout: Duration = .seconds(60)) async throws -> String {
        let line = try await waitForLog(matching: #"address=http://127\.0\.0\.1:[0-9]+"#, timeout: timeout)
        return String(line.dropFirst("address=".count))
    }

    /// Sends `signal` and waits (polling, bounded) for the process to end.
    /// True when it ended.
    @discardableResult
    func signal(_ signal: Int32, waitUpTo timeout: Duration) async -> Bool {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !process.isRunning
    }

    /// SIGTERM, then SIGKILL if it is still there after `grace`. For
    /// cleanup paths, which cannot await (`defer`).
    func stopBlocking(grace: TimeInterval = 20) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { usleep(20_000) }
        }
    }
}

/// The processes one test started, stopped together at the end.
final class TestbedProcesses: Sendable {
    private let started = Mutex<[TestbedProcess]>([])

    func start(
        _ arguments: [String], role: String, in directory: URL, environment: [String: String]
    ) throws -> TestbedProcess {
        let process = try TestbedProcess.start(arguments, role: role, in: directory, environment: environment)
        started.withLock { $0.append(process) }
        return process
    }

    /// Stops every process still running, the last started first (the
    /// workers before the server).
    func stopAll() {
        for process in started.withLock({ $0 }).reversed() { process.stopBlocking() }
    }
}
