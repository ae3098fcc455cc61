import Foundation
import Testing
import SMFCore

/// Node types and settings: one failing example per rule.
@Suite struct FlowValidatorSettingsTests {
    typealias F = FlowFixtures
    typealias Code = FlowProblem.Code

    func check(_ path: String, _ value: JSONValue?, in flow: JSONValue = F.threeNodeFlow) -> FlowValidation {
        F.validate(flow.setting(path, to: value))
    }

    @Test func unknown_node_type() {
        expectProblem(check("nodes.1.type", "llm.chatty"), Code.unknownNodeType, at: "/nodes/1/type")
    }

    @Test func unknown_node_version() {
        let problem = expectProblem(check("nodes.1.version", 2), Code.unknownNodeVersion, at: "/nodes/1/version")
        #expect(problem?.detail.contains("known: 1") == true)
    }

    @Test func unknown_type_gets_no_follow_up_problems() {
        let validation = check("nodes.0.type", "telegram.updates")
        // No trigger-missing, no port problems on the edges of that node.
        #expect(validation.problems.map(\.code) == [Code.unknownNodeType])
    }

    @Test func missing_required_setting() {
        expectProblem(check("nodes.1.settings.model", nil), Code.settingMissing, at: "/nodes/1/settings/model")
        expectProblem(check("nodes.1.settings.model", .null), Code.settingMissing, at: "/nodes/1/settings/model")
    }

    @Test func unknown_setting() {
        expectProblem(check("nodes.1.settings.top_p", 0.9), Code.settingUnknown, at: "/nodes/1/settings/top_p")
    }

    @Test func wrong_setting_types() {
        expectProblem(check("nodes.1.settings.max_tokens", "512"), Code.settingWrongType, at: "/nodes/1/settings/max_tokens")
        // 3.5 is a number, not an integer.
        expectProblem(check("nodes.1.settings.max_tokens", 3.5), Code.settingWrongType, at: "/nodes/1/settings/max_tokens")
        expectProblem(check("nodes.1.settings.temperature", true), Code.settingWrongType, at: "/nodes/1/settings/temperature")
        expectProblem(check("nodes.0.settings.updates", "message"), Code.settingWrongType, at: "/nodes/0/settings/updates")
        expectProblem(check("nodes.0.settings.updates.0", 1), Code.settingWrongType, at: "/nodes/0/settings/updates/0")
        // An integer is a fine number.
        #expect(check("nodes.1.settings.temperature", 1).isValid)
    }

    @Test func numeric_ranges() {
        expectProblem(check("nodes.1.settings.temperature", 2.5), Code.settingOutOfRange, at: "/nodes/1/settings/temperature")
        expectProblem(check("nodes.1.settings.temperature", -0.1), Code.settingOutOfRange, at: "/nodes/1/settings/temperature")
        expectProblem(check("nodes.1.settings.max_tokens", 0), Code.settingOutOfRange, at: "/nodes/1/settings/max_tokens")
        expectProblem(check("nodes.1.settings.max_tokens", 32769), Code.settingOutOfRange, at: "/nodes/1/settings/max_tokens")
        expectProblem(check("nodes.1.settings.timeout_seconds", 121), Code.settingOutOfRange, at: "/nodes/1/settings/timeout_seconds")
        #expect(check("nodes.1.settings.temperature", 2).isValid)
        #expect(check("nodes.1.settings.max_tokens", 32768).isValid)
    }

    @Test func string_and_list_lengths() {
        expectProblem(check("nodes.1.settings.model", ""), Code.settingTooShort, at: "/nodes/1/settings/model")
        expectProblem(check("nodes.0.settings.updates", []), Code.settingTooShort, at: "/nodes/0/settings/updates")
        expectProblem(check("nodes.2.settings.text", .string(String(repeating: "a", count: 4097))), Code.settingTooLong, at: "/nodes/2/settings/text")
        // Characters, not bytes: 4096 two-byte characters fit.
        #expect(check("nodes.2.settings.text", .string(String(repeating: "é", count: 4096))).isValid)
        let updates: JSONValue = ["message", "edited_message", "callback_query", "message"]
        expectProblem(check("nodes.0.settings.updates", updates), Code.settingTooLong, at: "/nodes/0/settings/updates")
    }

    @Test func enum_values() {
        let problem = expectProblem(check("nodes.2.settings.parse_mode", "markdown"), Code.settingNotInEnum, at: "/nodes/2/settings/parse_mode")
        #expect(problem?.detail.contains("MarkdownV2") == true)
        expectProblem(check("nodes.0.settings.updates.0", "channel_post"), Code.settingNotInEnum, at: "/nodes/0/settings/updates/0")
    }

    @Test func unique_list_items() {
        expectProblem(check("nodes.0.settings.updates", ["message", "message"]), Code.settingDuplicate, at: "/nodes/0/settings/updates/1")
    }

    @Test func patterns() {
        expectProblem(check("nodes.1.settings.model", "gpt 4o"), Code.settingPatternMismatch, at: "/nodes/1/settings/model")
        #expect(check("nodes.1.settings.model", "meta-llama/Llama-3.1-8B-Instruct:free").isValid)
    }

