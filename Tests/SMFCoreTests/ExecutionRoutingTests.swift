import Foundation
import Testing
import SMFCore

/// `route.keyword` and `route.condition`, through the engine and directly.
@Suite struct ExecutionRoutingTests {
    typealias X = ExecFixtures

    func keyword(_ settings: [String: JSONValue], _ text: String) throws -> String {
        try KeywordRouter(settings: settings).route(text)
    }

    func branches(_ keywords: [JSONValue], match: String) -> [String: JSONValue] {
        ["branches": [["port": "hit", "keywords": .array(keywords)]], "match": .string(match)]
    }

    @Test func keyword_contains_is_case_insensitive() throws {
        let settings = branches(["Help"], match: "contains")
        #expect(try keyword(settings, "can you HELP me") == "hit")
        #expect(try keyword(settings, "helpful") == "hit")
        #expect(try keyword(settings, "hel p") == "otherwise")
        // Default mode is contains.
        #expect(try keyword(["branches": [["port": "hit", "keywords": ["help"]]]], "unhelpful") == "hit")
    }

    @Test func keyword_whole_word_needs_word_boundaries() throws {
        let settings = branches(["help", "c++"], match: "whole_word")
        #expect(try keyword(settings, "help!") == "hit")
        #expect(try keyword(settings, "I need Help now") == "hit")
        #expect(try keyword(settings, "helpful") == "otherwise")
        #expect(try keyword(settings, "unhelp") == "otherwise")
        #expect(try keyword(settings, "help_desk") == "otherwise")
        // A later occurrence can match after an earlier one failed.
        #expect(try keyword(settings, "helpful help") == "hit")
        #expect(try keyword(settings, "I like c++.") == "hit")
        #expect(try keyword(branches(["café"], match: "whole_word"), "Un CAFÉ, s'il vous plaît") == "hit")
    }

    @Test func keyword_exact_compares_the_trimmed_text() throws {
        let settings = branches(["stop"], match: "exact")
        #expect(try keyword(settings, "  STOP \n") == "hit")
        #expect(try keyword(settings, "stop now") == "otherwise")
        #expect(try keyword(settings, "nonstop") == "otherwise")
    }

    @Test func keyword_regex_is_case_insensitive_and_branches_go_in_order() throws {
        let settings: [String: JSONValue] = [
            "branches": [
                ["port": "price", "regex": "^(price|cost)s?\\b"],
                ["port": "help", "keywords": ["help"], "regex": "^support"],
                ["port": "late", "keywords": ["price"]],
            ],
        ]
        #expect(try keyword(settings, "PRICES please") == "price")
        #expect(try keyword(settings, "what price? help") == "help")
        #expect(try keyword(settings, "Support needed") == "help")
        #expect(try keyword(settings, "the price") == "late")
        #expect(try keyword(settings, "nothing") == "otherwise")
    }

    @Test func keyword_route_through_the_engine_emits_the_message_on_one_port() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"),
             X.node("route", "route.keyword", ["branches": [["port": "help", "keywords": ["help"]], ["port": "price", "regex": "^price"]]]),
             X.sendNode("help_reply"), X.sendNode("price_reply", text: "{{json.chat.id}}"), X.sendNode("fallback")],
            [X.edge("start", "message", "route"), X.edge("route", "help", "help_reply"),
             X.edge("route", "price", "price_reply"), X.edge("route", "otherwise", "fallback")])
        for (text, taken) in [("price list", "price_reply"), ("help", "help_reply"), ("hi", "fallback")] {
            let runner = FakeRunner()
            let outcome = await X.run(plan, message: ["text": .string(text), "chat": ["id": 5]], runner: runner)
            #expect(outcome.status == .succeeded)
            for reply in ["help_reply", "price_reply", "fallback"] {
                #expect(outcome.status(reply) == (reply == taken ? .succeeded : .skipped), "\(text) → \(reply)")
                #expect(runner.calls(reply) == (reply == taken ? 1 : 0))
            }
            if taken == "price_reply" { #expect(runner.requests.all.first?.rendered("text") == "5") }
        }
    }

    // MARK: - route.condition

    func holds(_ field: String, _ op: String, _ value: JSONValue? = nil, message: JSONValue = X.message) throws -> Bool {
        var settings: [String: JSONValue] = ["field": .string(field), "operator": .string(op)]
        if let value { settings["value"] = value }
        return try ConditionRouter(settings: settings).holds(in: TemplateRenderer(inputs: [.message(message)], message: message))
    }

    @Test func condition_equals_and_not_equals() throws {
        #expect(try holds("message.text", "equals", "Hello there"))
        #expect(try !holds("message.text", "equals", "hello there"))
        #expect(try holds("message.text", "not_equals", "bye"))
        #expect(try !holds("message.text", "not_equals", "Hello there"))
        // Numbers compare numerically, whatever their spelling.
        #expect(try holds("message.chat.id", "equals", "42"))
        #expect(try holds("message.chat.id", "equals", 42.0))
        #expect(try holds("message.chat.id", "equals", "4.2e1"))
        #expect(try !holds("message.chat.id", "equals", "0x2A"))
        // Missing: equals false, not_equals true.
        #expect(try !holds("message.nope", "equals", "x"))
        #expect(try holds("message.nope", "not_equals", "x"))
    }

    @Test func condition_text_operators() throws {
        #expect(try holds("message.text", "contains", "lo th"))
        #expect(try !holds("message.text", "contains", "xyz"))
        #expect(try holds("text", "starts_with", "Hell"))
        #expect(try !holds("text", "starts_with", "there"))
        #expect(try holds("json.text", "ends_with", "there"))
        #expect(try !holds("json.text", "ends_with", "Hello"))
        #expect(try !holds("message.nope", "contains", ""))
    }

    @Test func condition_numeric_operators() throws {
        #expect(try holds("message.chat.id", "greater_than", 9))
        #expect(try !holds("message.chat.id", "greater_than", 42))
        #expect(try holds("message.chat.id", "less_than", 100.5))
        // "9" < "42" numerically even though "9" > "42" as text.
        #expect(try holds("message.n", "less_than", 42, message: ["n": "9"]))
        #expect(try !holds("message.text", "greater_than", 1))
        // Large integers compare exactly (beyond Double precision).
        #expect(try holds("message.n", "greater_than", 9_007_199_254_740_992, message: ["n": 9_007_199_254_740_993]))
        #expect(try !holds("message.n", "greater_than", 9_007_199_254_740_993, message: ["n": 9_007_199_254_740_993]))
    }

    @Test func condition_exists_and_array_paths() throws {
        #expect(try holds("message.from.username", "exists"))
        #expect(try holds("message.from.tags.1", "equals", "y"))
        #expect(try !holds("message.from.tags.5", "exists"))
        #expect(try !holds("message.nothing", "exists"))
        #expect(try !holds("message.n", "exists", message: ["n": nil]))
    }

    @Test func condition_route_through_the_engine() async throws {
        let plan = try X.plan(
            [X.node("start", "manual"), X.node("check", "route.condition", ["field": "message.from.id", "operator": "greater_than", "value": 5]),
             X.sendNode("big"), X.sendNode("small")],
            [X.edge("start", "message", "check"), X.edge("check", "true", "big"), X.edge("check", "false", "small")])
        let runner = FakeRunner()
        let outcome = await X.run(plan, runner: runner)
        #expect(outcome.status("big") == .succeeded && outcome.status("small") == .skipped)
        #expect(runner.calls("small") == 0)
    }
}
