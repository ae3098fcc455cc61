// The rate-limit store benchmark (issue 4): decisions per second of the
// memory store on one thread, and of the PostgreSQL store from concurrent
// tasks, plus a correctness check of the latter under contention. Run by
// `scripts/bench-ratelimit`, which builds it in release, starts a throwaway
// PostgreSQL and pins the processes; see its header for the settings.
//
//   smflow-bench-ratelimit memory DECISIONS
//   DATABASE_URL=postgres://... smflow-bench-ratelimit postgres SECONDS KEYS CONCURRENCY...
//
// Output: one `result ...` line of key=value pairs per measurement (the
// script builds its tables from these), `check ...` lines for the
// correctness check, and free text on standard error. Exit 1 when the
// check fails or a decision threw, 64 on bad usage.
import Foundation

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: smflow-bench-ratelimit memory DECISIONS
               DATABASE_URL=postgres://... smflow-bench-ratelimit postgres SECONDS KEYS CONCURRENCY...

        """.utf8))
    exit(64)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "memory":
    guard arguments.count == 2, let decisions = Int(arguments[1]), decisions >= 1_000 else { usage() }
    MemoryBench.run(decisions: decisions)
case "postgres":
    guard arguments.count >= 4, let seconds = Int(arguments[1]), seconds >= 1, let keys = Int(arguments[2]), keys >= 1
    else { usage() }
    let levels = arguments.dropFirst(3).compactMap { Int($0) }.filter { $0 >= 1 }
    guard levels.count == arguments.count - 3 else { usage() }
    // The URL carries a password: from the environment, never argv (visible in ps).
    guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], url.hasPrefix("postgres") else {
        FileHandle.standardError.write(Data("DATABASE_URL must be set to a postgres:// URL\n".utf8))
        exit(64)
    }
    let passed = try await DatabaseBench.run(databaseURL: url, seconds: seconds, keys: keys, concurrency: levels)
    exit(passed ? 0 : 1)
default:
    usage()
}