    @Test func template_placeholders() {
        for bad in ["Hello {{name", "{{ 1abc }}", "{{}}", "{{a..b}}", "{{a b}}", "{{ {{x}} }}"] {
            expectProblem(check("nodes.1.settings.system_prompt", .string(bad)), Code.templateInvalid, at: "/nodes/1/settings/system_prompt")
        }
        for good in ["plain", "{{input}}", "{{ message.text }} and {{json.items.0.title}}", "{\"a\":{\"b\":1}}", "{x} }}"] {
            #expect(check("nodes.1.settings.system_prompt", .string(good)).isValid, "\(good)")
        }
    }

    @Test func route_keyword_valid_flow_with_dynamic_branches() {
        let validation = F.validate(F.keywordFlow)
        #expect(validation.problems == [])
    }

    @Test func route_keyword_branch_needs_keywords_or_regex() {
        let flow = F.keywordFlow.setting("nodes.1.settings.branches.0.keywords", to: nil)
        expectProblem(F.validate(flow), Code.settingNeedsOneOf, at: "/nodes/1/settings/branches/0")
    }

    @Test func route_keyword_port_names() {
        let reserved = F.keywordFlow.setting("nodes.1.settings.branches.0.port", to: "otherwise")
        expectProblem(F.validate(reserved), Code.settingReserved, at: "/nodes/1/settings/branches/0/port")
        let duplicate = F.keywordFlow.setting("nodes.1.settings.branches.1.port", to: "help")
        expectProblem(F.validate(duplicate), Code.settingDuplicate, at: "/nodes/1/settings/branches/1/port")
        let badName = F.keywordFlow.setting("nodes.1.settings.branches.1.port", to: "Price!")
        expectProblem(F.validate(badName), Code.settingPatternMismatch, at: "/nodes/1/settings/branches/1/port")
        let unknownField = F.keywordFlow.setting("nodes.1.settings.branches.1.weight", to: 1)
        expectProblem(F.validate(unknownField), Code.settingUnknown, at: "/nodes/1/settings/branches/1/weight")
    }

    @Test func route_keyword_regexes_are_bounded() {
        let nested = F.keywordFlow.setting("nodes.1.settings.branches.1.regex", to: "(a+)+$")
        expectProblem(F.validate(nested), Code.regexTooComplex, at: "/nodes/1/settings/branches/1/regex")
        let invalid = F.keywordFlow.setting("nodes.1.settings.branches.1.regex", to: "(price")
        expectProblem(F.validate(invalid), Code.regexInvalid, at: "/nodes/1/settings/branches/1/regex")
        let long = F.keywordFlow.setting("nodes.1.settings.branches.1.regex", to: .string(String(repeating: "a", count: 257)))
        expectProblem(F.validate(long), Code.settingTooLong, at: "/nodes/1/settings/branches/1/regex")
    }

    static var conditionFlow: JSONValue {
        [
            "nodes": [
                ["id": "t", "type": "telegram.update", "version": 1, "settings": ["credential": .string(FlowFixtures.telegramBot)]],
                ["id": "if", "type": "route.condition", "version": 1,
                 "settings": ["field": "message.from.id", "operator": "equals", "value": 42]],
                ["id": "yes", "type": "telegram.send_message", "version": 1,
                 "settings": ["credential": .string(FlowFixtures.telegramBot), "text": "hi admin"]],
                ["id": "no", "type": "telegram.send_message", "version": 1,
                 "settings": ["credential": .string(FlowFixtures.telegramBot), "text": "hi"]],
            ],
            "edges": [
                FlowFixtures.edge("t", "message", "if", "input"),
                FlowFixtures.edge("if", "true", "yes", "input"),
                FlowFixtures.edge("if", "false", "no", "input"),
            ],
        ]
    }

    @Test func route_condition() {
        #expect(F.validate(Self.conditionFlow).problems == [])
        let exists = Self.conditionFlow.setting("nodes.1.settings.operator", to: "exists").setting("nodes.1.settings.value", to: nil)
        #expect(F.validate(exists).isValid)
        let noValue = Self.conditionFlow.setting("nodes.1.settings.value", to: nil)
        expectProblem(F.validate(noValue), Code.settingMissing, at: "/nodes/1/settings/value")
        let textCompare = Self.conditionFlow.setting("nodes.1.settings.operator", to: "greater_than").setting("nodes.1.settings.value", to: "ten")
        expectProblem(F.validate(textCompare), Code.settingWrongType, at: "/nodes/1/settings/value")
        let badField = Self.conditionFlow.setting("nodes.1.settings.field", to: "headers.cookie")
        expectProblem(F.validate(badField), Code.settingPatternMismatch, at: "/nodes/1/settings/field")
        let badOperator = Self.conditionFlow.setting("nodes.1.settings.operator", to: "matches")
        expectProblem(F.validate(badOperator), Code.settingNotInEnum, at: "/nodes/1/settings/operator")
        let objectValue = Self.conditionFlow.setting("nodes.1.settings.value", to: ["a": 1])
        expectProblem(F.validate(objectValue), Code.settingWrongType, at: "/nodes/1/settings/value")
    }

