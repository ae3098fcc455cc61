/// What changed between two versions of a flow, by node id and edge:
/// for the version history and for deploy confirmations.
///
/// JSON keys are snake_case (`added_nodes`, `removed_nodes`,
/// `changed_nodes`, `added_edges`, `removed_edges`). Node ids are sorted,
/// edges sorted by source then target, setting keys sorted. A repeated node
/// id counts by its first occurrence (valid documents have none).
public struct FlowDiff: Sendable, Codable, Equatable {
    public var addedNodes: [String]
    public var removedNodes: [String]
    public var changedNodes: [NodeChange]
    public var addedEdges: [FlowEdge]
    public var removedEdges: [FlowEdge]

    /// A node present in both versions that differs.
    public struct NodeChange: Sendable, Codable, Equatable {
        public var id: String
        public var typeChanged: Bool
        public var versionChanged: Bool
        /// Keys whose value was added, removed or changed.
        public var changedSettings: [String]
        /// The position differs (also when it was added or removed).
        public var moved: Bool

        public init(id: String, typeChanged: Bool, versionChanged: Bool, changedSettings: [String], moved: Bool) {
            self.id = id
            self.typeChanged = typeChanged
            self.versionChanged = versionChanged
            self.changedSettings = changedSettings
            self.moved = moved
        }

        enum CodingKeys: String, CodingKey {
            case id
            case typeChanged = "type_changed"
            case versionChanged = "version_changed"
            case changedSettings = "changed_settings"
            case moved
        }
    }

    public init(addedNodes: [String] = [], removedNodes: [String] = [], changedNodes: [NodeChange] = [], addedEdges: [FlowEdge] = [], removedEdges: [FlowEdge] = []) {
        self.addedNodes = addedNodes
        self.removedNodes = removedNodes
        self.changedNodes = changedNodes
        self.addedEdges = addedEdges
        self.removedEdges = removedEdges
    }

    enum CodingKeys: String, CodingKey {
        case addedNodes = "added_nodes"
        case removedNodes = "removed_nodes"
        case changedNodes = "changed_nodes"
        case addedEdges = "added_edges"
        case removedEdges = "removed_edges"
    }

    /// Nothing changed.
    public var isEmpty: Bool {
        addedNodes.isEmpty && removedNodes.isEmpty && changedNodes.isEmpty && addedEdges.isEmpty && removedEdges.isEmpty
    }

    public static func between(_ old: FlowDocument, _ new: FlowDocument) -> FlowDiff {
        let before = byID(old.nodes)
        let after = byID(new.nodes)
        var diff = FlowDiff()
        diff.addedNodes = after.keys.filter { before[$0] == nil }.sorted()
        diff.removedNodes = before.keys.filter { after[$0] == nil }.sorted()
        for id in after.keys.sorted() {
            guard let was = before[id], let now = after[id], was != now else { continue }
            let keys = Set(was.settings.keys).union(now.settings.keys)
            let change = NodeChange(
                id: id, typeChanged: was.type != now.type, versionChanged: was.version != now.version,
                changedSettings: keys.filter { was.settings[$0] != now.settings[$0] }.sorted(),
                moved: was.position != now.position)
            diff.changedNodes.append(change)
        }
        let oldEdges = Set(old.edges)
        let newEdges = Set(new.edges)
        diff.addedEdges = newEdges.subtracting(oldEdges).sorted()
        diff.removedEdges = oldEdges.subtracting(newEdges).sorted()
        return diff
    }

    private static func byID(_ nodes: [FlowNode]) -> [String: FlowNode] {
        var result: [String: FlowNode] = [:]
        for node in nodes where result[node.id] == nil { result[node.id] = node }
        return result
    }
}
