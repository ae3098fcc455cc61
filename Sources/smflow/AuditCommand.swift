import ArgumentParser
import Foundation
import SMFAudit

/// `smflow audit`: check a deployment against the production security
/// checklist (issue 6). Parses flags, asks SMFAudit for the report, renders
/// it. Exit 0 when nothing is at or above --fail-on, 1 otherwise, 64 for
/// usage errors (unknown key, unreadable or unparseable file).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a deployment against the production security checklist.",
        discussion: "Every checklist key gets pass, fail, warn, manual or n/a. See docs/AUDIT.md."
    )

    @Option(name: .customLong("env"), help: ArgumentHelp("An env file (.env, .env.prod, .env.example); repeatable.", valueName: "FILE"))
    var envFiles: [String] = []

    @Option(help: ArgumentHelp("A docker-compose file.", valueName: "FILE"))
    var compose: [String] = []

    @Option(help: ArgumentHelp("A Dockerfile.", valueName: "FILE"))
    var dockerfile: [String] = []

    @Option(help: ArgumentHelp("An nginx configuration file (includes are followed).", valueName: "FILE"))
    var nginx: [String] = []

    @Option(help: ArgumentHelp("Rendered Kubernetes manifests (`kubectl kustomize` output) or a directory of *.yaml files; repeatable.", valueName: "DIR|FILE"))
    var kubernetes: [String] = []

    @Option(help: ArgumentHelp("A source tree or git work tree to scan.", valueName: "DIR"))
    var repo: String?

    @Option(help: ArgumentHelp("The running deployment's base URL (live checks).", valueName: "URL"))
    var url: String?

    @Option(help: ArgumentHelp("Connect the live probes to this IP instead of resolving the --url host (Host header and TLS name stay the URL's).", valueName: "ADDRESS"))
    var address: String?

    @Option(help: ArgumentHelp("Extra CA certificate(s) the live TLS check trusts (a private CA).", valueName: "FILE"))
    var cacert: String?

    @Option(name: .customLong("database-url"), help: ArgumentHelp("A PostgreSQL URL (database and product checks).", valueName: "URL"))
    var databaseURL: String?

    @Flag(help: "Check this machine (listening sockets, firewall).")
    var host = false

    @Option(help: ArgumentHelp("A deployment directory laid out like deploy/: its Dockerfile, compose, env and nginx files are found.", valueName: "DIR"))
    var deployment: String?

    @Option(help: "text, json, sarif or markdown.")
    var format: String = "text"

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a result is at or above this level: fail or warn.")
    var failOn: String = "fail"

    @Option(help: ArgumentHelp("Only these checklist keys, comma-separated.", valueName: "KEY,..."))
    var only: String?

    @Option(help: ArgumentHelp("Seconds each live probe may take.", valueName: "S"))
    var timeout: Double = 10

    func validate() throws {
        guard ReportFormat(rawValue: format) != nil else { throw ValidationError("--format must be text, json, sarif or markdown") }
        guard failOn == "fail" || failOn == "warn" else { throw ValidationError("--fail-on must be fail or warn") }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be more than 0 and at most 600 seconds") }
    }

    func run() async throws {
        var request = AuditRequest()
        request.envFiles = envFiles
        request.composeFiles = compose
        request.dockerfiles = dockerfile
        request.nginxFiles = nginx
        request.kubernetesPaths = kubernetes
        request.repoDirectory = repo
        request.url = url
        request.databaseURL = databaseURL
        request.host = host
        request.timeoutSeconds = timeout
        request.liveAddress = address
        request.liveCAFile = cacert
        let keys = only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }) }

        let report: AuditReport
        switch Self.audit(request, deployment: deployment, only: keys) {
        case .success(let result):
            report = result
        case .failure(let error):
            Output.error("smflow audit: \(error.message)")
            throw ExitCode(64)
        }

        let renderFormat = ReportFormat(rawValue: format) ?? .text
        // Colours only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
        let colors = isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        FileHandle.standardOutput.write(Data(renderFormat.render(report, colors: colors).utf8))
        if report.hasResults(atOrAbove: failOn == "warn" ? .warn : .fail) { throw ExitCode.failure }
    }

    /// Discovery plus the audit; input problems come back as a value (a usage error).
    private static func audit(_ request: AuditRequest, deployment: String?, only: Set<String>?) -> Result<AuditReport, AuditInputError> {
        var request = request
        do {
            if let deployment { request.merge(try DeploymentDiscovery.discover(in: deployment)) }
            return .success(try SMFAudit.run(request, only: only))
        } catch {
            return .failure(error)
        }
    }
}
