/// A flow document resolved against the catalog into what the engine walks:
/// nodes in a topological order (ties broken by document order, so the
/// order is the same in every process), and each node's edges per input
/// and output port.
///
/// Documents reaching the engine were validated for deploy; building the
/// plan still re-checks everything the engine relies on (known types,
/// existing ports, compatible port types, one trigger, no cycle) and throws
/// instead of trapping, so a stored document that no longer fits the
/// catalog fails one execution rather than the worker.
public struct ExecutionPlan: Sendable {
    /// In execution order; `nodes[0]` is the trigger.
    public let nodes: [PlannedNode]
    /// Every edge once, with its index in `PlannedNode.incoming/outgoing`.
    public let edges: [PlannedEdge]
    private let indexByID: [String: Int]

    /// The node with this id, if any.
    public func node(_ id: String) -> PlannedNode? {
        indexByID[id].map { nodes[$0] }
    }

    public var trigger: PlannedNode { nodes[0] }

    public init(document: FlowDocument, catalog: NodeCatalog = .standard) throws(ExecutionPlanError) {
        var documentIndex: [String: Int] = [:]
        var types: [NodeType] = []
        for (position, node) in document.nodes.enumerated() {
            guard documentIndex.updateValue(position, forKey: node.id) == nil else {
                throw .duplicateNode(node.id)
            }
            guard let type = catalog.type(id: node.type, version: node.version) else {
                throw .unknownType(node: node.id, type: node.type, version: node.version)
            }
            types.append(type)
        }
        let triggers = document.nodes.indices.filter { types[$0].category == .trigger }
        guard let trigger = triggers.first else { throw .noTrigger }
        guard triggers.count == 1 else { throw .multipleTriggers(triggers.map { document.nodes[$0].id }) }

        // Resolve edges (document order) and count in-degrees.
        var resolved: [(from: Int, to: Int, edge: FlowEdge, output: PortSpec, input: PortSpec)] = []
        var seen = Set<FlowEdge>()
        var singleInputsUsed = Set<FlowEndpoint>()
        for edge in document.edges {
            guard let from = documentIndex[edge.from.node] else { throw .unknownNode(edge.from.node) }
            guard let to = documentIndex[edge.to.node] else { throw .unknownNode(edge.to.node) }
            guard seen.insert(edge).inserted else { throw .duplicateEdge(edge) }
            let outputs = types[from].outputs(for: document.nodes[from].settings)
            guard let output = outputs.first(where: { $0.name == edge.from.port }) else {
                throw .unknownPort(edge.from)
            }
            guard types[to].category != .trigger, let input = types[to].input(named: edge.to.port) else {
                throw .unknownPort(edge.to)
            }
            guard output.type.canFeed(input.type) else { throw .portTypeMismatch(edge) }
            guard input.multiple || singleInputsUsed.insert(edge.to).inserted else { throw .inputTakesOneEdge(edge.to) }
            resolved.append((from, to, edge, output, input))
        }

        // Kahn's algorithm; the ready set is kept sorted by document
        // position (n ≤ FlowLimits.maxNodes, so insertion sort is fine).
        let count = document.nodes.count
        var inDegree = Array(repeating: 0, count: count)
        var successors = Array(repeating: [Int](), count: count)
        for item in resolved {
            inDegree[item.to] += 1
            successors[item.from].append(item.to)
        }
        var ready = (0..<count).filter { inDegree[$0] == 0 && $0 != trigger }
        ready.insert(trigger, at: 0)
        var order: [Int] = []
        order.reserveCapacity(count)
        while !ready.isEmpty {
            let current = ready.removeFirst()
            order.append(current)
            for next in successors[current] {
                inDegree[next] -= 1
                if inDegree[next] == 0 {
                    let slot = ready.firstIndex { $0 > next } ?? ready.endIndex
                    ready.insert(next, at: slot)
                }
            }
        }
        guard order.count == count else {
            throw .cycle((0..<count).filter { inDegree[$0] > 0 }.map { document.nodes[$0].id })
        }

        var planIndex = Array(repeating: 0, count: count)
        for (position, node) in order.enumerated() { planIndex[node] = position }

        // Edges sorted by (source position in the plan, document order), so
        // fan-in inputs gather in plan order.
        let sortedEdges = resolved.indices.sorted { a, b in
            let left = planIndex[resolved[a].from]
            let right = planIndex[resolved[b].from]
            return left != right ? left < right : a < b
        }
        var edges: [PlannedEdge] = []
        var incoming = Array(repeating: [String: [Int]](), count: count)
        var outgoing = Array(repeating: [String: [Int]](), count: count)
        for original in sortedEdges {
            let item = resolved[original]
            let index = edges.count
            edges.append(PlannedEdge(index: index, from: item.edge.from, to: item.edge.to, outputType: item.output.type, inputType: item.input.type))
            incoming[planIndex[item.to]][item.input.name, default: []].append(index)
            outgoing[planIndex[item.from]][item.output.name, default: []].append(index)
        }

        self.nodes = order.enumerated().map { position, original in
            PlannedNode(
                index: position, node: document.nodes[original], type: types[original],
                incoming: incoming[position], outgoing: outgoing[position])
        }
        self.edges = edges
        self.indexByID = Dictionary(uniqueKeysWithValues: self.nodes.map { ($0.id, $0.index) })
    }
}

