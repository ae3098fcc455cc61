import Fluent
import SMFCore
import Vapor

/// `/api/v1/workspaces/:workspaceID/members`: list, change role, remove.
enum MemberController {
    struct MemberBody: Content {
        let user_id: UUID
        let email: String
        let role: String
        let joined_at: Date
    }

    struct RoleBody: StrictBody {
        let role: WorkspaceRole
        static let fields: Set<String> = ["role"]
    }

    @Sendable static func list(_ request: Request) async throws -> [MemberBody] {
        let grant = try request.grant()
        let memberships = try await Membership.query(on: request.db).filter(\.$workspaceID == grant.workspaceID).all()
        var result: [MemberBody] = []
        for membership in memberships {
            guard let user = try await User.find(membership.userID, on: request.db) else { continue }
            result.append(MemberBody(user_id: membership.userID, email: user.email, role: membership.role, joined_at: membership.createdAt))
        }
        return result.sorted { $0.email < $1.email }
    }

    @Sendable static func changeRole(_ request: Request) async throws -> MemberBody {
        let grant = try request.grant()
        let body = try request.decodeStrict(RoleBody.self)
        let (membership, user) = try await target(request, grant: grant)
        guard let actorRole = grant.role, let current = WorkspaceRole(rawValue: membership.role),
              AuthorizationPolicy.mayAssign(body.role, from: current, actor: actorRole) else {
            await request.application.smf.events.record(
                .authorizationDenied, .denied, on: request, userID: grant.caller.userID, workspaceID: grant.workspaceID,
                details: ["action": "changeMemberRole", "reason": "role", "requested": body.role.rawValue])
            throw SMFError.forbidden
        }
        if current == .owner && body.role != .owner {
            try await requireAnotherOwner(grant.workspaceID, besides: membership.userID, on: request.db)
        }
        membership.role = body.role.rawValue
        try await membership.save(on: request.db)
        await request.application.smf.events.record(
            .roleChanged, .success, on: request, userID: grant.caller.userID, workspaceID: grant.workspaceID,
            details: ["member": membership.userID.uuidString, "from": current.rawValue, "to": body.role.rawValue])
        return MemberBody(user_id: membership.userID, email: user.email, role: membership.role, joined_at: membership.createdAt)
    }

    @Sendable static func remove(_ request: Request) async throws -> HTTPStatus {
        let grant = try request.grant()
        let (membership, _) = try await target(request, grant: grant)
        let current = WorkspaceRole(rawValue: membership.role) ?? .viewer
        guard let actorRole = grant.role, current <= actorRole, current != .owner || actorRole == .owner else {
            throw SMFError.forbidden
        }
        if current == .owner {
            try await requireAnotherOwner(grant.workspaceID, besides: membership.userID, on: request.db)
        }
        try await membership.delete(on: request.db)
        await request.application.smf.events.record(
            .memberRemoved, .success, on: request, userID: grant.caller.userID, workspaceID: grant.workspaceID,
            details: ["member": membership.userID.uuidString])
        return .noContent
    }

    private static func target(_ request: Request, grant: WorkspaceGrant) async throws -> (Membership, User) {
        guard let userID = request.parameters.get("userID", as: UUID.self),
              let membership = try await Membership.query(on: request.db)
                .filter(\.$workspaceID == grant.workspaceID).filter(\.$userID == userID).first(),
              let user = try await User.find(userID, on: request.db)
        else { throw SMFError.resourceNotFound }
        return (membership, user)
    }

    /// A workspace always keeps at least one owner.
    private static func requireAnotherOwner(_ workspaceID: UUID, besides userID: UUID, on db: any Database) async throws {
        let owners = try await Membership.query(on: db).filter(\.$workspaceID == workspaceID)
            .filter(\.$role == WorkspaceRole.owner.rawValue).filter(\.$userID != userID).count()
        guard owners > 0 else {
            throw SMFError(.conflict, code: "last-owner", title: "Conflict", detail: "A workspace needs at least one owner.")
        }
    }
}
