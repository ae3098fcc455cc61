/// The role of a node in a flow: a flow has exactly one trigger, and every
/// action must be fed by something.
public enum NodeCategory: String, Sendable, Codable, CaseIterable {
    case trigger, processor, action
}
