// smflow-testbed: the real `serve` and `worker` code paths, configured from
// the environment exactly like `smflow`, with ONE difference set in code:
// outbound calls may reach loopback (`AppConfig.allowLoopbackOutbound`), so
// the local fake LLM/HTTP servers of the crash test and the benchmarks are
// reachable. There is deliberately no environment variable for that (see
// docs/CONFIGURATION.md); this binary is never built into the image.
//
//   smflow-testbed serve [--with-worker] [--port N]   (0 = any free port; logs the address)
//   smflow-testbed worker
import Foundation
import SMFSecurity
import SMFServer

let arguments = Array(CommandLine.arguments.dropFirst())
let result = ConfigLoader.load(environment: ProcessInfo.processInfo.environment)
for finding in result.findings {
    FileHandle.standardError.write(Data((finding.description + "\n").utf8))
}
guard result.isValid, !result.config.isProduction else {
    FileHandle.standardError.write(Data("smflow-testbed: refusing to start (configuration errors, or SMF_ENV=production)\n".utf8))
    exit(78)
}
var config = result.config
config.allowLoopbackOutbound = true
// scripts/bench-webhooks BENCH_INGEST=transaction: the webhook ingest's
// BEGIN/INSERT×3/COMMIT path on PostgreSQL instead of the single statement.
if ProcessInfo.processInfo.environment["SMF_TEST_INGEST"] == "transaction" {
    config.webhookIngestSingleStatement = false
}
if let index = arguments.firstIndex(of: "--port"), index + 1 < arguments.count, let port = Int(arguments[index + 1]),
   (0...65535).contains(port) {
    config.port = port
}
LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)

do {
    switch arguments.first {
    case "serve":
        try await ServerRunner.serve(config: config, withWorker: arguments.contains("--with-worker"))
    case "worker":
        try await WorkerRunner.run(
            config: config, settings: WorkerSettings(config: config), handlers: { app in FlowJobs.handlers(for: app) })
    default:
        FileHandle.standardError.write(Data("usage: smflow-testbed serve [--with-worker] | worker\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("smflow-testbed: \(error)\n".utf8))
    exit(1)
}
