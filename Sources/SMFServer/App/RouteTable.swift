import SMFCore
import SMFSecurity
import Vapor

/// Which rate limit a route gets.
enum RateLimitChoice: Sendable {
    /// `read` for GET/HEAD, `write` otherwise.
    case byMethod
    /// None: health and metrics, polled by orchestrators and scrapers.
    case exempt
    case limited(RateLimitClass)
}

/// Who may call a route.
enum RouteAccess: Sendable {
    /// Anyone (health, sign-in, registration).
    case anonymous
    /// A signed-in person (session); API keys are refused.
    case user
    /// A member of `:workspaceID` with the role the action needs, or an API
    /// key of that workspace with the scope it needs (`AuthorizationPolicy`).
    case workspace(WorkspaceAction)
}

/// One route: method, path, access rule, body cap and handler. Every route
/// of the server is an entry here; `routes(_:)` registers exactly these,
/// and the authorization matrix test walks the same list, so a route cannot
/// exist without an access rule.
struct RouteSpec: Sendable {
    let method: HTTPMethod
    let path: String
    let access: RouteAccess
    /// Largest body this route accepts (nil: GET-like, the global limit).
    let maxBody: Int?
    /// The rate limit class; nil only for health and metrics, which
    /// orchestrators and scrapers poll.
    let rateLimit: RateLimitClass?
    /// Webhook routes: the body cap is `SMF_WEBHOOK_MAX_BODY_BYTES`, read
    /// when the routes are registered (it is configuration, not a constant).
    let webhookBody: Bool
    let handler: @Sendable (Request) async throws -> Response

    init<R: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ path: String, _ access: RouteAccess, maxBody: Int? = nil, webhookBody: Bool = false,
        rateLimit: RateLimitChoice = .byMethod,
        _ handler: @escaping @Sendable (Request) async throws -> R
    ) {
        self.method = method
        self.path = path
        self.access = access
        self.maxBody = maxBody
        self.webhookBody = webhookBody
        switch rateLimit {
        case .byMethod: self.rateLimit = method == .GET || method == .HEAD ? .read : .write
        case .exempt: self.rateLimit = nil
        case .limited(let kind): self.rateLimit = kind
        }
        self.handler = { request in try await handler(request).encodeResponse(for: request) }
    }

    var pathComponents: [PathComponent] { path.pathComponents }


}

enum RouteTable {
    /// Bodies of identity requests are small.
    static let smallBody = 16 * 1024
    /// Flow documents are at most 256 KiB (`FlowLimits`); the envelope (name,
    /// description, comment) gets 8 KiB on top.
    static let flowBody = 264 * 1024
    /// A manual test message (≤ 16 KiB) plus its envelope.
    static let testBody = 20 * 1024

