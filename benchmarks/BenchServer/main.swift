// The benchmark server: the real application, with the full request
// pipeline, with routes only, or with routes and the security headers only,
// so `scripts/bench` can measure what the pipeline costs and how much of it
// the required headers alone cost. Not part of the `smflow` binary on
// purpose: `bare` and `headers` must never be production options.
//
//   smflow-bench-server full|full-nolimit|headers|bare PORT
//
// `full-nolimit` is `full` with no rate-limit policy, so the limiter decides
// nothing: full minus full-nolimit is what the limiter costs.
import Foundation
import SMFSecurity
import SMFServer

let arguments = CommandLine.arguments
let pipelines = ["full": Pipeline.full, "full-nolimit": .full, "headers": .headersOnly, "bare": .bare]
guard arguments.count == 3, let pipeline = pipelines[arguments[1]],
      let port = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: smflow-bench-server full|full-nolimit|headers|bare PORT\n".utf8))
    exit(64)
}
let loaded = ConfigLoader.load(environment: ProcessInfo.processInfo.environment)
guard loaded.isValid else {
    // A benchmark on a silently different configuration measures the wrong thing.
    for finding in loaded.errors { FileHandle.standardError.write(Data((finding.description + "\n").utf8)) }
    exit(78)
}
var config = loaded.config
config.port = port
if arguments[1] == "full-nolimit" { config.rateLimits = [:] }
// Production logging (JSON lines at SMF_LOG_LEVEL, info by default): the
// access log is part of what the full pipeline costs. scripts/bench sends
// standard error to a file.
LoggingSetup.bootstrap(format: .json, level: config.logLevel)
try await ServerRunner.serve(config: config, pipeline: pipeline)
