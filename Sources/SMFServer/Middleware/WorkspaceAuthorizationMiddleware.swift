import Fluent
import SMFCore
import Vapor

/// The one place workspace access is decided (checklist key
/// `app.authn-authz`): every `/workspaces/:workspaceID/…` route names its
/// `WorkspaceAction`, and this middleware applies `AuthorizationPolicy`.
/// Callers outside the workspace get 404 — the same as for a workspace that
/// does not exist, so there is no existence oracle; members whose role is
/// too low get 403. Both are recorded as `authorization.denied`.
struct WorkspaceAuthorizationMiddleware: AsyncMiddleware {
    static let parameter = "workspaceID"
    let action: WorkspaceAction

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let caller = try request.caller()
        guard let workspaceID = request.parameters.get(Self.parameter, as: UUID.self) else {
            throw SMFError.notFound
        }
        let events = request.application.smf.events
        switch caller.credential {
        case .apiKey(let keyID, let keyWorkspace, let scopes):
            guard keyWorkspace == workspaceID else {
                await events.record(.authorizationDenied, .denied, on: request, apiKeyID: keyID,
                                    details: ["action": action.rawValue, "reason": "other workspace"])
                throw SMFError.notFound
            }
            guard AuthorizationPolicy.allows(scopes: scopes, action) else {
                await events.record(.authorizationDenied, .denied, on: request, apiKeyID: keyID, workspaceID: workspaceID,
                                    details: ["action": action.rawValue, "reason": "scope"])
                throw SMFError.forbidden
            }
            request.optionalGrant = WorkspaceGrant(workspaceID: workspaceID, caller: caller, role: nil)
        case .session:
            let userID = try request.userID()
            guard let membership = try await Membership.query(on: request.db)
                .filter(\.$workspaceID == workspaceID).filter(\.$userID == userID).first(),
                let role = WorkspaceRole(rawValue: membership.role)
            else {
                await events.record(.authorizationDenied, .denied, on: request, userID: userID,
                                    details: ["action": action.rawValue, "reason": "not a member"])
                throw SMFError.notFound
            }
            guard AuthorizationPolicy.allows(role: role, action) else {
                await events.record(.authorizationDenied, .denied, on: request, userID: userID, workspaceID: workspaceID,
                                    details: ["action": action.rawValue, "reason": "role", "role": role.rawValue])
                throw SMFError.forbidden
            }
            request.optionalGrant = WorkspaceGrant(workspaceID: workspaceID, caller: caller, role: role)
        }
        return try await next.respond(to: request)
    }
}
