import Foundation

/// Read-only `git` queries run as a subprocess. Only commands that never
/// write (ls-files, log, check-ignore, rev-parse) are used.
struct Git: Sendable {
    let directory: String

    /// nil when git is not installed or the directory is not in a work tree.
    init?(directory: String) {
        self.directory = directory
        guard let output = run(["rev-parse", "--is-inside-work-tree"]), output.hasPrefix("true") else { return nil }
    }

    /// Standard output of `git -C directory args…`, nil on failure.
    func run(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        // Read before waiting: a full pipe would block git forever.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 || arguments.first == "check-ignore" else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Tracked files, relative to the work tree's directory.
    func trackedFiles() -> [String]? {
        run(["ls-files", "-z"]).map { $0.split(separator: "\0").map(String.init) }
    }

    /// Every path ever added in any commit of any branch, with the commit.
    func pathsEverAdded() -> [(path: String, commit: String)]? {
        guard let output = run(["log", "--all", "--diff-filter=A", "--name-only", "--pretty=format:commit %h"]) else { return nil }
        var result: [(String, String)] = []
        var commit = ""
        for line in output.split(separator: "\n") {
            if line.hasPrefix("commit ") { commit = String(line.dropFirst(7)) } else if !line.isEmpty { result.append((String(line), commit)) }
        }
        return result
    }

    /// Which of `paths` .gitignore would ignore (whether or not they exist).
    func ignored(_ paths: [String]) -> Set<String>? {
        run(["check-ignore", "--no-index"] + paths).map { Set($0.split(separator: "\n").map(String.init)) }
    }
}
