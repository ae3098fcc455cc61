/// The graph: edges join existing nodes from an output to a compatible
/// input, single inputs take one edge, there is exactly one trigger, no
/// cycles, every action is fed, and everything is reachable from the
/// trigger. All in O(nodes + edges).
extension ValidationRun {
    mutating func checkGraph(nodes: [ParsedNode], edges: [ParsedEdge]) {
        // First occurrence wins for a repeated id (the repeat is reported).
        var indexByID: [String: Int] = [:]
        for (position, node) in nodes.enumerated() {
            if let id = node.id, indexByID[id] == nil { indexByID[id] = position }
        }
        // Output ports per node, computed once (they may depend on settings).
        let outputs: [[String: PortType]?] = nodes.map { node in
            node.type.map { type in
                Dictionary(type.outputs(for: node.settings).map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
            }
        }

        var successors = Array(repeating: [Int](), count: nodes.count)
        var incoming = Array(repeating: 0, count: nodes.count)
        var seenEdges = Set<FlowEdge>()
        var connectedInputs = Set<FlowEndpoint>()

        for edge in edges {
            guard let from = edge.from, let to = edge.to else { continue }
            let source = indexByID[from.node]
            let target = indexByID[to.node]
            if source == nil {
                error(edge.pointer + "/from/node", Code.edgeUnknownNode, "there is no node \(Quote.user(from.node))")
            }
            if target == nil {
                error(edge.pointer + "/to/node", Code.edgeUnknownNode, "there is no node \(Quote.user(to.node))")
            }
            guard let source, let target else { continue }
            if !seenEdges.insert(FlowEdge(from: from, to: to)).inserted {
                error(edge.pointer, Code.duplicateEdge, "the same edge appears earlier")
                continue
            }
            successors[source].append(target)
            incoming[target] += 1
            let outputType = sourcePort(from, node: nodes[source], outputs: outputs[source], edge: edge)
            let inputType = targetPort(to, node: nodes[target], edge: edge, connected: &connectedInputs)
            if let outputType, let inputType, !outputType.canFeed(inputType) {
                error(edge.pointer, Code.portTypeMismatch, "a \(outputType.rawValue) output cannot feed a \(inputType.rawValue) input")
            }
        }

        let triggers = checkTriggers(nodes)
        checkCycles(nodes, successors: successors)
        checkReachability(nodes, successors: successors, incoming: incoming, trigger: triggers.count == 1 ? triggers.first : nil)
    }

    /// The type of the output port an edge starts at, or nil (reported)
    /// when it is not an output of the node. Unknown node types are not
    /// checked (the type is reported already).
    private mutating func sourcePort(_ from: FlowEndpoint, node: ParsedNode, outputs: [String: PortType]?, edge: ParsedEdge) -> PortType? {
        guard let type = node.type, let outputs else { return nil }
        if let portType = outputs[from.port] { return portType }
        if type.input(named: from.port) != nil {
            error(edge.pointer + "/from/port", Code.edgeFromInput, "\(Quote.user(from.port)) is an input of \(type.id); an edge starts at an output")
        } else {
            // Output names may come from settings (user input): cut the list.
            let known = Quote.list(outputs.keys.sorted())
            error(edge.pointer + "/from/port", Code.edgeUnknownPort, "\(type.id) has no output \(Quote.user(from.port)) (outputs: \(known.isEmpty ? "none" : known))")
        }
        return nil
    }

    /// The type of the input port an edge ends at, or nil (reported). Also
    /// reports a second edge into a single input.
    private mutating func targetPort(_ to: FlowEndpoint, node: ParsedNode, edge: ParsedEdge, connected: inout Set<FlowEndpoint>) -> PortType? {
        guard let type = node.type else { return nil }
        if type.category == .trigger {
            error(edge.pointer + "/to/node", Code.edgeIntoTrigger, "a trigger starts the flow; no edge may lead into it")
            return nil
        }
        guard let input = type.input(named: to.port) else {
            if type.outputs(for: node.settings).contains(where: { $0.name == to.port }) {
                error(edge.pointer + "/to/port", Code.edgeIntoOutput, "\(Quote.user(to.port)) is an output of \(type.id); an edge ends at an input")
            } else {
                let known = Quote.list(type.inputs.map(\.name))
                error(edge.pointer + "/to/port", Code.edgeUnknownPort, "\(type.id) has no input \(Quote.user(to.port)) (inputs: \(known.isEmpty ? "none" : known))")
            }
            return nil
        }
        if !connected.insert(to).inserted, !input.multiple {
            error(edge.pointer + "/to", Code.inputAlreadyConnected, "the input \(input.name) takes one edge and already has one")
        }
        return input.type
    }

    /// Exactly one trigger. Returns the triggers' positions.
    private mutating func checkTriggers(_ nodes: [ParsedNode]) -> [Int] {
        let triggers = nodes.indices.filter { nodes[$0].type?.category == .trigger }
        if triggers.isEmpty {
            // A node of unknown type may be the meant trigger: its type
            // problem says enough.
            let unresolved = nodes.contains { $0.type == nil }
            if !unresolved {
                error("/nodes", Code.triggerMissing, "a flow needs exactly one trigger node; it has none")
            }
        }
        for position in triggers.dropFirst() {
            error(nodes[position].pointer, Code.triggerMultiple, "a flow has exactly one trigger; \(triggers.count) nodes are triggers")
        }
        return triggers
    }

    /// Every node on a cycle (in a strongly connected component of more than
    /// one node, or with an edge to itself): Tarjan's algorithm, iterative.
    private mutating func checkCycles(_ nodes: [ParsedNode], successors: [[Int]]) {
        for component in Self.stronglyConnectedComponents(successors) {
            let isCycle = component.count > 1 || component.first.map { successors[$0].contains($0) } ?? false
            guard isCycle else { continue }
            for position in component {
                error(nodes[position].pointer, Code.cycle, "this node is on a cycle of \(component.count) node\(component.count == 1 ? "" : "s"); a flow must be acyclic")
            }
        }
    }

    /// Warns about nodes the trigger cannot reach; an action with no
    /// incoming edge at all is an error instead.
    private mutating func checkReachability(_ nodes: [ParsedNode], successors: [[Int]], incoming: [Int], trigger: Int?) {
        var reached = Array(repeating: false, count: nodes.count)
        if let trigger {
            var queue = [trigger]
            reached[trigger] = true
            var head = 0
            while head < queue.count {
                let current = queue[head]
                head += 1
                for next in successors[current] where !reached[next] {
                    reached[next] = true
                    queue.append(next)
                }
            }
        }
        for (position, node) in nodes.enumerated() {
            if node.type?.category == .action, incoming[position] == 0 {
                error(node.pointer, Code.actionNotConnected, "an action needs an incoming edge")
            } else if trigger != nil, !reached[position] {
                warning(node.pointer, Code.nodeUnreachable, "the trigger never reaches this node")
            }
        }
    }

    /// Tarjan's SCC algorithm with an explicit stack (no recursion, so any
    /// graph size is safe).
    static func stronglyConnectedComponents(_ successors: [[Int]]) -> [[Int]] {
        let count = successors.count
        var indexOf = Array(repeating: -1, count: count)
        var lowLink = Array(repeating: 0, count: count)
        var onStack = Array(repeating: false, count: count)
        var stack: [Int] = []
        var components: [[Int]] = []
        var nextIndex = 0
        // (node, position of the next successor to visit)
        var work: [(node: Int, edge: Int)] = []

        for root in 0..<count where indexOf[root] < 0 {
            work.append((root, 0))
            indexOf[root] = nextIndex
            lowLink[root] = nextIndex
            nextIndex += 1
            stack.append(root)
            onStack[root] = true
            while let (node, edge) = work.last {
                if edge < successors[node].count {
                    work[work.count - 1].edge += 1
                    let next = successors[node][edge]
                    if indexOf[next] < 0 {
                        indexOf[next] = nextIndex
                        lowLink[next] = nextIndex
                        nextIndex += 1
                        stack.append(next)
                        onStack[next] = true
                        work.append((next, 0))
                    } else if onStack[next] {
                        lowLink[node] = min(lowLink[node], indexOf[next])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { lowLink[parent] = min(lowLink[parent], lowLink[node]) }
                if lowLink[node] == indexOf[node] {
                    var component: [Int] = []
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component.append(member)
                        if member == node { break }
                    }
                    components.append(component)
                }
            }
        }
        return components
    }
}
