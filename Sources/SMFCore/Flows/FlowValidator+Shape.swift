/// The document's JSON shape: the top-level object, each node and each
/// edge, node ids, and the count limits. Builds what the later checks use.
extension ValidationRun {
    /// A node as far as its shape allowed reading it.
    struct ParsedNode {
        let index: Int
        var id: String?
        var typeName: String?
        var version: Int?
        var settings: [String: JSONValue] = [:]
        var position: FlowPosition?
        /// Every field well-formed (the node can go into a `FlowDocument`).
        var complete = true
        /// Set by the settings step when the catalog knows the type.
        var type: NodeType?

        var pointer: String { "/nodes/\(index)" }
    }

    struct ParsedEdge {
        let index: Int
        var from: FlowEndpoint?
        var to: FlowEndpoint?

        var pointer: String { "/edges/\(index)" }
    }

    struct Shape {
        var nodes: [ParsedNode] = []
        var edges: [ParsedEdge] = []
        var document: FlowDocument?
        var overLimit = false
    }

    typealias Code = FlowProblem.Code

    mutating func checkShape(_ top: [String: JSONValue]) -> Shape {
        var shape = Shape()
        var complete = true
        unknownKeys(top, allowed: Keys.document, at: "")
        let nodes = requiredArray(top, "nodes", at: "")
        let edges = requiredArray(top, "edges", at: "")
        complete = nodes != nil && edges != nil
        if let nodes, nodes.count > FlowLimits.maxNodes {
            error("/nodes", Code.tooManyNodes, "the flow has \(nodes.count) nodes; at most \(FlowLimits.maxNodes) are allowed")
            shape.overLimit = true
        }
        if let edges, edges.count > FlowLimits.maxEdges {
            error("/edges", Code.tooManyEdges, "the flow has \(edges.count) edges; at most \(FlowLimits.maxEdges) are allowed")
            shape.overLimit = true
        }
        var seenIDs = Set<String>()
        for (index, value) in (nodes ?? []).enumerated() {
            let node = parseNode(value, index: index, seenIDs: &seenIDs)
            complete = complete && node.complete
            shape.nodes.append(node)
        }
        for (index, value) in (edges ?? []).enumerated() {
            let edge = parseEdge(value, index: index)
            complete = complete && edge.from != nil && edge.to != nil
            shape.edges.append(edge)
        }
        if complete {
            shape.document = FlowDocument(
                nodes: shape.nodes.compactMap { node in
                    guard let id = node.id, let type = node.typeName, let version = node.version else { return nil }
                    return FlowNode(id: id, type: type, version: version, settings: node.settings, position: node.position)
                },
                edges: shape.edges.compactMap { edge in
                    guard let from = edge.from, let to = edge.to else { return nil }
                    return FlowEdge(from: from, to: to)
                })
        }
        return shape
    }

    private mutating func parseNode(_ value: JSONValue, index: Int, seenIDs: inout Set<String>) -> ParsedNode {
        var node = ParsedNode(index: index)
        let pointer = node.pointer
        guard case .object(let members) = value else {
            error(pointer, Code.wrongType, "a node must be an object, not \(value.typeName)")
            node.complete = false
            return node
        }
        unknownKeys(members, allowed: Keys.node, at: pointer)
        node.id = requiredString(members, "id", at: pointer)
        node.typeName = requiredString(members, "type", at: pointer)
        switch members["version"] {
        case .integer(let version)?:
            node.version = Int(exactly: version)
        case nil:
            error(pointer + "/version", Code.missingField, "a node needs a version (an integer)")
        case let other?:
            error(pointer + "/version", Code.wrongType, "the version must be an integer, not \(other.typeName)")
        }
        switch members["settings"] {
        case nil, .null?:
            break
        case .object(let settings)?:
            node.settings = settings
        case let other?:
            error(pointer + "/settings", Code.wrongType, "settings must be an object, not \(other.typeName)")
            node.complete = false
        }
        if let position = members["position"], !position.isNull {
            node.position = parsePosition(position, at: pointer + "/position")
            node.complete = node.complete && node.position != nil
        }
        node.complete = node.complete && node.id != nil && node.typeName != nil && node.version != nil
        if let id = node.id {
            if !Self.isValidNodeID(id) {
                error(pointer + "/id", Code.invalidNodeID, "node ids are 1 to 64 letters, digits, _ or -; got \(Quote.user(id))")
            }
            if !seenIDs.insert(id).inserted {
                error(pointer + "/id", Code.duplicateNodeID, "another node already has the id \(Quote.user(id))")
            }
        }
        return node
    }

