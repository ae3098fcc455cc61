import Foundation
import Testing
import SMFCore

@Suite struct FlowDiffTests {
    func document(_ value: JSONValue) throws -> FlowDocument {
        try #require(FlowFixtures.validate(value).document)
    }

    @Test func identical_documents_have_an_empty_diff() throws {
        let flow = try document(FlowFixtures.threeNodeFlow)
        let diff = FlowDiff.between(flow, flow)
        #expect(diff.isEmpty)
        #expect(diff == FlowDiff())
    }

    @Test func added_removed_and_changed_nodes_and_edges() throws {
        let old = try document(FlowFixtures.threeNodeFlow)
        var new = old
        new.nodes[1].settings["temperature"] = 1.1
        new.nodes[1].settings["system_prompt"] = nil
        new.nodes[1].settings["top"] = nil
        new.nodes[1].position = FlowPosition(x: 5, y: 5)
        new.nodes[2].type = "instagram.send_message"
        new.nodes.append(FlowNode(id: "extra", type: "text.template", settings: ["template": "x"]))
        new.nodes.remove(at: 0)
        new.edges = [FlowEdge(from: FlowEndpoint(node: "extra", port: "output"), to: FlowEndpoint(node: "answer", port: "input"))]
            + new.edges.dropFirst()
        let diff = FlowDiff.between(old, new)
        #expect(diff.addedNodes == ["extra"])
        #expect(diff.removedNodes == ["trigger"])
        #expect(diff.changedNodes == [
            .init(id: "answer", typeChanged: false, versionChanged: false, changedSettings: ["system_prompt", "temperature"], moved: true),
            .init(id: "reply", typeChanged: true, versionChanged: false, changedSettings: [], moved: false),
        ])
        #expect(diff.addedEdges == [FlowEdge(from: .init(node: "extra", port: "output"), to: .init(node: "answer", port: "input"))])
        #expect(diff.removedEdges == [FlowEdge(from: .init(node: "trigger", port: "message"), to: .init(node: "answer", port: "input"))])
    }

    @Test func diff_order_is_deterministic_and_keys_are_snake_case() throws {
        let old = FlowDocument(nodes: [], edges: [])
        let nodes = ["b", "a", "c"].map { FlowNode(id: $0, type: "manual") }
        let edges = [("b", "a"), ("a", "c"), ("a", "b")].map {
            FlowEdge(from: FlowEndpoint(node: $0.0, port: "message"), to: FlowEndpoint(node: $0.1, port: "input"))
        }
        let diff = FlowDiff.between(old, FlowDocument(nodes: nodes, edges: edges))
        #expect(diff.addedNodes == ["a", "b", "c"])
        #expect(diff.addedEdges.map { "\($0.from.node)>\($0.to.node)" } == ["a>b", "a>c", "b>a"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(FlowDiff.between(
            FlowDocument(nodes: [FlowNode(id: "x", type: "manual")]),
            FlowDocument(nodes: [FlowNode(id: "x", type: "manual", version: 2)]))))
        #expect(json == [
            "added_nodes": [], "removed_nodes": [], "added_edges": [], "removed_edges": [],
            "changed_nodes": [["id": "x", "type_changed": false, "version_changed": true, "changed_settings": [], "moved": false]],
        ])
    }

    @Test func document_codable_round_trip_uses_the_documented_keys() throws {
        let flow = try document(FlowFixtures.threeNodeFlow)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(flow)
        #expect(try JSONDecoder().decode(FlowDocument.self, from: data) == flow)
        #expect(try encoder.encode(flow.jsonValue) == data)
        let minimal = try JSONDecoder().decode(FlowDocument.self, from: Data(#"{"nodes":[{"id":"a","type":"manual","version":1}],"edges":[]}"#.utf8))
        #expect(minimal.nodes[0].settings == [:])
        #expect(minimal.nodes[0].position == nil)
    }
}
