import ArgumentParser
import Foundation
import SMFSecurity
import SMFServer

struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Report on API keys and stored credentials.",
        subcommands: [Stale.self]
    )

    struct Stale: AsyncParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text
            case json
        }

        static let configuration = CommandConfiguration(
            commandName: "stale",
            abstract: "List live API keys and stored credentials whose secret has not changed for --days days.",
            discussion: """
                The checklist's monthly rotation task (docs/OPERATIONS.md). An API key's age is its creation \
                (keys are replaced, not edited); a stored credential's is the last time its secret was set. Revoked \
                and expired API keys are left out. Prints names, kinds, ages and ids — never a secret. Exit status 0 \
                when nothing is stale, 1 when something is (so a scheduled run can alert), 64 on bad arguments.
                """
        )

        @Option(help: "Age in days from which a secret counts as stale (1 to 3650).")
        var days = 90

        @Option(help: "text (one tab-separated line per item) or json.")
        var format: Format = .text

        func validate() throws {
            guard (1...3650).contains(days) else { throw ValidationError("--days must be from 1 to 3650") }
        }

        func run() async throws {
            let config = try ConfigurationLoading.loadOrExit()
            LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
            let items: [StaleCredentials.Item]
            do {
                items = try await StaleCredentials.run(config: config, days: days)
            } catch {
                Output.error("smflow: cannot list credentials: \(error)")
                throw ExitCode.failure
            }
            switch format {
            case .text:
                for item in items { Output.line(StaleCredentials.textLine(item)) }
                Output.error("smflow: \(items.count) secret(s) not rotated for \(days) days or more")
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                encoder.keyEncodingStrategy = .convertToSnakeCase
                Output.line(String(decoding: try encoder.encode(Document(days: days, stale: items)), as: UTF8.self))
            }
            if !items.isEmpty { throw ExitCode.failure }
        }
    }
}

/// `--format json`: `{"days": N, "stale": [{kind, id, workspace_id, …}]}`.
private struct Document: Encodable {
    let days: Int
    let stale: [StaleCredentials.Item]
}
