import Foundation
import Testing
import SMFCore

/// The document's shape and the limits: one failing example per rule, each
/// checked by code and pointer.
@Suite struct FlowValidatorShapeTests {
    typealias F = FlowFixtures
    typealias Code = FlowProblem.Code

    @Test func valid_three_node_flow_has_no_problems() {
        let validation = F.validate(F.threeNodeFlow)
        #expect(validation.problems == [])
        #expect(validation.isValid)
        #expect(validation.document?.nodes.map(\.id) == ["trigger", "answer", "reply"])
        #expect(validation.document?.edges.count == 2)
        #expect(validation.document?.nodes[1].settings["max_tokens"] == .integer(512))
    }

    @Test func document_not_an_object() {
        let validation = F.validate(["nodes"])
        expectProblem(validation, Code.documentNotObject, at: "")
        #expect(validation.document == nil)
    }

    @Test func document_too_large_skips_the_graph_checks() {
        let broken = F.threeNodeFlow.setting("edges", to: [])
        let validation = F.validate(broken, byteCount: FlowLimits.maxDocumentBytes + 1)
        expectProblem(validation, Code.documentTooLarge, at: "")
        #expect(!validation.problems.contains { $0.code == Code.actionNotConnected })
        // Exactly at the limit is fine.
        #expect(F.validate(F.threeNodeFlow, byteCount: FlowLimits.maxDocumentBytes).isValid)
    }

    @Test func missing_nodes() {
        let validation = F.validate(F.threeNodeFlow.setting("nodes", to: nil))
        expectProblem(validation, Code.missingField, at: "/nodes")
        #expect(validation.document == nil)
    }