/// A node of the plan.
public struct PlannedNode: Sendable {
    /// Position in `ExecutionPlan.nodes`.
    public let index: Int
    public let node: FlowNode
    public let type: NodeType
    /// Input port name → indices into `ExecutionPlan.edges`, in plan order.
    /// Only connected ports appear.
    public let incoming: [String: [Int]]
    /// Output port name → indices into `ExecutionPlan.edges`.
    public let outgoing: [String: [Int]]

    public var id: String { node.id }
    public var settings: [String: JSONValue] { node.settings }
}

/// An edge of the plan, with the types of both ends.
public struct PlannedEdge: Sendable, Hashable {
    public let index: Int
    public let from: FlowEndpoint
    public let to: FlowEndpoint
    public let outputType: PortType
    public let inputType: PortType
}

/// Why a document cannot run. Deploy validation refuses all of these, so
/// seeing one means the document or the catalog changed underneath.
public enum ExecutionPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    case duplicateNode(String)
    case unknownType(node: String, type: String, version: Int)
    case noTrigger
    case multipleTriggers([String])
    case unknownNode(String)
    case duplicateEdge(FlowEdge)
    case unknownPort(FlowEndpoint)
    case portTypeMismatch(FlowEdge)
    case inputTakesOneEdge(FlowEndpoint)
    case cycle([String])

    public var description: String {
        switch self {
        case .duplicateNode(let id): return "two nodes have the id \(Quote.user(id))"
        case .unknownType(let node, let type, let version):
            return "node \(Quote.user(node)) has type \(Quote.user(type)) version \(version), which the catalog does not have"
        case .noTrigger: return "the flow has no trigger"
        case .multipleTriggers(let ids): return "the flow has \(ids.count) triggers"
        case .unknownNode(let id): return "an edge names the missing node \(Quote.user(id))"
        case .duplicateEdge(let edge): return "the edge \(Quote.user(edge.from.node)) → \(Quote.user(edge.to.node)) appears twice"
        case .unknownPort(let endpoint): return "node \(Quote.user(endpoint.node)) has no port \(Quote.user(endpoint.port)) for this edge"
        case .portTypeMismatch(let edge): return "the edge \(Quote.user(edge.from.node)) → \(Quote.user(edge.to.node)) joins incompatible ports"
        case .inputTakesOneEdge(let endpoint): return "the input \(Quote.user(endpoint.port)) of \(Quote.user(endpoint.node)) takes one edge"
        case .cycle(let ids): return "the flow has a cycle through \(Quote.list(ids))"
        }
    }
}