    private mutating func parsePosition(_ value: JSONValue, at pointer: String) -> FlowPosition? {
        guard case .object(let members) = value else {
            error(pointer, Code.wrongType, "a position must be an object with x and y, not \(value.typeName)")
            return nil
        }
        unknownKeys(members, allowed: Keys.position, at: pointer)
        var coordinates: [Double] = []
        for key in ["x", "y"] {
            switch members[key] {
            case nil:
                error(pointer + "/" + key, Code.missingField, "a position needs \(key) (a number)")
            case let member?:
                if let number = member.doubleValue {
                    coordinates.append(number)
                } else {
                    error(pointer + "/" + key, Code.wrongType, "\(key) must be a number, not \(member.typeName)")
                }
            }
        }
        guard coordinates.count == 2 else { return nil }
        return FlowPosition(x: coordinates[0], y: coordinates[1])
    }

    private mutating func parseEdge(_ value: JSONValue, index: Int) -> ParsedEdge {
        var edge = ParsedEdge(index: index)
        let pointer = edge.pointer
        guard case .object(let members) = value else {
            error(pointer, Code.wrongType, "an edge must be an object with from and to, not \(value.typeName)")
            return edge
        }
        unknownKeys(members, allowed: Keys.edge, at: pointer)
        edge.from = parseEndpoint(members, "from", at: pointer)
        edge.to = parseEndpoint(members, "to", at: pointer)
        return edge
    }

    private mutating func parseEndpoint(_ members: [String: JSONValue], _ key: String, at base: String) -> FlowEndpoint? {
        let pointer = base + "/" + key
        guard let value = members[key] else {
            error(pointer, Code.missingField, "an edge needs \(key) (an object with node and port)")
            return nil
        }
        guard case .object(let endpoint) = value else {
            error(pointer, Code.wrongType, "\(key) must be an object with node and port, not \(value.typeName)")
            return nil
        }
        unknownKeys(endpoint, allowed: Keys.endpoint, at: pointer)
        let node = requiredString(endpoint, "node", at: pointer)
        let port = requiredString(endpoint, "port", at: pointer)
        guard let node, let port else { return nil }
        return FlowEndpoint(node: node, port: port)
    }

    // MARK: - Helpers

    /// The keys each object of the document may have (built once, not per call).
    enum Keys {
        static let document: Set<String> = ["nodes", "edges"]
        static let node: Set<String> = ["id", "type", "version", "settings", "position"]
        static let position: Set<String> = ["x", "y"]
        static let edge: Set<String> = ["from", "to"]
        static let endpoint: Set<String> = ["node", "port"]
    }

    /// `^[A-Za-z0-9_-]{1,64}$`, by hand.
    static func isValidNodeID(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...FlowLimits.maxNodeIDLength).contains(bytes.count)
            && bytes.allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Reports every key of `members` not in `allowed` (`unknown-field`).
    mutating func unknownKeys(_ members: [String: JSONValue], allowed: Set<String>, at pointer: String) {
        guard members.count > allowed.count || members.keys.contains(where: { !allowed.contains($0) }) else { return }
        for key in members.keys where !allowed.contains(key) {
            let allowedList = allowed.sorted().joined(separator: ", ")
            if key.utf8.count > FlowLimits.maxQuotedCharacters {
                error(pointer, Code.unknownField, "a key longer than \(FlowLimits.maxQuotedCharacters) bytes is not allowed here (allowed: \(allowedList))")
            } else {
                error(JSONPointer.appending(pointer, key), Code.unknownField, "\(Quote.user(key)) is not allowed here (allowed: \(allowedList))")
            }
        }
    }

    private mutating func requiredArray(_ members: [String: JSONValue], _ key: String, at base: String) -> [JSONValue]? {
        switch members[key] {
        case .array(let elements)?:
            return elements
        case nil:
            error(base + "/" + key, Code.missingField, "the document needs \(key) (an array)")
        case let other?:
            error(base + "/" + key, Code.wrongType, "\(key) must be an array, not \(other.typeName)")
        }
        return nil
    }

    private mutating func requiredString(_ members: [String: JSONValue], _ key: String, at base: String) -> String? {
        switch members[key] {
        case .string(let text)?:
            return text
        case nil:
            error(base + "/" + key, Code.missingField, "\(key) is required (a string)")
        case let other?:
            error(base + "/" + key, Code.wrongType, "\(key) must be a string, not \(other.typeName)")
        }
        return nil
    }
}
