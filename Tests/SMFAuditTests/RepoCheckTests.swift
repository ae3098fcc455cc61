import Foundation
import Testing
@testable import SMFAudit

/// Repository checks on throwaway git repositories whose "leaked" secrets
/// are made at run time, and on this repository itself.
@Suite struct RepoCheckTests {
    static var gitAvailable: Bool { Git(directory: AuditTestSupport.repositoryRoot) != nil }

    /// Runs git in `directory` (test set-up only; the audit itself never writes).
    @discardableResult
    static func git(_ directory: String, _ arguments: String...) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory, "-c", "user.name=audit-test", "-c", "user.email=audit@test.invalid", "-c", "commit.gpgsign=false"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static let repoKeys = ["secrets.env-files-not-committed", "mistake.hardcoded-secrets", "mistake.outdated-dependencies"]

    @Test(.enabled(if: gitAvailable)) func leaky_repository_fails() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            try Self.git(directory, "init", "-q")
            try AuditTestSupport.write("POSTGRES_PASSWORD=\(AuditTestSupport.strongPassword())\n", to: directory + "/.env")
            try AuditTestSupport.write("FROM node:latest\n", to: directory + "/Dockerfile")
            // An AWS-format key id in source, assembled at run time.
            try AuditTestSupport.write("let id = \"\("AK" + "IA" + AuditTestSupport.random(16, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))\"\n", to: directory + "/Sources/main.swift")
            try Self.git(directory, "add", ".")
            try Self.git(directory, "commit", "-q", "-m", "leak")
            return try AuditTestSupport.audit { $0.repoDirectory = directory }
        }
        expectStatuses(report, ["secrets.env-files-not-committed": .fail, "mistake.hardcoded-secrets": .fail, "mistake.outdated-dependencies": .fail])
        let env = report.details("secrets.env-files-not-committed")
        #expect(env.contains("env file tracked by git"))
        #expect(env.contains("present in git history"))
        #expect(env.contains("git would not ignore"))
        #expect(env.contains("no .dockerignore"))
        #expect(report.result("mistake.hardcoded-secrets")?.evidence.contains { $0.file == "Sources/main.swift" && $0.line == 1 } == true)
    }

    @Test(.enabled(if: gitAvailable)) func a_removed_env_file_is_still_found_in_history() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            try Self.git(directory, "init", "-q")
            try AuditTestSupport.write("A=1\n", to: directory + "/deploy/.env.prod")
            try Self.git(directory, "add", ".")
            try Self.git(directory, "commit", "-q", "-m", "add")
            try Self.git(directory, "rm", "-q", "deploy/.env.prod")
            try AuditTestSupport.write(".env*\n!.env.example\n", to: directory + "/.gitignore")
            try Self.git(directory, "add", ".")
            try Self.git(directory, "commit", "-q", "-m", "remove")
            return try AuditTestSupport.audit { $0.repoDirectory = directory }
        }
        #expect(report.status("secrets.env-files-not-committed") == .fail)
        #expect(report.result("secrets.env-files-not-committed")?.evidence.contains { $0.file == "deploy/.env.prod" && $0.detail.contains("history") } == true)
        #expect(!report.details("secrets.env-files-not-committed").contains("tracked by git"))
    }

    @Test(.enabled(if: gitAvailable)) func clean_repository_passes() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            try Self.git(directory, "init", "-q")
            try AuditTestSupport.write(".env*\n!.env.example\n", to: directory + "/.gitignore")
            try AuditTestSupport.write(".git\n.env*\n**/.env*\n", to: directory + "/.dockerignore")
            try AuditTestSupport.write("SMF_SECRET_KEY=CHANGE_ME\n", to: directory + "/.env.example")
            try AuditTestSupport.write("FROM debian:bookworm-slim\nUSER 1000\n", to: directory + "/Dockerfile")
            try AuditTestSupport.write("let key = ProcessInfo.processInfo.environment[\"KEY\"]\n", to: directory + "/Sources/main.swift")
            // Test fixtures may hold fake secrets: skipped.
            try AuditTestSupport.write("password = \"\(AuditTestSupport.random(32))\"\n", to: directory + "/Tests/Fixtures/fake.txt")
            try Self.git(directory, "add", ".")
            try Self.git(directory, "commit", "-q", "-m", "clean")
            return try AuditTestSupport.audit { $0.repoDirectory = directory }
        }
        expectStatuses(report, Dictionary(uniqueKeysWithValues: Self.repoKeys.map { ($0, AuditStatus.pass) }))
    }

    @Test func without_git_the_history_is_not_applicable() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            try AuditTestSupport.write(".env*\n", to: directory + "/.gitignore")
            return try AuditTestSupport.audit { $0.repoDirectory = directory }
        }
        #expect(report.status("secrets.env-files-not-committed") == .pass)
        #expect(report.details("secrets.env-files-not-committed").contains("git history not checked"))
    }

    /// The project's own repository holds no secret and no env file.
    @Test(.enabled(if: gitAvailable)) func this_repository_has_no_failing_repo_check() throws {
        let report = try AuditTestSupport.audit { $0.repoDirectory = AuditTestSupport.repositoryRoot }
        for key in Self.repoKeys {
            #expect(report.status(key) != .fail, "\(key): \(report.details(key))")
        }
    }

    @Test func source_scanner_ignores_placeholders_and_finds_formats() {
        #expect(SourceSecretScanner.scan("token = \"CHANGE_ME_please_replace_this\"").isEmpty)
        #expect(SourceSecretScanner.scan("let prefix = \"sk_live_\"").isEmpty)
        let key = "-----BEGIN " + "PRIVATE KEY-----"
        #expect(SourceSecretScanner.scan("a\n" + key).first == .init(line: 2, kind: "private key"))
        let literal = "api_key = \"" + AuditTestSupport.random(32) + "\""
        #expect(SourceSecretScanner.scan(literal).count == 1)
        #expect(!SourceSecretScanner.shouldScan("Tests/SMFAuditTests/Fixtures/x.env"))
        #expect(SourceSecretScanner.shouldScan("Sources/App/main.swift"))
    }

    @Test func dockerignore_matching() {
        let ignore = DockerIgnore(contents: ".env*\n**/.env*\n!.env.example\n")
        #expect(ignore.ignores(".env"))
        #expect(ignore.ignores("deploy/.env"))
        #expect(!ignore.ignores(".env.example"))
        #expect(!DockerIgnore(contents: ".env\n").ignores("deploy/.env"))
    }
}
