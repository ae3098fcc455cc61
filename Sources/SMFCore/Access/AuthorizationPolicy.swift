/// Everything a caller can do inside a workspace.
public enum WorkspaceAction: String, Sendable, CaseIterable {
    case readWorkspace
    case renameWorkspace
    case listMembers
    case changeMemberRole
    case removeMember
    case inviteMember
    case listInvitations
    case revokeInvitation
    case listAPIKeys
    case createAPIKey
    case revokeAPIKey
    case readSecurityEvents
    /// List, read, export, diff and validate flows and their versions.
    case readFlows
    /// Create, update (new version), import, delete and restore flows.
    case writeFlows
    /// Make a version live, or take the flow offline.
    case deployFlows
    /// List credentials and read their metadata (never their secrets).
    case readCredentials
    /// Store, replace or delete a credential's secrets.
    case writeCredentials
    /// List and read executions, follow their live progress.
    case readExecutions
    /// Run a flow with a manual payload; replay a dead-lettered job.
    case runFlows
}

/// The one authorization policy: for each action, the minimum role a member
/// needs, and the scope an API key needs — or `nil` where only a person may
/// act (managing people and keys is never delegated to automation).
///
/// Every workspace route names its action; `Authorizer` (SMFServer) applies
/// this table and nothing else decides access.
public enum AuthorizationPolicy {
    public struct Rule: Sendable {
        public let minimumRole: WorkspaceRole
        public let apiKeyScope: APIKeyScope?
    }

    public static func rule(for action: WorkspaceAction) -> Rule {
        switch action {
        case .readWorkspace: Rule(minimumRole: .viewer, apiKeyScope: .workspaceRead)
        case .listMembers: Rule(minimumRole: .viewer, apiKeyScope: .membersRead)
        case .renameWorkspace: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .changeMemberRole: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .removeMember: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .inviteMember: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .listInvitations: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .revokeInvitation: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .listAPIKeys: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .createAPIKey: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .revokeAPIKey: Rule(minimumRole: .admin, apiKeyScope: nil)
        case .readSecurityEvents: Rule(minimumRole: .admin, apiKeyScope: .securityEventsRead)
        case .readFlows: Rule(minimumRole: .viewer, apiKeyScope: .flowsRead)
        case .writeFlows: Rule(minimumRole: .editor, apiKeyScope: .flowsWrite)
        case .deployFlows: Rule(minimumRole: .editor, apiKeyScope: .flowsWrite)
        // Metadata only: viewers see which credentials a flow uses.
        case .readCredentials: Rule(minimumRole: .viewer, apiKeyScope: .credentialsWrite)
        // Secrets are managed by admins; a key needs the explicit scope.
        case .writeCredentials: Rule(minimumRole: .admin, apiKeyScope: .credentialsWrite)
        case .readExecutions: Rule(minimumRole: .viewer, apiKeyScope: .executionsRead)
        case .runFlows: Rule(minimumRole: .editor, apiKeyScope: .flowsWrite)
        }
    }

    public static func allows(role: WorkspaceRole, _ action: WorkspaceAction) -> Bool {
        role >= rule(for: action).minimumRole
    }

    public static func allows(scopes: Set<APIKeyScope>, _ action: WorkspaceAction) -> Bool {
        guard let needed = rule(for: action).apiKeyScope else { return false }
        return scopes.contains(needed)
    }

    /// Role changes: only an owner may make or unmake an owner, and nobody
    /// may give a role above their own.
    public static func mayAssign(_ role: WorkspaceRole, from current: WorkspaceRole, actor: WorkspaceRole) -> Bool {
        guard actor >= .admin, role <= actor else { return false }
        if role == .owner || current == .owner { return actor == .owner }
        return true
    }
}