    @Test func nodes_not_an_array() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes", to: "x")), Code.wrongType, at: "/nodes")
    }

    @Test func unknown_top_level_key() {
        expectProblem(F.validate(F.threeNodeFlow.setting("name", to: "x")), Code.unknownField, at: "/name")
    }

    @Test func unknown_node_key() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.0.color", to: "red")), Code.unknownField, at: "/nodes/0/color")
    }

    @Test func unknown_edge_key() {
        expectProblem(F.validate(F.threeNodeFlow.setting("edges.0.label", to: "x")), Code.unknownField, at: "/edges/0/label")
    }

    @Test func unknown_key_with_slash_is_escaped_in_the_pointer() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.0.a/b~c", to: 1)), Code.unknownField, at: "/nodes/0/a~1b~0c")
    }

    @Test func node_not_an_object() {
        let validation = F.validate(F.threeNodeFlow.setting("nodes.1", to: 7))
        expectProblem(validation, Code.wrongType, at: "/nodes/1")
        #expect(validation.document == nil)
    }

    @Test func version_not_an_integer() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.1.version", to: "1")), Code.wrongType, at: "/nodes/1/version")
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.1.version", to: 1.5)), Code.wrongType, at: "/nodes/1/version")
    }

    @Test func missing_node_type() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.1.type", to: nil)), Code.missingField, at: "/nodes/1/type")
    }

    @Test func settings_not_an_object() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.1.settings", to: [1])), Code.wrongType, at: "/nodes/1/settings")
    }

    @Test func absent_settings_and_position_are_fine() {
        let flow = F.keywordFlow.setting("nodes.0.settings", to: nil)
        #expect(F.validate(flow).isValid)
        #expect(F.validate(F.threeNodeFlow.setting("nodes.0.position", to: nil)).isValid)
        #expect(F.validate(F.threeNodeFlow.setting("nodes.0.position", to: .null)).isValid)
    }

    @Test func position_coordinates() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.0.position.x", to: "a")), Code.wrongType, at: "/nodes/0/position/x")
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.0.position.y", to: nil)), Code.missingField, at: "/nodes/0/position/y")
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.0.position.z", to: 1)), Code.unknownField, at: "/nodes/0/position/z")
    }

    @Test func edge_missing_endpoint() {
        expectProblem(F.validate(F.threeNodeFlow.setting("edges.0.to", to: nil)), Code.missingField, at: "/edges/0/to")
        expectProblem(F.validate(F.threeNodeFlow.setting("edges.0.to.port", to: 3)), Code.wrongType, at: "/edges/0/to/port")
        expectProblem(F.validate(F.threeNodeFlow.setting("edges.1", to: "a->b")), Code.wrongType, at: "/edges/1")
    }

    @Test func invalid_node_ids() {
        for bad in ["bad id", "", String(repeating: "a", count: 65), "ünïcode", "a.b"] {
            let flow = F.threeNodeFlow.setting("nodes.2.id", to: .string(bad)).setting("edges.1.to.node", to: .string(bad))
            let problem = expectProblem(F.validate(flow), Code.invalidNodeID, at: "/nodes/2/id")
            #expect((problem?.detail.count ?? 0) < 200)
        }
        let longest = String(repeating: "A_-9", count: 16)
        let flow = F.threeNodeFlow.setting("nodes.2.id", to: .string(longest)).setting("edges.1.to.node", to: .string(longest))
        #expect(F.validate(flow).isValid)
    }

    @Test func duplicate_node_id() {
        expectProblem(F.validate(F.threeNodeFlow.setting("nodes.2.id", to: "answer")), Code.duplicateNodeID, at: "/nodes/2/id")
    }

    @Test func string_limit_is_16_kib_of_utf8() {
        let path = "nodes.3.settings.body"
        let base = Self.withHTTPRequest(F.threeNodeFlow)
        #expect(F.validate(base).isValid)
        let atLimit = base.setting(path, to: .string(String(repeating: "a", count: FlowLimits.maxStringBytes)))
        #expect(F.validate(atLimit).isValid)
        let over = base.setting(path, to: .string(String(repeating: "a", count: FlowLimits.maxStringBytes + 1)))
        expectProblem(F.validate(over), Code.stringTooLong, at: "/nodes/3/settings/body")
        // Bytes, not characters: 8,193 two-byte characters are too long.
        let wide = base.setting(path, to: .string(String(repeating: "é", count: FlowLimits.maxStringBytes / 2 + 1)))
        expectProblem(F.validate(wide), Code.stringTooLong, at: "/nodes/3/settings/body")
    }

    @Test func long_keys_are_pointed_at_their_object_and_not_quoted() {
        let key = String(repeating: "k", count: FlowLimits.maxStringBytes + 1)
        let validation = F.validate(F.threeNodeFlow.setting([.key("nodes"), .index(0), .key(key)], to: 1))
        expectProblem(validation, Code.stringTooLong, at: "/nodes/0")
        let unknown = expectProblem(validation, Code.unknownField, at: "/nodes/0")
        for problem in validation.problems {
            #expect(problem.pointer.count < 100)
            #expect(problem.detail.count < 300)
        }
        #expect(unknown?.detail.contains("kkkk") == false)
    }

    @Test func nesting_deeper_than_32() {
        var deep: JSONValue = 1
        for _ in 0..<40 { deep = [deep] }
        // document (1) → nodes (2) → node (3) → settings (4) → value (5) …
        let validation = F.validate(F.threeNodeFlow.setting("nodes.0.settings.deep", to: deep))
        let pointer = "/nodes/0/settings/deep" + String(repeating: "/0", count: 28)
        expectProblem(validation, Code.nestingTooDeep, at: pointer)
        expectProblem(validation, Code.settingUnknown, at: "/nodes/0/settings/deep")
    }

    @Test func too_many_nodes_skips_settings_and_graph_checks() {
        var nodes: [JSONValue] = []
        for index in 0...FlowLimits.maxNodes {
            nodes.append(["id": .string("n\(index)"), "type": "llm.chat", "version": 1, "settings": ["bogus": 1]])
        }
        let validation = F.validate(["nodes": .array(nodes), "edges": []])
        expectProblem(validation, Code.tooManyNodes, at: "/nodes")
        #expect(validation.problems.count == 1)
        #expect(validation.document?.nodes.count == 201)
    }

    @Test func two_hundred_nodes_are_allowed() {
        var nodes: [JSONValue] = [["id": "t", "type": "manual", "version": 1]]
        var edges: [JSONValue] = []
        for index in 1..<FlowLimits.maxNodes {
            nodes.append(["id": .string("n\(index)"), "type": "text.template", "version": 1, "settings": ["template": "x"]])
            edges.append(F.edge(index == 1 ? "t" : "n\(index - 1)", index == 1 ? "message" : "output", "n\(index)", "input"))
        }
        let validation = F.validate(["nodes": .array(nodes), "edges": .array(edges)])
        #expect(validation.problems == [])
    }

    @Test func too_many_edges() {
        let edge = F.edge("trigger", "message", "answer", "input")
        let flow = F.threeNodeFlow.setting("edges", to: .array(Array(repeating: edge, count: FlowLimits.maxEdges + 1)))
        let validation = F.validate(flow)
        expectProblem(validation, Code.tooManyEdges, at: "/edges")
        // Graph checks skipped: the 400 duplicates are not reported.
        #expect(!validation.problems.contains { $0.code == Code.duplicateEdge })
    }

    @Test func problems_are_sorted_by_pointer_with_numeric_indices() {
        var flow = F.threeNodeFlow
        var nodes = flow["nodes"]?.arrayValue ?? []
        for index in 0..<12 {
            nodes.append(["id": .string("x\(index)"), "type": "nope", "version": 1])
        }
        flow = flow.setting("nodes", to: .array(nodes))
        let pointers = F.validate(flow).problems.map(\.pointer)
        // A prefix sorts first: /nodes/3 (unreachable) before /nodes/3/type.
        #expect(pointers.first == "/nodes/3")
        #expect(pointers.last == "/nodes/14/type")
        #expect(pointers.firstIndex(of: "/nodes/9/type")! < pointers.firstIndex(of: "/nodes/10/type")!)
    }

    @Test func detail_quotes_at_most_64_characters_of_input() {
        let long = String(repeating: "x", count: 500)
        let validation = F.validate(F.threeNodeFlow.setting("nodes.1.type", to: .string(long)))
        let problem = expectProblem(validation, Code.unknownNodeType, at: "/nodes/1/type")
        #expect(problem?.detail.contains(String(repeating: "x", count: 65)) == false)
        #expect(problem?.detail.contains(String(repeating: "x", count: 64)) == true)
    }

    /// The three-node flow plus an http.request fed by the LLM (node 3).
    static func withHTTPRequest(_ flow: JSONValue) -> JSONValue {
        var nodes = flow["nodes"]?.arrayValue ?? []
        var edges = flow["edges"]?.arrayValue ?? []
        nodes.append([
            "id": "call", "type": "http.request", "version": 1,
            "settings": [
                "method": "POST", "url": "https://api.example.com/v1/items?q={{input}}",
                "headers": [["name": "X-Trace", "value": "{{ message.id }}"]],
                "body": "{\"text\": \"{{input}}\"}", "credential": .string(FlowFixtures.httpHeader),
            ],
        ])
        edges.append(FlowFixtures.edge("answer", "output", "call", "input"))
        return flow.setting("nodes", to: .array(nodes)).setting("edges", to: .array(edges))
    }
}
