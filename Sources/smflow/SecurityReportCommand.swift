import ArgumentParser
import Foundation
import SMFServer

/// `smflow security-report`: the weekly security review (issue 9).
struct SecurityReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "security-report",
        abstract: "The weekly security review: failed and throttled sign-ins, rate-limit violators, anomalies, denials, 5xx rate, slow routes, resources.",
        discussion: """
            Reads the security events and the request statistics that `smflow serve` writes about once a minute \
            (migration 009) for the last --since, and prints them as aligned text, JSON (schema \
            smflow.security-report/v1, docs/OPERATIONS.md) or one self-contained HTML file (inline SVG charts, no \
            scripts, opens offline). Shows account e-mail addresses and client IPs, never tokens, token hashes or \
            session ids. --output writes the file with mode 0600. Exit status 64 on a bad option.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, html
    }

    @Option(help: "The period, back from now: 90m, 24h, 7d, 2w (at most 366d).")
    var since = "7d"

    @Option(help: "text, json or html.")
    var format: Format = .text

    @Option(help: ArgumentHelp("Write the report to FILE (mode 0600) instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(help: "Rows per list (1 to 1000).")
    var top = 10

    func validate() throws {
        do {
            _ = try SecurityReportPeriod.parseSince(since)
            try SecurityReportPeriod.validateTop(top)
        } catch let error as SecurityReportInputError {
            throw ValidationError(error.description)
        }
        if let output, output.isEmpty { throw ValidationError("--output must name a file") }
    }

    func run() async throws {
        let seconds = try SecurityReportPeriod.parseSince(since)
        let config = try ConfigurationLoading.loadOrExit()
        LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
        let report: SecurityReport
        do {
            report = try await SecurityReportBuilder.run(config: config, seconds: seconds, top: top)
        } catch {
            // The type only: a driver's message can carry SQL and values.
            Output.error("smflow: security report failed (\(String(reflecting: type(of: error))))")
            throw ExitCode.failure
        }
        let rendered: String
        switch format {
        case .text: rendered = SecurityReportText.text(report)
        case .json: rendered = try SecurityReportText.json(report)
        case .html: rendered = SecurityReportHTML.render(report)
        }
        guard let output else {
            FileHandle.standardOutput.write(Data(rendered.utf8))
            return
        }
        do {
            try Self.write(rendered, to: output)
        } catch {
            Output.error("smflow: cannot write \(output): \(error.localizedDescription)")
            throw ExitCode.failure
        }
        Output.error("smflow: wrote \(output)")
    }

    /// Writes through a temporary file in the same directory, mode 0600, then renames.
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        do {
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
