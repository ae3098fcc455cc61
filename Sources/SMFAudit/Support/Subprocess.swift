import Foundation

/// Runs an external program (curl, openssl, psql) with a bounded time, for
/// the live, database and host checks. Output goes to files, not pipes, so a
/// chatty program never blocks on a full pipe; secrets go in `environment`,
/// never in the arguments (they would show in `ps`).
struct Subprocess: Sendable {
    struct Output: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
        let timedOut: Bool
    }

    /// The absolute path of `name` on PATH (or the usual directories), nil when missing.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` and waits at most `timeout` seconds (then SIGKILL).
    /// nil when it cannot be started at all.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    input: String = "", timeout: Double) -> Output? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-audit-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return nil }
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        let inURL = directory.appendingPathComponent("in")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil),
              FileManager.default.createFile(atPath: inURL.path, contents: Data(input.utf8)),
              let out = try? FileHandle(forWritingTo: outURL), let err = try? FileHandle(forWritingTo: errURL),
              let stdin = try? FileHandle(forReadingFrom: inURL) else { return nil }
        defer { try? out.close(); try? err.close(); try? stdin.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, mine in mine }
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        guard (try? process.run()) != nil else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                      timedOut: timedOut)
    }
}