    static let all: [RouteSpec] = [
        RouteSpec(.GET, "healthz", .anonymous, rateLimit: .exempt, HealthController.healthz),
        RouteSpec(.GET, "readyz", .anonymous, rateLimit: .exempt, HealthController.readyz),
        // Anonymous at the HTTP layer; the handler admits SMF_ADMIN_NETWORKS only.
        RouteSpec(.GET, "metrics", .anonymous, rateLimit: .exempt, MetricsController.scrape),
        RouteSpec(.GET, "api/v1", .anonymous, APIIndexController.index),
        RouteSpec(.GET, "api/v1/openapi.json", .anonymous, OpenAPIController.document),
        RouteSpec(.GET, "api/v1/node-types", .anonymous, NodeTypeController.list),

        RouteSpec(.POST, "api/v1/auth/register", .anonymous, maxBody: smallBody, rateLimit: .limited(.auth), AuthController.register),
        RouteSpec(.POST, "api/v1/auth/login", .anonymous, maxBody: smallBody, rateLimit: .limited(.auth), AuthController.login),
        RouteSpec(.POST, "api/v1/auth/logout", .user, maxBody: smallBody, AuthController.logout),
        RouteSpec(.POST, "api/v1/auth/logout-all", .user, maxBody: smallBody, AuthController.logoutAll),
        RouteSpec(.GET, "api/v1/auth/me", .user, AuthController.me),
        RouteSpec(.POST, "api/v1/auth/password", .user, maxBody: smallBody, rateLimit: .limited(.auth), AuthController.changePassword),
        RouteSpec(.POST, "api/v1/invitations/accept", .user, maxBody: smallBody, InvitationController.acceptAsMember),

        RouteSpec(.POST, "api/v1/workspaces", .user, maxBody: smallBody, WorkspaceController.create),
        RouteSpec(.GET, "api/v1/workspaces", .user, WorkspaceController.listMine),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID", .workspace(.readWorkspace), WorkspaceController.read),
        RouteSpec(.PATCH, "api/v1/workspaces/:workspaceID", .workspace(.renameWorkspace), maxBody: smallBody, WorkspaceController.rename),

        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/members", .workspace(.listMembers), MemberController.list),
        RouteSpec(.PATCH, "api/v1/workspaces/:workspaceID/members/:userID", .workspace(.changeMemberRole), maxBody: smallBody, MemberController.changeRole),
        RouteSpec(.DELETE, "api/v1/workspaces/:workspaceID/members/:userID", .workspace(.removeMember), MemberController.remove),

        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/invitations", .workspace(.inviteMember), maxBody: smallBody, InvitationController.create),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/invitations", .workspace(.listInvitations), InvitationController.list),
        RouteSpec(.DELETE, "api/v1/workspaces/:workspaceID/invitations/:invitationID", .workspace(.revokeInvitation), InvitationController.revoke),

        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/api-keys", .workspace(.createAPIKey), maxBody: smallBody, APIKeyController.create),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/api-keys", .workspace(.listAPIKeys), APIKeyController.list),
        RouteSpec(.DELETE, "api/v1/workspaces/:workspaceID/api-keys/:apiKeyID", .workspace(.revokeAPIKey), APIKeyController.revoke),

        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/security-events", .workspace(.readSecurityEvents), SecurityEventController.list),

        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/flows", .workspace(.readFlows), FlowController.list),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/flows", .workspace(.writeFlows), maxBody: flowBody, FlowController.create),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/flows/validate", .workspace(.readFlows), maxBody: flowBody, FlowController.validate),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/flows/import", .workspace(.writeFlows), maxBody: flowBody, FlowController.importFlow),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/flows/:flowID", .workspace(.readFlows), FlowController.read),
        RouteSpec(.PUT, "api/v1/workspaces/:workspaceID/flows/:flowID", .workspace(.writeFlows), maxBody: flowBody, FlowController.update),
        RouteSpec(.DELETE, "api/v1/workspaces/:workspaceID/flows/:flowID", .workspace(.writeFlows), FlowController.delete),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/flows/:flowID/restore", .workspace(.writeFlows), maxBody: smallBody, FlowController.restore),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/flows/:flowID/deploy", .workspace(.deployFlows), maxBody: smallBody, FlowController.deploy),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/flows/:flowID/undeploy", .workspace(.deployFlows), maxBody: smallBody, FlowController.undeploy),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/flows/:flowID/versions", .workspace(.readFlows), FlowController.listVersions),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/flows/:flowID/versions/:version", .workspace(.readFlows), FlowController.readVersion),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/flows/:flowID/diff", .workspace(.readFlows), FlowController.diff),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/flows/:flowID/export", .workspace(.readFlows), FlowController.export),

        // Credential vault (issue 8): secrets write-only, answers show metadata and hints.
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/credentials", .workspace(.writeCredentials), maxBody: smallBody, CredentialController.create),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/credentials", .workspace(.readCredentials), CredentialController.list),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/credentials/:credentialID", .workspace(.readCredentials), CredentialController.read),
        RouteSpec(.PUT, "api/v1/workspaces/:workspaceID/credentials/:credentialID/secrets", .workspace(.writeCredentials), maxBody: smallBody, CredentialController.replaceSecrets),
        RouteSpec(.DELETE, "api/v1/workspaces/:workspaceID/credentials/:credentialID", .workspace(.writeCredentials), CredentialController.delete),

        // Runs (issue 8): executions, their live progress, dead-letter replay, manual test runs.
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/executions", .workspace(.readExecutions), ExecutionController.list),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/executions/:executionID", .workspace(.readExecutions), ExecutionController.read),
        RouteSpec(.GET, "api/v1/workspaces/:workspaceID/executions/:executionID/events", .workspace(.readExecutions), ExecutionController.events),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/executions/:executionID/replay", .workspace(.runFlows), maxBody: smallBody, ExecutionController.replay),
        RouteSpec(.POST, "api/v1/workspaces/:workspaceID/flows/:flowID/test", .workspace(.runFlows), maxBody: testBody, FlowController.test),

        // Incoming webhooks (issue 8): no session or key; each platform's own
        // authentication over the raw body (WebhookController).
        RouteSpec(.POST, "hooks/telegram/:token", .anonymous, webhookBody: true, rateLimit: .limited(.webhook), WebhookController.telegram),
        RouteSpec(.GET, "hooks/meta/:token", .anonymous, rateLimit: .limited(.webhook), WebhookController.metaHandshake),
        RouteSpec(.POST, "hooks/meta/:token", .anonymous, webhookBody: true, rateLimit: .limited(.webhook), WebhookController.meta),
        RouteSpec(.POST, "hooks/generic/:token", .anonymous, webhookBody: true, rateLimit: .limited(.webhook), WebhookController.generic),

        // Web console (issue 11): its static files under /console/ (own CSP), and
        // where browsers report violations of that policy.
        RouteSpec(.GET, "console", .anonymous, ConsoleController.index),
        RouteSpec(.GET, "console/:asset", .anonymous, ConsoleController.asset),
        RouteSpec(.POST, "api/v1/csp-reports", .anonymous, maxBody: CSPReports.maxBody, CSPReports.receive),
    ]
}
