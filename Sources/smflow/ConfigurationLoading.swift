import ArgumentParser
import Foundation
import SMFSecurity

/// Shared by the subcommands: read the environment, report findings on
/// standard error, stop with exit code 78 on errors.
enum ConfigurationLoading {
    static func load(enforceProductionRules: Bool? = nil) -> ConfigLoadResult {
        ConfigLoader.load(environment: ProcessInfo.processInfo.environment, enforceProductionRules: enforceProductionRules)
    }

    /// The configuration, or exit 78 with one line per problem.
    static func loadOrExit() throws -> AppConfig {
        let result = load()
        report(result.findings)
        guard result.isValid else {
            Output.error("smflow: refusing to start: \(result.errors.count) configuration error(s); see docs/CONFIGURATION.md")
            throw ExitCode(configErrorExitCode)
        }
        return result.config
    }

    static func report(_ findings: [ConfigFinding]) {
        for finding in findings { Output.error(finding.description) }
    }
}

/// Command output. Standard output carries results (keys, settings) so they
/// can be piped; everything else goes to standard error.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
