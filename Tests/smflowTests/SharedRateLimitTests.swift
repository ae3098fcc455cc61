import AsyncHTTPClient
import Foundation
import Testing

/// Two `smflow serve` processes on one PostgreSQL, with the shared
/// (`postgres`) rate-limit store: the limit holds across both — the total
/// admitted never exceeds limit + burst, however the requests are split.
///
/// Runs in the PostgreSQL pass of scripts/test, which exports the admin URL
/// of its throwaway cluster; the test makes and drops its own database (the
/// server tests reset the shared test database under it otherwise).
@Suite(.enabled(if: ScratchDatabase.adminURL != nil, "needs SMF_TEST_PG_ADMIN_URL (scripts/test's PostgreSQL pass)"))
struct SharedRateLimitTests {
    @Test func the_limit_holds_across_two_processes() async throws {
        let database = try ScratchDatabase.create()
        defer { database.drop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smf-shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // 12 an hour, burst 12: nothing refills during the test.
        let environment = [
            "DATABASE_URL": database.url,
            "SMF_RATE_LIMIT_STORE": "postgres",
            "SMF_INSTANCES": "2",
            "SMF_RATE_LIMITS": "read=12/1h:burst=12",
        ]
        let migrated = try CLITests.run(["migrate"], environment: environment, directory: directory)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        let (first, firstAddress) = try await CLITests.startServe(in: directory, environment: environment)
        defer { first.terminate() }
        let (second, secondAddress) = try await CLITests.startServe(in: directory, environment: environment)
        defer { second.terminate() }

        // 60 concurrent anonymous requests from one client address,
        // alternating between the two processes.
        let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for index in 0..<60 {
                let base = index.isMultiple(of: 2) ? firstAddress : secondAddress
                group.addTask { (index % 2, try await CLITests.get(base + "/api/v1").status) }
            }
            return try await group.reduce(into: [(Int, Int)]()) { $0.append($1) }
        }
        let admitted = statuses.filter { $0.1 == 200 }
        #expect(admitted.count == 12, "limit 12 across both processes, got \(admitted.count)")
        #expect(statuses.allSatisfy { $0.1 == 200 || $0.1 == 429 }, "\(statuses.map(\.1))")
        // Both processes admitted and refused: the limit really was shared,
        // not enforced by one of them alone.
        #expect(Set(admitted.map(\.0)) == [0, 1])
        #expect(Set(statuses.filter { $0.1 == 429 }.map(\.0)) == [0, 1])
    }
}

/// A database of its own on the test cluster, made with psql as the admin
/// role (password by environment, never on the command line).
struct ScratchDatabase {
    let name: String
    let url: String
    private let admin: URLComponents
    private let psql: String

    static var adminURL: String? { ProcessInfo.processInfo.environment["SMF_TEST_PG_ADMIN_URL"] }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func create() throws -> ScratchDatabase {
        guard let raw = adminURL, let admin = URLComponents(string: raw), let host = admin.host,
              ["127.0.0.1", "localhost", "::1"].contains(host) else {
            throw Failure(description: "SMF_TEST_PG_ADMIN_URL must be a loopback postgres:// URL")
        }
        let bin = ProcessInfo.processInfo.environment["SMF_TEST_PG_BIN"] ?? "/usr/bin"
        let name = "smf_scratch_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        var database = admin
        database.path = "/" + name
        guard let url = database.string else { throw Failure(description: "cannot build the database URL") }
        let scratch = ScratchDatabase(name: name, url: url, admin: admin, psql: bin + "/psql")
        try scratch.sql("CREATE DATABASE \(name)")
        return scratch
    }

    func drop() {
        try? sql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    private func sql(_ statement: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", admin.host ?? "127.0.0.1",
                             "-p", String(admin.port ?? 5432), "-U", admin.user ?? "postgres", "-d", "postgres", "-c", statement]
        process.environment = ["PGPASSWORD": admin.password ?? "", "PATH": "/usr/bin:/bin"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "psql failed: " + String(decoding: message, as: UTF8.self))
        }
    }
}
