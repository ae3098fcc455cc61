import Foundation
import Testing
import SMFCore

/// Planning: topological order, ports per edge, refusal of unrunnable documents.
@Suite struct ExecutionPlanTests {
    typealias X = ExecFixtures

    @Test func topological_order_puts_sources_first_with_document_order_ties() throws {
        // Listed backwards on purpose: reply depends on b, which depends on a.
        let plan = try X.plan(
            [X.sendNode("reply"), X.templateNode("b", "{{input}}"), X.templateNode("a", "{{input}}"), X.node("start", "manual")],
            [X.edge("a", "output", "b"), X.edge("start", "message", "a"), X.edge("b", "output", "reply")])
        #expect(plan.nodes.map(\.id) == ["start", "a", "b", "reply"])
        #expect(plan.trigger.id == "start")

        // Independent nodes keep document order.
        let wide = try X.plan(
            [X.node("start", "manual"), X.sendNode("z"), X.sendNode("y"), X.sendNode("x")],
            [X.edge("start", "message", "x"), X.edge("start", "message", "z"), X.edge("start", "message", "y")])
        #expect(wide.nodes.map(\.id) == ["start", "z", "y", "x"])
    }

    @Test func edges_are_grouped_by_port() throws {
        let plan = try X.plan(
            [X.node("start", "manual"), X.templateNode("a", "A"), X.templateNode("b", "B"), X.templateNode("join", "{{input}}")],
            [X.edge("start", "message", "a"), X.edge("start", "message", "b"), X.edge("b", "output", "join"), X.edge("a", "output", "join")])
        let join = try #require(plan.node("join"))
        let incoming = try #require(join.incoming["input"])
        // In plan order of the sources: a before b, whatever the document order.
        #expect(incoming.map { plan.edges[$0].from.node } == ["a", "b"])
        #expect(plan.node("start")?.outgoing["message"]?.count == 2)
    }

    @Test func cycle_is_refused() {
        let document = FlowDocument(
            nodes: [FlowNode(id: "t", type: "manual"), FlowNode(id: "a", type: "text.template", settings: ["template": "x"]),
                    FlowNode(id: "b", type: "text.template", settings: ["template": "x"])],
            edges: [
                FlowEdge(from: .init(node: "t", port: "message"), to: .init(node: "a", port: "input")),
                FlowEdge(from: .init(node: "a", port: "output"), to: .init(node: "b", port: "input")),
                FlowEdge(from: .init(node: "b", port: "output"), to: .init(node: "a", port: "input")),
            ])
        #expect(throws: ExecutionPlanError.cycle(["a", "b"])) { try ExecutionPlan(document: document) }
    }

    @Test func unrunnable_documents_are_refused() {
        let trigger = FlowNode(id: "t", type: "manual")
        let send = FlowNode(id: "s", type: "telegram.send_message")
        func edge(_ from: String, _ fromPort: String, _ to: String, _ toPort: String) -> FlowEdge {
            FlowEdge(from: .init(node: from, port: fromPort), to: .init(node: to, port: toPort))
        }
        #expect(throws: ExecutionPlanError.noTrigger) { try ExecutionPlan(document: FlowDocument(nodes: [send])) }
        #expect(throws: ExecutionPlanError.multipleTriggers(["t", "u"])) {
            try ExecutionPlan(document: FlowDocument(nodes: [trigger, FlowNode(id: "u", type: "manual")]))
        }
        #expect(throws: ExecutionPlanError.unknownType(node: "x", type: "nope", version: 1)) {
            try ExecutionPlan(document: FlowDocument(nodes: [trigger, FlowNode(id: "x", type: "nope")]))
        }
        #expect(throws: ExecutionPlanError.duplicateNode("t")) { try ExecutionPlan(document: FlowDocument(nodes: [trigger, trigger])) }
        #expect(throws: ExecutionPlanError.unknownNode("ghost")) {
            try ExecutionPlan(document: FlowDocument(nodes: [trigger, send], edges: [edge("ghost", "message", "s", "input")]))
        }
        #expect(throws: ExecutionPlanError.unknownPort(FlowEndpoint(node: "s", port: "text"))) {
            try ExecutionPlan(document: FlowDocument(nodes: [trigger, send], edges: [edge("t", "message", "s", "text")]))
        }
        let llm = FlowNode(id: "l", type: "llm.chat")
        #expect(throws: ExecutionPlanError.inputTakesOneEdge(FlowEndpoint(node: "s", port: "input"))) {
            try ExecutionPlan(document: FlowDocument(
                nodes: [trigger, llm, send], edges: [edge("t", "message", "l", "input"), edge("t", "message", "s", "input"), edge("l", "output", "s", "input")]))
        }
        let audio = FlowNode(id: "a", type: "transcribe.audio")
        #expect(throws: ExecutionPlanError.portTypeMismatch(edge("l", "output", "a", "audio"))) {
            try ExecutionPlan(document: FlowDocument(
                nodes: [trigger, llm, audio], edges: [edge("t", "message", "l", "input"), edge("l", "output", "a", "audio")]))
        }
    }
}
