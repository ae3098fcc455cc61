import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// pg_dump, pg_restore, psql, createdb and dropdb as subprocesses.
///
/// The connection goes in libpq's environment (PGHOST, PGPORT, PGUSER,
/// PGDATABASE, PGSSLMODE), never in the arguments, and the password in a
/// pgpass file of mode 0600 inside a private 0700 directory that is removed
/// afterwards (PGPASSFILE) — not in argv (`ps` shows it to every user) and not
/// in PGPASSWORD (which libpq's documentation advises against).
public struct PostgresTools: Sendable {
    /// The directory holding the tools.
    public let binDirectory: String

    /// Where to find the tools: `directory` (SMF_PG_BIN) when given, else the
    /// directory of `pg_dump` on PATH, else the newest /usr/lib/postgresql/*/bin.
    public static func locate(directory: String?, path: String? = ProcessInfo.processInfo.environment["PATH"]) throws -> PostgresTools {
        let manager = FileManager.default
        if let directory, !directory.isEmpty {
            guard manager.isExecutableFile(atPath: (directory as NSString).appendingPathComponent("pg_dump")) else {
                throw BackupError.toolMissing("pg_dump in \(directory)")
            }
            return PostgresTools(binDirectory: directory)
        }
        for entry in (path ?? "").split(separator: ":") where manager.isExecutableFile(atPath: "\(entry)/pg_dump") {
            return PostgresTools(binDirectory: String(entry))
        }
        let versions = ((try? manager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where manager.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/pg_dump") {
            return PostgresTools(binDirectory: "/usr/lib/postgresql/\(version)/bin")
        }
        throw BackupError.toolMissing("pg_dump")
    }

    public init(binDirectory: String) {
        self.binDirectory = binDirectory
    }

    func path(_ tool: String) -> String {
        (binDirectory as NSString).appendingPathComponent(tool)
    }

    /// `pg_dump --version`, for the manifest.
    func version() -> String {
        guard let result = try? run(Invocation(tool: "pg_dump", executable: path("pg_dump"), arguments: ["--version"], environment: [:], passfileContents: nil)) else {
            return "pg_dump"
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A libpq connection target parsed from a postgres:// URL.
public struct PostgresTarget: Sendable {
    public let host: String
    public let port: Int
    public let user: String
    public let database: String
    let password: String?
    let sslMode: String?

    /// nil unless `url` is postgres:// or postgresql:// with a user.
    public init?(url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql", let user = components.user, !user.isEmpty else { return nil }
        let query = components.queryItems ?? []
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? query.first { $0.name == "host" }?.value ?? "localhost"
        port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        database = path.isEmpty ? self.user : (path.removingPercentEncoding ?? path)
        sslMode = query.first { $0.name == "sslmode" }?.value
    }

    private init(host: String, port: Int, user: String, database: String, password: String?, sslMode: String?) {
        (self.host, self.port, self.user, self.database, self.password, self.sslMode) = (host, port, user, database, password, sslMode)
    }

    /// The same server and role, another database.
    func database(_ name: String) -> PostgresTarget {
        PostgresTarget(host: host, port: port, user: user, database: name, password: password, sslMode: sslMode)
    }

    /// `user@host:port/db`, safe to print.
    public var label: String { "\(user)@\(host):\(port)/\(database)" }

    /// libpq's environment for this target (PGPASSFILE is added by `run`).
    var environment: [String: String] {
        var environment = ["PGHOST": host, "PGPORT": String(port), "PGUSER": user, "PGDATABASE": database,
                           "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "smflow-backup", "LC_ALL": "C"]
        if let sslMode { environment["PGSSLMODE"] = sslMode }
        return environment
    }

    /// A pgpass line matching any host, port and database for this user.
    var passfileContents: String? {
        guard let password else { return nil }
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
        }
        return "*:*:*:\(escape(user)):\(escape(password))\n"
    }
}

/// One tool run: what is executed, with which arguments and environment.
/// Built separately from running it so that tests can assert that no
/// password ever reaches the argument list or the environment.
struct Invocation: Sendable {
    let tool: String
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    /// Written to a 0600 pgpass file for the run; nil without a password.
    let passfileContents: String?

    init(tool: String, executable: String, arguments: [String], environment: [String: String], passfileContents: String?) {
        (self.tool, self.executable, self.arguments, self.environment, self.passfileContents) = (tool, executable, arguments, environment, passfileContents)
    }
}

extension PostgresTools {
    func invocation(_ tool: String, _ arguments: [String], target: PostgresTarget) -> Invocation {
        Invocation(tool: tool, executable: path(tool), arguments: ["--no-password"] + arguments,
                   environment: target.environment, passfileContents: target.passfileContents)
    }

    /// pg_dump of `target` in custom format to standard output. Our own
    /// compression follows, so pg_dump's is off; `snapshot` makes it read the
    /// same snapshot the row counts came from.
    func dump(_ target: PostgresTarget, snapshot: String?) -> Invocation {
        var arguments = ["--format=custom", "--compress=0"]
        if let snapshot { arguments.append("--snapshot=\(snapshot)") }
        return invocation("pg_dump", arguments, target: target)
    }

    /// pg_restore from standard input into `target`, in one transaction, stopping
    /// at the first error. `clean` (restore --force) drops existing objects first.
    /// Scratch restores (verify) skip ownership and grants: the roles need not exist there.
    func restore(_ target: PostgresTarget, clean: Bool, scratch: Bool) -> Invocation {
        var arguments = ["--dbname=\(target.database)", "--no-owner", "--exit-on-error", "--single-transaction"]
        if clean { arguments += ["--clean", "--if-exists"] }
        if scratch { arguments.append("--no-privileges") }
        return invocation("pg_restore", arguments, target: target)
    }

    func psql(_ target: PostgresTarget, _ sql: String) -> Invocation {
        invocation("psql", ["-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql], target: target)
    }

    func createDatabase(_ name: String, on target: PostgresTarget) -> Invocation {
        invocation("createdb", ["--maintenance-db=\(target.database)", name], target: target)
    }

    func dropDatabase(_ name: String, on target: PostgresTarget) -> Invocation {
        invocation("dropdb", ["--maintenance-db=\(target.database)", "--if-exists", "--force", name], target: target)
    }
}

/// Runs invocations. Standard error goes to a private file (read after
/// exit, so a chatty tool can never block on a full pipe); the first line
/// of it is kept for the error message.
extension PostgresTools {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A private 0700 directory with the pgpass file (0600) and the stderr file.
    final class RunDirectory {
        let path: String
        let passfile: String?
        let stderrPath: String

        init(passfileContents: String?) throws {
            var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("smflow-pg.XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
                throw BackupError.io("cannot create a private temporary directory")
            }
            path = String(cString: made)
            stderrPath = path + "/stderr"
            guard FileManager.default.createFile(atPath: stderrPath, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw BackupError.io("cannot create a temporary file")
            }
            if let passfileContents {
                let file = path + "/pgpass"
                // Created with 0600 from the start: libpq ignores a pgpass file others can read.
                guard FileManager.default.createFile(atPath: file, contents: Data(passfileContents.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw BackupError.io("cannot create the pgpass file")
                }
                passfile = file
            } else {
                passfile = nil
            }
        }

        func firstErrorLine() -> String {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
        }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// A started tool with piped standard input and/or output.
    final class Running {
        let invocation: Invocation
        let process: Process
        let directory: RunDirectory
        let stdin: FileHandle?
        let stdout: FileHandle?

        init(_ invocation: Invocation, pipeStdin: Bool, pipeStdout: Bool) throws {
            // A tool that exits early must give us EPIPE, not kill us with SIGPIPE.
            signal(SIGPIPE, SIG_IGN)
            self.invocation = invocation
            directory = try RunDirectory(passfileContents: invocation.passfileContents)
            process = Process()
            process.executableURL = URL(fileURLWithPath: invocation.executable)
            process.arguments = invocation.arguments
            var environment = invocation.environment
            if let passfile = directory.passfile { environment["PGPASSFILE"] = passfile }
            process.environment = environment
            guard let errors = FileHandle(forWritingAtPath: directory.stderrPath) else { throw BackupError.io("cannot open a temporary file") }
            process.standardError = errors
            var input: Pipe?, output: Pipe?
            if pipeStdin { input = Pipe(); process.standardInput = input } else { process.standardInput = FileHandle.nullDevice }
            if pipeStdout { output = Pipe(); process.standardOutput = output } else { process.standardOutput = FileHandle.nullDevice }
            do {
                try process.run()
            } catch {
                throw BackupError.toolMissing(invocation.executable)
            }
            try? errors.close()
            stdin = input?.fileHandleForWriting
            stdout = output?.fileHandleForReading
        }

        /// Waits for the exit; throws `.toolFailed` on a non-zero status.
        func finish() throws {
            try? stdin?.close()
            process.waitUntilExit()
            guard process.terminationReason == .exit, process.terminationStatus == 0 else {
                throw BackupError.toolFailed(tool: invocation.tool, status: process.terminationStatus, message: directory.firstErrorLine())
            }
        }

        /// Stops the tool (after a failure on our side) and waits for it.
        func abandon() {
            try? stdin?.close()
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// Runs to completion, collecting standard output (small outputs only).
    func run(_ invocation: Invocation) throws -> Result {
        let running = try Running(invocation, pipeStdin: false, pipeStdout: true)
        let data = (try? running.stdout?.readToEnd()) ?? nil
        try running.finish()
        return Result(status: 0, stdout: String(decoding: data ?? Data(), as: UTF8.self), stderr: "")
    }
}
