/// A named, typed port of a node type.
public struct PortSpec: Sendable, Hashable, Codable {
    public let name: String
    public let type: PortType
    /// Inputs only: whether the port accepts several incoming edges (the
    /// default is one). Always false for outputs: an output may feed any
    /// number of edges anyway.
    public let multiple: Bool

    public init(name: String, type: PortType, multiple: Bool = false) {
        self.name = name
        self.type = type
        self.multiple = multiple
    }
}

/// Output ports that come from a setting rather than from the node type:
/// one port per item of the list setting `setting`, named by the item's
/// `nameField` (e.g. `route.keyword`: one port per entry of `branches`,
/// named by its `port`).
public struct DynamicOutputs: Sendable, Hashable, Codable {
    public let setting: String
    public let nameField: String
    public let type: PortType

    public init(setting: String, nameField: String, type: PortType) {
        self.setting = setting
        self.nameField = nameField
        self.type = type
    }

    enum CodingKeys: String, CodingKey {
        case setting
        case nameField = "name_field"
        case type
    }
}
