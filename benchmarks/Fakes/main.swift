import Foundation
import SMFFakes

// Runs the fake Telegram, Instagram Graph and LLM servers on loopback for the
// benchmarks (issue 8): the worker under test points its base URLs at them.
//
//   smflow-fakes [--telegram-port N] [--graph-port N] [--llm-port N]
//                [--telegram-token T]... [--graph-token T=IGUSERID]... [--llm-key K]...
//
// Prints one JSON line with the bound ports, then runs until SIGINT/SIGTERM (exits at once).
// Counters: GET /_fake/stats on each port.

struct Options {
    var telegramPort = 0
    var graphPort = 0
    var llmPort = 0
    var telegramTokens: Set<String> = []
    var graphAccounts: [String: String] = [:]
    var llmKeys: Set<String> = []
}

func parse(_ arguments: [String]) -> Options? {
    var options = Options()
    var index = 0
    while index < arguments.count {
        let name = arguments[index]
        guard index + 1 < arguments.count else { return nil }
        let value = arguments[index + 1]
        switch name {
        case "--telegram-port": options.telegramPort = Int(value) ?? 0
        case "--graph-port": options.graphPort = Int(value) ?? 0
        case "--llm-port": options.llmPort = Int(value) ?? 0
        case "--telegram-token": options.telegramTokens.insert(value)
        case "--graph-token":
            let parts = value.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            options.graphAccounts[String(parts[0])] = String(parts[1])
        case "--llm-key": options.llmKeys.insert(value)
        default: return nil
        }
        index += 2
    }
    return options
}

guard let options = parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data("""
    usage: smflow-fakes [--telegram-port N] [--graph-port N] [--llm-port N]
                        [--telegram-token T]... [--graph-token TOKEN=IGUSERID]... [--llm-key K]...

    """.utf8))
    exit(64)
}

// Nothing to flush on a stop: the fakes keep their counters in memory only.
signal(SIGINT) { _ in _exit(0) }
signal(SIGTERM) { _ in _exit(0) }

let telegram = try await FakeTelegram.start(tokens: options.telegramTokens, port: options.telegramPort,
                                            requireHTTPSWebhook: false)
// Benchmarks reply to the same comment many times over; Meta's one-reply rule would refuse them.
let graph = try await FakeInstagramGraph.start(accounts: options.graphAccounts, port: options.graphPort,
                                               enforceSinglePrivateReply: false)
let llm = try await FakeLLM.start(apiKeys: options.llmKeys, port: options.llmPort)
FileHandle.standardOutput.write(Data(#"{"telegram":\#(telegram.port),"graph":\#(graph.port),"llm":\#(llm.port)}"#.utf8 + [0x0A]))

while true {
    try await Task.sleep(for: .seconds(3600))
}
