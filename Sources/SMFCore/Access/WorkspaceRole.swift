/// A member's role in a workspace, from least to most powerful.
public enum WorkspaceRole: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, editor, admin, owner

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .editor: 1
        case .admin: 2
        case .owner: 3
        }
    }

    public static func < (lhs: WorkspaceRole, rhs: WorkspaceRole) -> Bool { lhs.rank < rhs.rank }
}