    @Test func http_request_url() {
        let base = FlowValidatorShapeTests.withHTTPRequest(F.threeNodeFlow)
        #expect(F.validate(base).problems == [])
        let pointer = "/nodes/3/settings/url"
        for bad in [
            "ftp://example.com/", "https://", "example.com/path", "https://user:pw@example.com/",
            "https://{{input}}.example.com/", "https://example.com/a b", "https://example.com/{{oops",
        ] {
            expectProblem(F.validate(base.setting("nodes.3.settings.url", to: .string(bad))), Code.urlInvalid, at: pointer)
        }
        let long = "https://example.com/" + String(repeating: "a", count: 2029)
        expectProblem(F.validate(base.setting("nodes.3.settings.url", to: .string(long))), Code.settingTooLong, at: pointer)
        #expect(F.validate(base.setting("nodes.3.settings.url", to: "http://203.0.113.9:8080/hook#frag")).isValid)
        // Spaces inside a placeholder's braces are fine.
        #expect(F.validate(base.setting("nodes.3.settings.url", to: "https://example.com/a?chat={{ message.chat.id }}")).isValid)
    }

    @Test func http_request_headers() {
        let base = FlowValidatorShapeTests.withHTTPRequest(F.threeNodeFlow)
        for forbidden in ["Host", "transfer-encoding", "Connection", "Content-Length", "Upgrade"] {
            let flow = base.setting("nodes.3.settings.headers.0.name", to: .string(forbidden))
            expectProblem(F.validate(flow), Code.headerForbidden, at: "/nodes/3/settings/headers/0/name")
        }
        let badName = base.setting("nodes.3.settings.headers.0.name", to: "X Trace")
        expectProblem(F.validate(badName), Code.settingPatternMismatch, at: "/nodes/3/settings/headers/0/name")
        let injection = base.setting("nodes.3.settings.headers.0.value", to: "a\r\nHost: evil")
        expectProblem(F.validate(injection), Code.settingPatternMismatch, at: "/nodes/3/settings/headers/0/value")
        let longName = base.setting("nodes.3.settings.headers.0.name", to: .string(String(repeating: "x", count: 129)))
        expectProblem(F.validate(longName), Code.settingTooLong, at: "/nodes/3/settings/headers/0/name")
        let method = base.setting("nodes.3.settings.method", to: "TRACE")
        expectProblem(F.validate(method), Code.settingNotInEnum, at: "/nodes/3/settings/method")
    }

    @Test func webhook_respond_status_and_content_type() {
        let flow: JSONValue = [
            "nodes": [
                ["id": "hook", "type": "webhook.generic", "version": 1, "settings": ["method": "POST"]],
                ["id": "ok", "type": "webhook.respond", "version": 1,
                 "settings": ["status": 201, "body": "{\"ok\": true}", "content_type": "application/json"]],
            ],
            "edges": [F.edge("hook", "message", "ok", "input")],
        ]
        #expect(F.validate(flow).problems == [])
        expectProblem(F.validate(flow.setting("nodes.1.settings.status", to: 700)), Code.settingOutOfRange, at: "/nodes/1/settings/status")
        expectProblem(F.validate(flow.setting("nodes.1.settings.status", to: 199)), Code.settingOutOfRange, at: "/nodes/1/settings/status")
        expectProblem(F.validate(flow.setting("nodes.1.settings.content_type", to: "text/html")), Code.settingNotInEnum, at: "/nodes/1/settings/content_type")
    }

    @Test func instagram_and_transcription_settings() {
        let flow: JSONValue = [
            "nodes": [
                ["id": "c", "type": "instagram.comment", "version": 1,
                 "settings": ["credential": .string(F.instagram), "media_ids": ["17895695668004550"]]],
                ["id": "voice", "type": "transcribe.audio", "version": 1,
                 "settings": ["credential": .string(F.llm), "model": "whisper-1", "language": "pt-BR"]],
                ["id": "r", "type": "instagram.private_reply", "version": 1,
                 "settings": ["credential": .string(F.instagram), "text": "{{input}}"]],
            ],
            "edges": [F.edge("c", "message", "voice", "audio"), F.edge("voice", "text", "r", "input")],
        ]
        #expect(F.validate(flow).problems == [])
        expectProblem(F.validate(flow.setting("nodes.0.settings.media_ids.0", to: "abc")), Code.settingPatternMismatch, at: "/nodes/0/settings/media_ids/0")
        expectProblem(F.validate(flow.setting("nodes.1.settings.language", to: "english")), Code.settingPatternMismatch, at: "/nodes/1/settings/language")
        expectProblem(F.validate(flow.setting("nodes.2.settings.text", to: .string(String(repeating: "a", count: 1001)))), Code.settingTooLong, at: "/nodes/2/settings/text")
    }
}
