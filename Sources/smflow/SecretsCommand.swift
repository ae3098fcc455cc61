import ArgumentParser
import Foundation
import SMFSecurity
import SMFServer

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Generate secrets; re-encrypt stored secrets under a new key.",
        subcommands: [Generate.self, RotateEncryptionKey.self, RotateSecretKey.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random 32-byte key as 64 hex characters (like `openssl rand -hex 32`).",
            discussion: "Use one for SMF_SECRET_KEY and another for SMF_ENCRYPTION_KEY."
        )

        func run() throws {
            Output.line(SecretGenerator.hexKey(byteCount: 32))
        }
    }

    struct RotateEncryptionKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-encryption-key",
            abstract: "Re-encrypt every stored secret under SMF_ENCRYPTION_KEY.",
            discussion: """
                Set SMF_ENCRYPTION_KEY to the new key and SMF_ENCRYPTION_KEY_PREVIOUS to the old one(s), \
                restart the server with both (it reads with either, writes with the new one), then run this. \
                Each row is re-encrypted and committed on its own, so the command can be interrupted and run \
                again; it is safe to run twice or next to a running server. Exit status 0 when no stored \
                secret is left under an old key; 1 when some row could not be opened (listed by table and id \
                on standard error) or is still left. Progress goes to standard error; --dry-run prints the \
                rows per key id on standard output and changes nothing. Then remove SMF_ENCRYPTION_KEY_PREVIOUS.
                """
        )

        @Option(help: "Rows read per query (1 to 10000).")
        var batchSize = 100

        @Flag(help: "Only count the stored secrets per key id.")
        var dryRun = false

        func validate() throws {
            guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 10000") }
        }

        func run() async throws {
            let config = try ConfigurationLoading.loadOrExit()
            LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
            guard let vault = CredentialVault(config: config) else {
                Output.error("smflow: SMF_ENCRYPTION_KEY is not set; set the new key (and the old one in SMF_ENCRYPTION_KEY_PREVIOUS)")
                throw ExitCode(configErrorExitCode)
            }
            Output.error("smflow: current key id \(vault.currentKeyID)")
            let outcome: (counts: [String: [String: Int]], report: EncryptionKeyRotation.Report?)
            do {
                outcome = try await EncryptionKeyRotation.run(config: config, batchSize: batchSize, dryRun: dryRun) { progress in
                    if progress.done == progress.total || progress.done % 100 == 0 {
                        Output.error("smflow: \(progress.table): \(progress.done)/\(progress.total)")
                    }
                }
            } catch {
                Output.error("smflow: rotation failed: \(error)")
                throw ExitCode.failure
            }
            guard let report = outcome.report else {
                for (table, perKey) in outcome.counts.sorted(by: { $0.key < $1.key }) {
                    for (keyID, count) in perKey.sorted(by: { $0.key < $1.key }) {
                        let marker = keyID == vault.currentKeyID ? " (current)" : ""
                        Output.line("\(table)\t\(keyID)\(marker)\t\(count)")
                    }
                }
                return
            }
            for failure in report.failures { Output.error("smflow: cannot re-encrypt \(failure)") }
            for table in report.skippedTables { Output.error("smflow: \(table): table not present, skipped") }
            Output.error("smflow: re-encrypted \(report.reencrypted) row(s), \(report.changedConcurrently) changed concurrently, \(report.failures.count) failed, \(report.remainingCount) left under an old key")
            guard report.isComplete else { throw ExitCode.failure }
        }
    }

    struct RotateSecretKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret-key",
            abstract: "Record a signing-key rotation: the old key keeps working for a grace period, then is refused.",
            discussion: """
                Put the new key in SMF_SECRET_KEY and the old one in SMF_SECRET_KEY_PREVIOUS, run this with that \
                environment, then restart the app processes with it. Sessions and API keys hashed under the old key \
                (or under the unkeyed SHA-256 of rows from before migration 008) are accepted until the grace period \
                ends and re-hashed under the new key when used; after it they are refused, and the next run deletes \
                such sessions and revokes such API keys. --retire-now (key compromise) refuses the old key at once. \
                Running it again never extends a grace period. Prints key ids only, never key material.
                """
        )

        @Option(help: "How long the old key is still accepted: 7d, 36h, 90m (at most 90d).")
        var grace = "7d"

        @Flag(help: "Refuse the old key(s) at once (compromise).")
        var retireNow = false

        func validate() throws {
            guard SecretKeyRotation.parseDuration(grace) != nil else {
                throw ValidationError("--grace must be a duration such as 7d, 36h or 90m, at most 90d")
            }
        }

        func run() async throws {
            let config = try ConfigurationLoading.loadOrExit()
            LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
            guard config.secretKey != nil else {
                Output.error("smflow: \(SecretKeyRotation.Failure.noSecretKey)")
                throw ExitCode(configErrorExitCode)
            }
            let report: SecretKeyRotation.Report
            do {
                report = try await SecretKeyRotation.run(config: config, grace: SecretKeyRotation.parseDuration(grace) ?? 0,
                                                         retireNow: retireNow)
            } catch let failure as SecretKeyRotation.Failure {
                Output.error("smflow: \(failure)")
                throw ExitCode.failure
            } catch {
                Output.error("smflow: rotation failed: \(error)")
                throw ExitCode.failure
            }
            Output.line("current key id \(report.currentKeyID)")
            for retirement in report.retirements {
                let name = retirement.keyID == TokenKeyRing.legacyKeyID ? "legacy sha256 hashes" : "key id \(retirement.keyID)"
                let when = SecretKeyRotation.iso(retirement.retiresAt)
                let verb = retirement.changed ? "accepted until" : "already retiring at"
                Output.line("\(name): \(verb) \(when)")
            }
            for keyID in report.finished { Output.line("retired \(keyID)") }
            Output.line("sessions in grace: \(report.sessionsInGrace), API keys in grace: \(report.apiKeysInGrace)")
            if !report.finished.isEmpty {
                Output.line("deleted \(report.sessionsDeleted) session(s), revoked \(report.apiKeysRevoked) API key(s)")
            }
        }
    }
}
