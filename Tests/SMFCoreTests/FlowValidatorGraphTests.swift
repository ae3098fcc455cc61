import Foundation
import Testing
import SMFCore

/// Edges, ports, triggers, cycles and reachability: one failing example per rule.
@Suite struct FlowValidatorGraphTests {
    typealias F = FlowFixtures
    typealias Code = FlowProblem.Code

    /// The three-node flow with `nodes` appended and `edges` appended.
    func extended(nodes: [JSONValue] = [], edges: [JSONValue] = []) -> JSONValue {
        let flow = F.threeNodeFlow
        return flow
            .setting("nodes", to: .array((flow["nodes"]?.arrayValue ?? []) + nodes))
            .setting("edges", to: .array((flow["edges"]?.arrayValue ?? []) + edges))
    }

    static func template(_ id: String) -> JSONValue {
        ["id": .string(id), "type": "text.template", "version": 1, "settings": ["template": "{{input}}"]]
    }

    @Test func edge_to_unknown_node() {
        let validation = F.validate(F.threeNodeFlow.setting("edges.1.to.node", to: "nowhere").setting("edges.0.from.node", to: "ghost"))
        expectProblem(validation, Code.edgeUnknownNode, at: "/edges/1/to/node")
        expectProblem(validation, Code.edgeUnknownNode, at: "/edges/0/from/node")
    }

    @Test func edge_from_unknown_port() {
        let problem = expectProblem(F.validate(F.threeNodeFlow.setting("edges.1.from.port", to: "answer")), Code.edgeUnknownPort, at: "/edges/1/from/port")
        #expect(problem?.detail.contains("outputs: output") == true)
        expectProblem(F.validate(F.threeNodeFlow.setting("edges.1.to.port", to: "text")), Code.edgeUnknownPort, at: "/edges/1/to/port")
    }

    @Test func edge_from_an_input() {
        expectProblem(F.validate(F.threeNodeFlow.setting("edges.1.from.port", to: "input")), Code.edgeFromInput, at: "/edges/1/from/port")
    }

    @Test func edge_into_an_output() {
        expectProblem(F.validate(F.threeNodeFlow.setting("edges.0.to.port", to: "output")), Code.edgeIntoOutput, at: "/edges/0/to/port")
    }

    @Test func edge_into_the_trigger() {
        let validation = F.validate(extended(edges: [F.edge("reply", "sent", "trigger", "input")]))
        expectProblem(validation, Code.edgeIntoTrigger, at: "/edges/2/to/node")
    }

    @Test func port_type_mismatch() {
        // text (llm output) cannot feed media (transcription input).
        let voice: JSONValue = ["id": "voice", "type": "transcribe.audio", "version": 1,
                                "settings": ["credential": .string(F.llm), "model": "whisper-1"]]
        let validation = F.validate(extended(nodes: [voice], edges: [F.edge("answer", "output", "voice", "audio")]))
        expectProblem(validation, Code.portTypeMismatch, at: "/edges/2")
    }

    @Test func port_compatibility_table() {
        let allowed: Set<String> = [
            "message>message", "message>text", "message>json", "message>media",
            "json>json", "json>text", "text>text", "media>media",
        ]
        for from in PortType.allCases {
            for into in PortType.allCases {
                #expect(from.canFeed(into) == allowed.contains("\(from.rawValue)>\(into.rawValue)"), "\(from) → \(into)")
            }
        }
    }

    @Test func second_edge_into_a_single_input() {
        let validation = F.validate(extended(nodes: [Self.template("t1")], edges: [
            F.edge("trigger", "message", "t1", "input"), F.edge("t1", "output", "answer", "input"),
        ]))
        expectProblem(validation, Code.inputAlreadyConnected, at: "/edges/3/to")
    }

