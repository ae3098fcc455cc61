/// The node types flows may use, looked up by id and version.
///
/// `NodeCatalog.standard` is what the server validates against and serves at
/// `GET /api/v1/node-types` (`encodedForAPI()`, or encode the catalog itself:
/// both give the same JSON).
public struct NodeCatalog: Sendable {
    /// In catalog order: triggers, processors, actions; within each, as
    /// listed in `Catalog/`.
    public let types: [NodeType]
    private let index: [TypeKey: NodeType]
    private let versionsByID: [String: [Int]]

    private struct TypeKey: Hashable {
        let id: String
        let version: Int
    }

    /// A catalog of these types; a repeated (id, version) keeps the first.
    public init(types: [NodeType]) {
        var index: [TypeKey: NodeType] = [:]
        var kept: [NodeType] = []
        var versions: [String: [Int]] = [:]
        for type in types where index[TypeKey(id: type.id, version: type.version)] == nil {
            index[TypeKey(id: type.id, version: type.version)] = type
            kept.append(type)
            versions[type.id, default: []].append(type.version)
        }
        self.types = kept
        self.index = index
        self.versionsByID = versions.mapValues { $0.sorted() }
    }

    /// Every type the product ships.
    public static let standard = NodeCatalog(types: TriggerNodes.all + ProcessorNodes.all + ActionNodes.all)

    /// The type `id` at `version`, or nil.
    public func type(id: String, version: Int) -> NodeType? {
        index[TypeKey(id: id, version: version)]
    }

    /// The versions the catalog has of `id`, ascending (empty for an unknown id).
    public func versions(of id: String) -> [Int] {
        versionsByID[id] ?? []
    }
}
