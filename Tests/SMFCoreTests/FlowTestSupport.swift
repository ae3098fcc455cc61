import Foundation
import Testing
import SMFCore

/// Shared fixtures for the flow tests: credentials of a workspace, a valid
/// 3-node flow, and helpers that validate and find problems.
enum FlowFixtures {
    static let telegramBot = "2f1c6a4e-8b7d-4c1e-9f00-0a1b2c3d4e5f"
    static let llm = "7a9e2d10-3c4b-4d5e-8f6a-1b2c3d4e5f60"
    static let instagram = "c0ffee00-1234-4abc-8def-001122334455"
    static let httpHeader = "0b5e1f2a-9c8d-4e7f-a6b5-c4d3e2f1a0b9"

    static let credentials: [String: CredentialKind] = [
        telegramBot: .telegramBot, llm: .llmOpenAICompatible, instagram: .instagramAccount, httpHeader: .httpHeader,
    ]

    /// telegram.update → llm.chat → telegram.send_message
    static var threeNodeFlow: JSONValue {
        [
            "nodes": [
                ["id": "trigger", "type": "telegram.update", "version": 1,
                 "settings": ["credential": .string(telegramBot), "updates": ["message"]],
                 "position": ["x": 0, "y": 0]],
                ["id": "answer", "type": "llm.chat", "version": 1,
                 "settings": ["credential": .string(llm), "model": "gpt-4o-mini",
                              "system_prompt": "You answer {{ message.from.username }} briefly.",
                              "temperature": 0.3, "max_tokens": 512, "timeout_seconds": 30],
                 "position": ["x": 200, "y": 0]],
                ["id": "reply", "type": "telegram.send_message", "version": 1,
                 "settings": ["credential": .string(telegramBot), "text": "{{input}}", "parse_mode": "plain"],
                 "position": ["x": 400, "y": 0]],
            ],
            "edges": [
                edge("trigger", "message", "answer", "input"),
                edge("answer", "output", "reply", "input"),
            ],
        ]
    }

    /// manual → route.keyword (branches help, price + otherwise) → three actions.
    static var keywordFlow: JSONValue {
        [
            "nodes": [
                ["id": "start", "type": "manual", "version": 1, "settings": [:]],
                ["id": "route", "type": "route.keyword", "version": 1, "settings": [
                    "branches": [
                        ["port": "help", "keywords": ["help", "support"]],
                        ["port": "price", "regex": "^(price|cost)s?\\b"],
                    ],
                    "match": "contains",
                ]],
                ["id": "help_reply", "type": "telegram.send_message", "version": 1,
                 "settings": ["credential": .string(telegramBot), "text": "How can we help?"]],
                ["id": "price_reply", "type": "telegram.send_message", "version": 1,
                 "settings": ["credential": .string(telegramBot), "text": "Prices: {{ json.prices.0 }}"]],
                ["id": "fallback", "type": "telegram.send_message", "version": 1,
                 "settings": ["credential": .string(telegramBot), "text": "Sorry?"]],
            ],
            "edges": [
                edge("start", "message", "route", "input"),
                edge("route", "help", "help_reply", "input"),
                edge("route", "price", "price_reply", "input"),
                edge("route", "otherwise", "fallback", "input"),
            ],
        ]
    }

    static func edge(_ from: String, _ fromPort: String, _ to: String, _ toPort: String) -> JSONValue {
        ["from": ["node": .string(from), "port": .string(fromPort)], "to": ["node": .string(to), "port": .string(toPort)]]
    }

    static func encoded(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(value)) ?? Data()
    }

    static func validate(
        _ value: JSONValue, purpose: ValidationPurpose = .deploy, credentials: [String: CredentialKind] = credentials,
        byteCount: Int? = nil
    ) -> FlowValidation {
        FlowValidator.validate(
            value, byteCount: byteCount ?? encoded(value).count, credentials: credentials, purpose: purpose)
    }
}

extension JSONValue {
    /// A copy with the value at `path` (keys and indices) replaced; `nil`
    /// removes an object member.
    func setting(_ path: [PathStep], to newValue: JSONValue?) -> JSONValue {
        guard let step = path.first else { return newValue ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, step) {
        case (.object(var members), .key(let key)):
            if rest.isEmpty, newValue == nil {
                members[key] = nil
            } else {
                members[key] = (members[key] ?? .null).setting(rest, to: newValue)
            }
            return .object(members)
        case (.array(var elements), .index(let index)) where elements.indices.contains(index):
            if rest.isEmpty, newValue == nil {
                elements.remove(at: index)
            } else {
                elements[index] = elements[index].setting(rest, to: newValue)
            }
            return .array(elements)
        default:
            return self
        }
    }

    /// `/nodes/1/settings/model` style path, written as "nodes.1.settings.model".
    func setting(_ dotted: String, to newValue: JSONValue?) -> JSONValue {
        setting(dotted.split(separator: ".").map { Int($0).map(PathStep.index) ?? .key(String($0)) }, to: newValue)
    }
}

enum PathStep {
    case key(String)
    case index(Int)
}

/// Asserts that `validation` has exactly one problem with `code` at
/// `pointer` (of the given severity), and returns it.
@discardableResult
func expectProblem(
    _ validation: FlowValidation, _ code: String, at pointer: String, severity: FlowProblem.Severity = .error,
    sourceLocation: SourceLocation = #_sourceLocation
) -> FlowProblem? {
    let matches = validation.problems.filter { $0.code == code && $0.pointer == pointer }
    #expect(
        matches.count == 1, "expected one \(code) at \(pointer); got \(validation.problems.map { "\($0.code)@\($0.pointer)" })",
        sourceLocation: sourceLocation)
    if let problem = matches.first {
        #expect(problem.severity == severity, sourceLocation: sourceLocation)
    }
    return matches.first
}
