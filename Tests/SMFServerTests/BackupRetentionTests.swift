import Foundation
import Testing
@testable import SMFServer

@Suite struct BackupRetentionTests {
    static func file(_ stamp: String, _ kind: String = "postgres") -> BackupFileName {
        BackupFileName("smflow-\(kind)-\(stamp).smfbak")!
    }

    @Test func names_round_trip_and_strangers_are_not_ours() {
        let date = Date(timeIntervalSince1970: 1_796_235_915)
        let name = BackupFileName.make(kind: .sqlite, at: date)
        #expect(name == "smflow-sqlite-20261202T182515Z.smfbak")
        #expect(BackupFileName(name)?.date == date)
        for stranger in ["smflow-sqlite-20261202T182515Z.smfbak.json", "smflow-mysql-20261202T182515Z.smfbak",
                         ".smflow-sqlite-20261202T182515Z.smfbak.partial", "smflow-sqlite-20261302T182515Z.smfbak",
                         "smflow-sqlite-2026120T182515Z.smfbak", "notes.txt", "smflow-sqlite-20261202T182515.smfbak"] {
            #expect(BackupFileName(stranger) == nil, "\(stranger) taken for a backup")
        }
    }

    @Test func keeps_newest_per_day_and_per_week() {
        // Wed 2 Dec 2026 back to mid-November, two backups on some days.
        let files = [
            "20261202T030000Z", "20261202T010000Z", // today, twice
            "20261201T030000Z", "20261130T030000Z", // Tue, Mon (same ISO week as today)
            "20261129T030000Z", "20261128T030000Z", // Sun, Sat (previous week)
            "20261122T030000Z", "20261121T030000Z", // the week before
            "20261115T030000Z",                      // three weeks back
            "20261108T030000Z",                      // four weeks back
        ].map { Self.file($0) }
        let plan = BackupRetention.plan(files, keepDaily: 3, keepWeekly: 3)
        #expect(Set(plan.keep.map(\.name)) == Set([
            "20261202T030000Z", "20261201T030000Z", "20261130T030000Z", // 3 daily
            "20261129T030000Z", "20261122T030000Z",                      // newest of weeks 2 and 3 (week 1 is today's)
        ].map { Self.file($0).name }))
        #expect(plan.delete.count == files.count - 5)
        #expect(plan.delete.contains(Self.file("20261202T010000Z")), "the older of two backups on one day is kept")

        let dailyOnly = BackupRetention.plan(files, keepDaily: 1, keepWeekly: 0)
        #expect(dailyOnly.keep == [Self.file("20261202T030000Z")])
        let weeklyOnly = BackupRetention.plan(files, keepDaily: 0, keepWeekly: 2)
        #expect(weeklyOnly.keep == [Self.file("20261202T030000Z"), Self.file("20261129T030000Z")])
    }

    @Test func apply_deletes_only_our_files_and_their_manifests() throws {
        let directory = NSTemporaryDirectory() + "smflow-retention-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ours = ["20261202T030000Z", "20261201T030000Z", "20261125T030000Z"].map { Self.file($0, "sqlite").name }
        let strangers = ["notes.txt", "smflow-sqlite-old.smfbak", ".smflow-sqlite-20261101T000000Z.smfbak.partial", "other.smfbak"]
        for name in ours + strangers + ours.map({ $0 + ".json" }) {
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data("x".utf8)))
        }
        let plan = try BackupRetention.apply(in: directory, keepDaily: 1, keepWeekly: 0)
        #expect(plan.delete.map(\.name) == Array(ours.dropFirst()))
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        #expect(left == Set(strangers + [ours[0], ours[0] + ".json"]))
    }
}

extension BackupRetentionTests {
    @Test func partial_files_of_killed_runs_are_removed_after_an_hour() throws {
        let directory = NSTemporaryDirectory() + "smflow-partials-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let names = [".smflow-postgres-20261202T030000Z.smfbak.partial", ".smflow-sqlite-1234.partial", ".smflow-fresh.partial", "keep.partial"]
        for name in names { #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data())) }
        let old = Date().addingTimeInterval(-7200)
        for name in names where name != ".smflow-fresh.partial" {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: directory + "/" + name)
        }
        BackupRunner.removeStalePartials(in: directory, now: Date())
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: directory)) == [".smflow-fresh.partial", "keep.partial"])
    }
}

