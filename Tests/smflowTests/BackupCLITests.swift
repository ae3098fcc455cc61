import Foundation
import Testing

/// `smflow backup`, `backup verify`, `backup --check`, `restore` and the
/// audit's `db.backups` as an operator runs them: exit codes and messages,
/// on a SQLite file and (scripts/test's PostgreSQL pass) on PostgreSQL.
@Suite(.serialized) struct BackupCLITests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-backup-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func backups(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".smfbak") }.sorted()
    }

    @Test func sqlite_backup_check_verify_restore() throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(at: root) }
        let key = try CLITests.hexKey()
        let database = "sqlite://\(root.path)/smflow.sqlite"
        var environment = ["DATABASE_URL": database, "SMF_BACKUP_KEY": key]

        // Nothing recorded yet: the health check fails.
        #expect(try CLITests.run(["migrate"], environment: environment).status == 0)
        let before = try CLITests.run(["backup", "--check"], environment: environment)
        #expect(before.status == 1, "\(before)")
        #expect(before.stderr.contains("no successful backup"))

        let out = root.appendingPathComponent("backups")
        let backup = try CLITests.run(["backup", "--to", out.path, "--keep-daily", "7", "--keep-weekly", "4"], environment: environment)
        #expect(backup.status == 0, "\(backup)")
        let files = try Self.backups(in: out)
        #expect(files.count == 1)
        let file = out.appendingPathComponent(files[0]).path
        #expect(backup.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == file)
        #expect(backup.stderr.contains("retention: kept 1, deleted 0"))
        // Not a terminal: no progress line.
        #expect(!backup.stderr.contains("of dump processed"))
        #expect(!backup.stderr.contains(key) && !backup.stdout.contains(key))

        let check = try CLITests.run(["backup", "--check"], environment: environment)
        #expect(check.status == 0, "\(check)")

        let verify = try CLITests.run(["backup", "verify", file, "--scratch-dir", root.path], environment: environment)
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("OK"))

        // The source is not empty: refused without --force.
        let refused = try CLITests.run(["restore", file, "--database-url", database], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not empty"), "\(refused)")
        #expect(try CLITests.run(["restore", file, "--database-url", database, "--force"], environment: environment).status == 0)
        let fresh = "sqlite://\(root.path)/restored.sqlite"
        let restored = try CLITests.run(["restore", file, "--database-url", fresh], environment: environment)
        #expect(restored.status == 0, "\(restored)")
        #expect(restored.stdout.contains("counts match"))

        // One flipped byte: verify and restore refuse, with exit 1.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 3] ^= 0x01
        let tampered = root.appendingPathComponent("tampered.smfbak").path
        try Data(bytes).write(to: URL(fileURLWithPath: tampered))
        let bad = try CLITests.run(["backup", "verify", tampered], environment: environment)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("tampered") || bad.stderr.contains("damaged"), "\(bad)")
        #expect(try CLITests.run(["restore", tampered, "--database-url", "sqlite://\(root.path)/other.sqlite"], environment: environment).status == 1)
        #expect(!FileManager.default.fileExists(atPath: root.path + "/other.sqlite"))

        // Another key: named as such.
        environment["SMF_BACKUP_KEY"] = try CLITests.hexKey()
        let wrong = try CLITests.run(["backup", "verify", file], environment: environment)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("another key"))
    }

    @Test func key_is_required_and_checked_without_being_echoed() throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(at: root) }
        let database = "sqlite://\(root.path)/smflow.sqlite"
        let missing = try CLITests.run(["backup", "--to", root.path], environment: ["DATABASE_URL": database])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("SMF_BACKUP_KEY is not set"))
        let invalid = "not-a-key-\(UUID().uuidString)"
        let malformed = try CLITests.run(["backup", "--to", root.path], environment: ["DATABASE_URL": database, "SMF_BACKUP_KEY": invalid])
        #expect(malformed.status == 78)
        #expect(malformed.stderr.contains("SMF_BACKUP_KEY must be exactly 64"))
        #expect(!malformed.stderr.contains(invalid))
        // From a file, as the compose service reads it.
        let keyFile = root.appendingPathComponent("key").path
        try (try CLITests.hexKey() + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
        let fromFile = try CLITests.run(["backup", "--to", root.appendingPathComponent("out").path],
                                        environment: ["DATABASE_URL": database, "SMF_BACKUP_KEY_FILE": keyFile])
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(try CLITests.run(["backup", "--to", root.path, "--every", "5s"], environment: ["DATABASE_URL": database]).status == 64)
    }

    @Test(.enabled(if: ScratchDatabase.adminURL != nil, "needs SMF_TEST_PG_ADMIN_URL (scripts/test's PostgreSQL pass)"))
    func postgres_backup_verify_restore_and_audit() throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(at: root) }
        let source = try ScratchDatabase.create()
        defer { source.drop() }
        let target = try ScratchDatabase.create()
        defer { target.drop() }
        let bin = ProcessInfo.processInfo.environment["SMF_TEST_PG_BIN"] ?? "/usr/bin"
        let environment = ["DATABASE_URL": source.url, "SMF_BACKUP_KEY": try CLITests.hexKey(), "SMF_PG_BIN": bin]
        #expect(try CLITests.run(["migrate"], environment: environment).status == 0)

        let audit = { () throws -> String in
            let report = try CLITests.run(["audit", "--database-url", source.url, "--only", "db.backups", "--format", "json"],
                                          environment: ["PATH": "\(bin):/usr/bin:/bin"])
            let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
            let results = json?["results"] as? [[String: Any]]
            return results?.first?["status"] as? String ?? "(none) \(report)"
        }
        #expect(try audit() == "fail", "no backup yet")

        let backup = try CLITests.run(["backup", "--to", root.path], environment: environment)
        #expect(backup.status == 0, "\(backup)")
        let file = try #require(try Self.backups(in: root).first.map { root.appendingPathComponent($0).path })
        #expect(file.contains("smflow-postgres-"))
        #expect(try CLITests.run(["backup", "--check"], environment: environment).status == 0)
        #expect(try audit() == "pass")

        let verify = try CLITests.run(["backup", "verify", file, "--database-url", try #require(ScratchDatabase.adminURL)], environment: environment)
        #expect(verify.status == 0, "\(verify)")

        let restored = try CLITests.run(["restore", file, "--database-url", target.url], environment: environment)
        #expect(restored.status == 0, "\(restored)")
        #expect(restored.stdout.contains("counts match"))
        let again = try CLITests.run(["restore", file, "--database-url", target.url], environment: environment)
        #expect(again.status == 1)
        #expect(again.stderr.contains("not empty"))
        #expect(try CLITests.run(["restore", file, "--database-url", target.url, "--force"], environment: environment).status == 0)
    }
}

extension BackupCLITests {
    /// Progress goes to standard error only when it is a terminal: under
    /// `script` (a pseudo-terminal) it appears, piped (the tests above) not.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a pseudo-terminal"))
    func progress_is_shown_on_a_terminal() throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(at: root) }
        let binary = try CLITests.binary().path
        let environment = ["DATABASE_URL": "sqlite://\(root.path)/smflow.sqlite", "SMF_BACKUP_KEY": try CLITests.hexKey()]
        #expect(try CLITests.run(["migrate"], environment: environment).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(binary) backup --to \(root.path)/out", "/dev/null"]
        process.environment = environment.merging(["PATH": "/usr/bin:/bin", "TERM": "dumb"]) { current, _ in current }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("of dump processed"), "\(text)")
    }
}
