import ArgumentParser
import SMFServer

struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 only when the server's /readyz answers 200 (for Docker HEALTHCHECK; no curl needed)."
    )

    @Option(help: "URL to probe (default: http://127.0.0.1:SMF_PORT/readyz).")
    var url: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int = 3

    func validate() throws {
        guard (1...60).contains(timeout) else { throw ValidationError("--timeout must be from 1 to 60 seconds") }
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--url must be an http:// or https:// URL")
        }
    }

    func run() async throws {
        let port = ConfigurationLoading.load().config.port
        let target = url ?? "http://127.0.0.1:\(port)/readyz"
        switch await HealthcheckClient.check(url: target, timeout: .seconds(timeout)) {
        case .ready:
            return
        case .notReady(let status):
            Output.error("smflow healthcheck: not ready (HTTP \(status))")
            throw ExitCode.failure
        case .unreachable:
            Output.error("smflow healthcheck: no answer within \(timeout) s")
            throw ExitCode.failure
        }
    }
}