    @Test func multiple_input_takes_several_edges() {
        let validation = F.validate(extended(nodes: [Self.template("merge")], edges: [
            F.edge("trigger", "message", "merge", "input"), F.edge("answer", "output", "merge", "input"),
        ]))
        #expect(validation.problems == [])
    }

    @Test func duplicate_edge() {
        let validation = F.validate(extended(edges: [F.edge("trigger", "message", "answer", "input")]))
        expectProblem(validation, Code.duplicateEdge, at: "/edges/2")
        #expect(!validation.problems.contains { $0.code == Code.inputAlreadyConnected })
    }

    @Test func cycle_reports_every_node_on_it() {
        let validation = F.validate(extended(nodes: [Self.template("a"), Self.template("b"), Self.template("c")], edges: [
            F.edge("trigger", "message", "a", "input"),
            F.edge("a", "output", "b", "input"),
            F.edge("b", "output", "c", "input"),
            F.edge("c", "output", "a", "input"),
        ]))
        for index in 3...5 { expectProblem(validation, Code.cycle, at: "/nodes/\(index)") }
        #expect(validation.problems.filter { $0.code == Code.cycle }.count == 3)
    }

    @Test func self_loop_is_a_cycle() {
        let validation = F.validate(extended(nodes: [Self.template("a")], edges: [
            F.edge("trigger", "message", "a", "input"), F.edge("a", "output", "a", "input"),
        ]))
        expectProblem(validation, Code.cycle, at: "/nodes/3")
    }

    @Test func no_trigger() {
        let flow = F.threeNodeFlow.setting("nodes.0", to: nil).setting("edges.0", to: nil)
        expectProblem(F.validate(flow), Code.triggerMissing, at: "/nodes")
        expectProblem(F.validate(["nodes": [], "edges": []]), Code.triggerMissing, at: "/nodes")
    }

    @Test func several_triggers() {
        let manual: JSONValue = ["id": "manual", "type": "manual", "version": 1]
        let validation = F.validate(extended(nodes: [manual]))
        expectProblem(validation, Code.triggerMultiple, at: "/nodes/3")
        #expect(!validation.problems.contains { $0.pointer == "/nodes/0" })
    }

    @Test func unreachable_processor_is_a_warning() {
        let validation = F.validate(extended(nodes: [Self.template("lonely")]))
        expectProblem(validation, Code.nodeUnreachable, at: "/nodes/3", severity: .warning)
        #expect(validation.isValid)
        #expect(validation.warnings.count == 1)
    }

    @Test func nodes_behind_an_unreachable_one_are_unreachable_too() {
        let validation = F.validate(extended(nodes: [Self.template("a"), Self.template("b")], edges: [F.edge("a", "output", "b", "input")]))
        expectProblem(validation, Code.nodeUnreachable, at: "/nodes/3", severity: .warning)
        expectProblem(validation, Code.nodeUnreachable, at: "/nodes/4", severity: .warning)
    }

    @Test func action_without_incoming_edge() {
        let send: JSONValue = ["id": "send", "type": "telegram.send_message", "version": 1,
                               "settings": ["credential": .string(F.telegramBot), "text": "hi"]]
        let validation = F.validate(extended(nodes: [send]))
        expectProblem(validation, Code.actionNotConnected, at: "/nodes/3")
        #expect(!validation.problems.contains { $0.code == Code.nodeUnreachable })
    }

    @Test func keyword_branch_ports_come_from_settings() {
        let unknownBranch = F.keywordFlow.setting("edges.2.from.port", to: "refund")
        expectProblem(F.validate(unknownBranch), Code.edgeUnknownPort, at: "/edges/2/from/port")
        let route = NodeCatalog.standard.type(id: "route.keyword", version: 1)
        let settings = F.keywordFlow["nodes"]?[1]?["settings"]?.objectValue ?? [:]
        #expect(route?.outputs(for: settings).map(\.name) == ["help", "price", "otherwise"])
        #expect(route?.outputs(for: [:]).map(\.name) == ["otherwise"])
    }
}
