import ArgumentParser
import SMFSecurity

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check or show the configuration read from the environment.",
        subcommands: [Check.self, Show.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every configuration check and print each finding; exit 78 on any error.",
            discussion: "Production guardrails apply when SMF_ENV=production, or with --production."
        )

        @Flag(help: "Apply the production guardrails whatever SMF_ENV says.")
        var production = false

        func run() throws {
            let result = ConfigurationLoading.load(enforceProductionRules: production ? true : nil)
            ConfigurationLoading.report(result.findings)
            let mode = production || result.config.isProduction ? "production" : result.config.mode.rawValue
            Output.error("smflow config check (\(mode)): \(result.errors.count) error(s), \(result.warnings.count) warning(s)")
            if !result.isValid { throw ExitCode(configErrorExitCode) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration with secrets redacted."
        )

        func run() throws {
            let result = ConfigurationLoading.load()
            ConfigurationLoading.report(result.findings)
            for (name, value) in result.config.redactedSummary() {
                Output.line("\(name)=\(value)")
            }
        }
    }
}
