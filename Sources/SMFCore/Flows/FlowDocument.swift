/// A flow as stored and exchanged:
///
/// ```json
/// {"nodes": [{"id": "n1", "type": "llm.chat", "version": 1, "settings": {…}, "position": {"x": 0, "y": 0}}],
///  "edges": [{"from": {"node": "n1", "port": "output"}, "to": {"node": "n2", "port": "input"}}]}
/// ```
///
/// Decoding it directly checks only the shape; `FlowValidator` is what
/// decides whether a document is acceptable (and builds one for you).
public struct FlowDocument: Sendable, Hashable, Codable {
    public var nodes: [FlowNode]
    public var edges: [FlowEdge]

    public init(nodes: [FlowNode] = [], edges: [FlowEdge] = []) {
        self.nodes = nodes
        self.edges = edges
    }
}

/// One node: an instance of a catalog type with its settings.
public struct FlowNode: Sendable, Hashable, Codable {
    /// Unique in the document; `^[A-Za-z0-9_-]{1,64}$`.
    public var id: String
    /// A catalog type id (`llm.chat`).
    public var type: String
    public var version: Int
    /// Absent in JSON decodes as empty; always encoded.
    public var settings: [String: JSONValue]
    /// Where the editor draws the node; no meaning to the runtime.
    public var position: FlowPosition?

    public init(id: String, type: String, version: Int = 1, settings: [String: JSONValue] = [:], position: FlowPosition? = nil) {
        self.id = id
        self.type = type
        self.version = version
        self.settings = settings
        self.position = position
    }

    enum CodingKeys: String, CodingKey {
        case id, type, version, settings, position
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        type = try container.decode(String.self, forKey: .type)
        version = try container.decode(Int.self, forKey: .version)
        settings = try container.decodeIfPresent([String: JSONValue].self, forKey: .settings) ?? [:]
        position = try container.decodeIfPresent(FlowPosition.self, forKey: .position)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(version, forKey: .version)
        try container.encode(JSONValue.object(settings), forKey: .settings)
        try container.encodeIfPresent(position, forKey: .position)
    }
}

/// Editor coordinates.
public struct FlowPosition: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A directed edge from an output port to an input port.
public struct FlowEdge: Sendable, Hashable, Codable {
    public var from: FlowEndpoint
    public var to: FlowEndpoint

    public init(from: FlowEndpoint, to: FlowEndpoint) {
        self.from = from
        self.to = to
    }
}

/// A port of a node, by node id and port name.
public struct FlowEndpoint: Sendable, Hashable, Codable, Comparable {
    public var node: String
    public var port: String

    public init(node: String, port: String) {
        self.node = node
        self.port = port
    }

    public static func < (lhs: FlowEndpoint, rhs: FlowEndpoint) -> Bool {
        (lhs.node, lhs.port) < (rhs.node, rhs.port)
    }
}

extension FlowEdge: Comparable {
    /// By source, then target: the order diffs and reports list edges in.
    public static func < (lhs: FlowEdge, rhs: FlowEdge) -> Bool {
        lhs.from != rhs.from ? lhs.from < rhs.from : lhs.to < rhs.to
    }
}

extension FlowDocument {
    /// The document as a JSON value (what `encode(to:)` writes), e.g. to
    /// store it or to validate a document built in code.
    public var jsonValue: JSONValue {
        .object([
            "nodes": .array(nodes.map(\.jsonValue)),
            "edges": .array(edges.map(\.jsonValue)),
        ])
    }
}

extension FlowNode {
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id), "type": .string(type), "version": .integer(Int64(version)),
            "settings": .object(settings),
        ]
        if let position { members["position"] = ["x": .number(position.x), "y": .number(position.y)] }
        return .object(members)
    }
}

extension FlowEdge {
    public var jsonValue: JSONValue {
        [
            "from": ["node": .string(from.node), "port": .string(from.port)],
            "to": ["node": .string(to.node), "port": .string(to.port)],
        ]
    }
}