/// The PostgreSQL tools' command lines and environment: the password only
/// ever travels in a 0600 pgpass file.
@Suite struct BackupToolInvocationTests {
    static let password = "Sup3r-secret:pw\\x"
    static let target = PostgresTarget(url: "postgres://smflow_owner:Sup3r-secret%3Apw%5Cx@db.internal:5433/smflow?sslmode=verify-full")!

    @Test func password_is_never_in_argv_or_the_environment() {
        let tools = PostgresTools(binDirectory: "/usr/lib/postgresql/15/bin")
        let invocations = [
            tools.dump(Self.target, snapshot: "00000003-0000001B-1"),
            tools.restore(Self.target, clean: true, scratch: false),
            tools.restore(Self.target, clean: false, scratch: true),
            tools.psql(Self.target, "SELECT 1"),
            tools.createDatabase("scratch", on: Self.target),
            tools.dropDatabase("scratch", on: Self.target),
        ]
        for invocation in invocations {
            let everything = ([invocation.executable] + invocation.arguments + invocation.environment.keys + invocation.environment.values).joined(separator: " ")
            #expect(!everything.contains("Sup3r"), "\(invocation.tool) gets the password outside the pgpass file")
            #expect(invocation.environment["PGPASSWORD"] == nil)
            #expect(!invocation.arguments.contains { $0.contains("postgres://") }, "\(invocation.tool) gets a URL")
            #expect(invocation.arguments.contains("--no-password"), "\(invocation.tool) could prompt")
            #expect(invocation.environment["PGHOST"] == "db.internal")
            #expect(invocation.environment["PGPORT"] == "5433")
            #expect(invocation.environment["PGUSER"] == "smflow_owner")
            #expect(invocation.environment["PGSSLMODE"] == "verify-full")
            // ':' and '\' escaped as pgpass wants.
            #expect(invocation.passfileContents == "*:*:*:smflow_owner:Sup3r-secret\\:pw\\\\x\n")
        }
        let dump = tools.dump(Self.target, snapshot: "00000003-0000001B-1")
        #expect(dump.arguments.contains("--format=custom"))
        #expect(dump.arguments.contains("--snapshot=00000003-0000001B-1"))
        #expect(dump.environment["PGDATABASE"] == "smflow")
    }

    @Test func the_tool_reads_the_password_from_a_private_file_that_is_removed_afterwards() throws {
        let tools = PostgresTools(binDirectory: "/bin")
        // A stand-in tool that reports what it was given.
        let probe = Invocation(tool: "sh", executable: "/bin/sh",
                               arguments: ["-c", "stat -c '%a' \"$PGPASSFILE\"; stat -c '%a' \"$(dirname \"$PGPASSFILE\")\"; cat \"$PGPASSFILE\"; echo \"$PGPASSFILE\"; env | grep -c PGPASSWORD || true"],
                               environment: Self.target.environment, passfileContents: Self.target.passfileContents)
        let lines = try tools.run(probe).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0] == "600")
        #expect(lines[1] == "700")
        #expect(lines[2] == "*:*:*:smflow_owner:Sup3r-secret\\:pw\\\\x")
        #expect(lines[4] == "0")
        #expect(!FileManager.default.fileExists(atPath: lines[3]), "the pgpass file outlived the run")
    }

    @Test func a_failing_tool_reports_its_first_error_line() throws {
        let tools = PostgresTools(binDirectory: "/bin")
        let failing = Invocation(tool: "pg_dump", executable: "/bin/sh", arguments: ["-c", "echo 'pg_dump: error: connection refused' >&2; exit 1"],
                                 environment: [:], passfileContents: nil)
        #expect(throws: BackupError.toolFailed(tool: "pg_dump", status: 1, message: "pg_dump: error: connection refused")) {
            try tools.run(failing)
        }
    }
}
