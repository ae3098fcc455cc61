/// What an API key may do. A key holds a set of scopes chosen when it is
/// created; every action names the scope it needs.
public enum APIKeyScope: String, Sendable, Codable, CaseIterable {
    case workspaceRead = "workspace:read"
    case membersRead = "members:read"
    case flowsRead = "flows:read"
    case flowsWrite = "flows:write"
    case executionsRead = "executions:read"
    case credentialsWrite = "credentials:write"
    case securityEventsRead = "security-events:read"
}
