// The flow benchmark (issue 7). Run by `scripts/bench-flows`, which builds it
// in release and prints the machine; see its header.
//
//   smflow-bench-flows validate [--seconds N]
//
// validate: builds a realistic valid flow (50 nodes of 9 types, 61 edges,
// settings filled in, two regex branches), encodes it to JSON, and measures
// on one thread, N seconds each (default 5) after a short warm-up:
//   full         JSONDecoder into JSONValue + FlowValidator.validate(…, .save),
//                what the server runs for each save
//   full_parser  the same with JSONValue(parsing:) instead of JSONDecoder
//   decode       the JSONDecoder step alone
//   parse        the JSONValue(parsing:) step alone
//   validator    FlowValidator.validate alone on the decoded value
//
// Output: one `result key=value …` line per measurement on standard output
// (ops_per_s, us_per_op, iterations, seconds, bytes, nodes, edges), free text
// on standard error. Exit 64 on bad usage, 1 when the flow is not valid.
//
// A `seed` subcommand (seeding a workspace with many flows for the list
// benchmark) is to come; add it as another case of the switch below.
import Foundation
import SMFCore

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: smflow-bench-flows validate [--seconds N]

        """.utf8))
    exit(64)
}

func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

// MARK: - The flow

enum BenchFlow {
    static let telegram = "2f1c6a4e-8b7d-4c1e-9f00-0a1b2c3d4e5f"
    static let llm = "7a9e2d10-3c4b-4d5e-8f6a-1b2c3d4e5f60"
    static let header = "0b5e1f2a-9c8d-4e7f-a6b5-c4d3e2f1a0b9"
    static let credentials: [String: CredentialKind] = [
        telegram: .telegramBot, llm: .llmOpenAICompatible, header: .httpHeader,
    ]

    /// A support bot: a Telegram trigger, a keyword router with five
    /// branches plus otherwise; per branch a condition choosing between an
    /// LLM answer and an HTTP lookup, each rendered by a template and sent;
    /// a voice-message path through transcription; a summary template fed
    /// by every LLM answer.
    static func document() -> FlowDocument {
        var nodes: [FlowNode] = []
        var edges: [FlowEdge] = []
        func add(_ id: String, _ type: String, _ settings: [String: JSONValue]) {
            nodes.append(FlowNode(id: id, type: type, settings: settings, position: FlowPosition(x: Double(nodes.count * 40), y: Double(nodes.count % 7) * 90)))
        }
        func link(_ from: String, _ fromPort: String, _ to: String, _ toPort: String) {
            edges.append(FlowEdge(from: FlowEndpoint(node: from, port: fromPort), to: FlowEndpoint(node: to, port: toPort)))
        }
        let prompt: JSONValue = .string(
            "You are the support assistant of a small shop. Answer {{ message.from.first_name }} in their language, "
                + "politely and in at most three sentences. The question was: {{input}}. Never invent prices or dates.")

        add("telegram", "telegram.update", ["credential": .string(telegram), "updates": ["message", "edited_message"]])
        let branches = ["help", "price", "order", "refund", "hours"]
        add("router", "route.keyword", [
            "branches": .array(branches.enumerated().map { index, port in
                index == 1
                    ? ["port": .string(port), "regex": #"\b(price|cost)s?\b"#]
                    : index == 3
                        ? ["port": .string(port), "keywords": ["refund", "money back"], "regex": #"^return(ed|ing)?\b"#]
                        : ["port": .string(port), "keywords": [.string(port), .string(port + " please"), "?"]]
            }),
            "match": "whole_word",
        ])
        link("telegram", "message", "router", "input")
        for port in branches + ["otherwise"] {
            add("\(port)_is_member", "route.condition", ["field": "message.from.id", "operator": "greater_than", "value": 1000])
            add("\(port)_answer", "llm.chat", [
                "credential": .string(llm), "model": "gpt-4o-mini", "system_prompt": prompt,
                "temperature": 0.2, "max_tokens": 400, "timeout_seconds": 20,
            ])
            add("\(port)_render", "text.template", ["template": "{{input}}\n\n— sent about {{ message.text }}"])
            add("\(port)_send", "telegram.send_message", ["credential": .string(telegram), "text": "{{input}}", "parse_mode": "plain"])
            add("\(port)_lookup", "http.request", [
                "method": "POST", "url": .string("https://shop.example.com/api/support/\(port)?chat={{ message.chat.id }}"),
                "headers": [["name": "Accept", "value": "application/json"], ["name": "X-Request-Source", "value": "smflow"]],
                "body": .string("{\"question\": \"{{input}}\", \"topic\": \"\(port)\"}"), "credential": .string(header), "timeout_seconds": 5,
            ])
            add("\(port)_format", "text.template", ["template": "Here is what we found: {{ json.summary }}"])
            add("\(port)_send_lookup", "telegram.send_message", ["credential": .string(telegram), "text": "{{input}}", "parse_mode": "HTML"])
            link("router", port, "\(port)_is_member", "input")
            link("\(port)_is_member", "true", "\(port)_answer", "input")
            link("\(port)_answer", "output", "\(port)_render", "input")
            link("telegram", "message", "\(port)_render", "input")
            link("\(port)_render", "output", "\(port)_send", "input")
            link("\(port)_is_member", "false", "\(port)_lookup", "input")
            link("\(port)_lookup", "response", "\(port)_format", "input")
            link("\(port)_format", "output", "\(port)_send_lookup", "input")
        }
        add("voice", "transcribe.audio", ["credential": .string(llm), "model": "whisper-1", "language": "en"])
        add("voice_answer", "llm.chat", ["credential": .string(llm), "model": "gpt-4o-mini", "system_prompt": prompt])
        add("voice_send", "telegram.send_message", ["credential": .string(telegram), "text": "{{input}}"])
        link("telegram", "message", "voice", "audio")
        link("voice", "text", "voice_answer", "input")
        link("voice_answer", "output", "voice_send", "input")
        add("summary", "text.template", ["template": "Answers today: {{input}}"])
        for port in branches + ["otherwise"] { link("\(port)_answer", "output", "summary", "input") }
        add("summary_send", "telegram.send_message", ["credential": .string(telegram), "text": "{{input}}"])
        link("summary", "output", "summary_send", "input")
        add("audit_note", "text.template", ["template": "summary: {{input}}"])
        link("summary", "output", "audit_note", "input")
        link("voice_answer", "output", "audit_note", "input")
        return FlowDocument(nodes: nodes, edges: edges)
    }
}

// MARK: - Measuring

/// Runs `body` in batches until `seconds` have passed; returns (iterations, elapsed seconds).
func measure(seconds: Double, _ body: () -> Int) -> (Int, Double, Int) {
    let clock = ContinuousClock()
    let start = clock.now
    let limit = Duration.milliseconds(Int64(seconds * 1000))
    var iterations = 0
    var sink = 0
    while clock.now - start < limit {
        for _ in 0..<50 { sink &+= body() }
        iterations += 50
    }
    let elapsed = clock.now - start
    let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return (iterations, secondsElapsed, sink)
}

func runValidate(seconds: Double) {
    let flow = BenchFlow.document()
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    guard let data = try? encoder.encode(flow) else {
        note("could not encode the flow")
        exit(1)
    }
    let decoder = JSONDecoder()
    guard let value = try? decoder.decode(JSONValue.self, from: data) else {
        note("could not decode the flow")
        exit(1)
    }
    let check = FlowValidator.validate(value, byteCount: data.count, credentials: BenchFlow.credentials, purpose: .save)
    guard check.isValid, check.problems.isEmpty else {
        note("the benchmark flow is not valid:")
        for problem in check.problems.prefix(20) { note("  \(problem.code) \(problem.pointer): \(problem.detail)") }
        exit(1)
    }
    note("flow: \(flow.nodes.count) nodes, \(flow.edges.count) edges, \(data.count) bytes of JSON; \(seconds) s per measurement")

    let shape = "bytes=\(data.count) nodes=\(flow.nodes.count) edges=\(flow.edges.count)"
    let cases: [(String, () -> Int)] = [
        ("full", {
            guard let decoded = try? decoder.decode(JSONValue.self, from: data) else { return -1_000_000 }
            return FlowValidator.validate(decoded, byteCount: data.count, credentials: BenchFlow.credentials, purpose: .save).problems.count
        }),
        ("full_parser", {
            guard let parsed = try? JSONValue(parsing: data) else { return -1_000_000 }
            return FlowValidator.validate(parsed, byteCount: data.count, credentials: BenchFlow.credentials, purpose: .save).problems.count
        }),
        ("decode", {
            guard let decoded = try? decoder.decode(JSONValue.self, from: data) else { return -1_000_000 }
            return decoded.isNull ? 1 : 0
        }),
        ("parse", {
            guard let parsed = try? JSONValue(parsing: data) else { return -1_000_000 }
            return parsed.isNull ? 1 : 0
        }),
        ("validator", {
            FlowValidator.validate(value, byteCount: data.count, credentials: BenchFlow.credentials, purpose: .save).problems.count
        }),
    ]
    for (name, body) in cases {
        _ = measure(seconds: min(0.5, seconds), body)  // warm-up
        let (iterations, elapsed, sink) = measure(seconds: seconds, body)
        guard sink == 0 else {
            note("\(name): unexpected problems or decode failures (\(sink))")
            exit(1)
        }
        let perSecond = Double(iterations) / elapsed
        print(String(
            format: "result name=validate.%@ ops_per_s=%.0f us_per_op=%.1f iterations=%d seconds=%.2f %@",
            name, perSecond, 1e6 / perSecond, iterations, elapsed, shape))
    }
}

// MARK: - Entry

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "validate":
    var seconds = 5.0
    var rest = arguments.dropFirst()
    while let flag = rest.popFirst() {
        guard flag == "--seconds", let text = rest.popFirst(), let value = Double(text), value > 0, value <= 600 else { usage() }
        seconds = value
    }
    runValidate(seconds: seconds)
default:
    usage()
}
