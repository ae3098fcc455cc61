import ArgumentParser
import SMFSecurity

struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Generate secrets.",
        subcommands: [Generate.self]
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
}
