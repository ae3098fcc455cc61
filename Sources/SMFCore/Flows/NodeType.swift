/// One kind of node a flow can use, at one version: its ports, its settings
/// and what it is for. A node in a document names its type by `id` and
/// `version`; a changed contract gets a new version next to the old one, so
/// stored flows keep validating.
public struct NodeType: Sendable, Hashable {
    /// Dotted, lower-case (`llm.chat`).
    public let id: String
    /// Starts at 1.
    public let version: Int
    public let category: NodeCategory
    public let title: String
    public let description: String
    public let inputs: [PortSpec]
    /// The outputs every node of this type has.
    public let staticOutputs: [PortSpec]
    /// Outputs derived from a setting (before the static ones), if any.
    public let dynamicOutputs: DynamicOutputs?
    public let settings: SettingSchema

    public init(
        id: String, version: Int = 1, category: NodeCategory, title: String, description: String,
        inputs: [PortSpec] = [], outputs: [PortSpec] = [], dynamicOutputs: DynamicOutputs? = nil,
        settings: SettingSchema = .empty
    ) {
        self.id = id
        self.version = version
        self.category = category
        self.title = title
        self.description = description
        self.inputs = inputs
        self.staticOutputs = outputs
        self.dynamicOutputs = dynamicOutputs
        self.settings = settings
    }

    /// The output ports of a node of this type with these settings: one per
    /// well-formed item of the dynamic-output list (items without a string
    /// name are skipped; the validator reports them), then the static ones.
    public func outputs(for settings: [String: JSONValue]) -> [PortSpec] {
        guard let dynamic = dynamicOutputs else { return staticOutputs }
        let items = settings[dynamic.setting]?.arrayValue ?? []
        let derived = items.compactMap { item in
            item[dynamic.nameField]?.stringValue.map { PortSpec(name: $0, type: dynamic.type) }
        }
        return derived + staticOutputs
    }

    public func input(named name: String) -> PortSpec? {
        inputs.first { $0.name == name }
    }
}
