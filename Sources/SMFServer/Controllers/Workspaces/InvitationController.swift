import Fluent
import SMFCore
import SMFSecurity
import Vapor

/// Invitations: single-use, expiring (7 days) tokens to join a workspace
/// with a given role. The token is shown once, to the inviting admin, who
/// passes it on; only its hash is stored.
enum InvitationController {
    static let lifetime: TimeInterval = 7 * 24 * 3600

    struct CreateBody: StrictBody {
        let email: String
        let role: WorkspaceRole
        static let fields: Set<String> = ["email", "role"]

        func problems() -> [SMFError.FieldError] {
            EmailAddress(email) == nil ? [.init(pointer: "/email", detail: "Enter a valid email address.")] : []
        }
    }

    struct AcceptBody: StrictBody {
        let token: String
        static let fields: Set<String> = ["token"]

        func problems() -> [SMFError.FieldError] {
            OpaqueToken.isWellFormed(token) ? [] : [.init(pointer: "/token", detail: "This is not an invitation token.")]
        }
    }

    struct InvitationBody: Content {
        let id: UUID
        let email: String
        let role: String
        let expires_at: Date
        let accepted_at: Date?
        /// Only in the answer to the creation.
        let token: String?
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let body = try request.decodeStrict(CreateBody.self)
        guard let email = EmailAddress(body.email) else { throw SMFError.badRequest("Enter a valid email address.") }
        guard let actorRole = grant.role, AuthorizationPolicy.mayAssign(body.role, from: .viewer, actor: actorRole) else {
            throw SMFError.forbidden
        }
        let now = request.application.smf.clock.now()
        let token = OpaqueToken.generate()
        let invitation = Invitation()
        invitation.workspaceID = grant.workspaceID
        invitation.emailCanonical = email.canonical
        invitation.role = body.role.rawValue
        invitation.tokenHash = OpaqueToken.hash(token)
        invitation.invitedBy = try request.userID()
        invitation.createdAt = now
        invitation.expiresAt = now.addingTimeInterval(lifetime)
        try await invitation.save(on: request.db)
        await request.application.smf.events.record(
            .invitationSent, .success, on: request, userID: grant.caller.userID, workspaceID: grant.workspaceID,
            details: ["role": body.role.rawValue])
        let result = InvitationBody(id: try invitation.requireID(), email: email.canonical, role: invitation.role,
                                    expires_at: invitation.expiresAt, accepted_at: nil, token: token)
        return try await result.encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> [InvitationBody] {
        let grant = try request.grant()
        return try await Invitation.query(on: request.db).filter(\.$workspaceID == grant.workspaceID)
            .filter(\.$revokedAt == nil).sort(\.$createdAt, .descending).all()
            .map { InvitationBody(id: try $0.requireID(), email: $0.emailCanonical, role: $0.role,
                                  expires_at: $0.expiresAt, accepted_at: $0.acceptedAt, token: nil) }
    }

    @Sendable static func revoke(_ request: Request) async throws -> HTTPStatus {
        let grant = try request.grant()
        guard let id = request.parameters.get("invitationID", as: UUID.self),
              let invitation = try await Invitation.query(on: request.db)
                .filter(\.$id == id).filter(\.$workspaceID == grant.workspaceID).first()
        else { throw SMFError.resourceNotFound }
        invitation.revokedAt = request.application.smf.clock.now()
        try await invitation.save(on: request.db)
        return .noContent
    }

    /// A signed-in user accepts an invitation addressed to their email.
    @Sendable static func acceptAsMember(_ request: Request) async throws -> HTTPStatus {
        let userID = try request.userID()
        let body = try request.decodeStrict(AcceptBody.self)
        guard let user = try await User.find(userID, on: request.db), let email = EmailAddress(user.email) else {
            throw SMFError.unauthenticated
        }
        let invitation = try await usableInvitation(token: body.token, email: email, on: request.db, now: request.application.smf.clock.now())
        try await accept(invitation, userID: userID, request: request)
        return .noContent
    }

    /// The invitation for `token` if it is addressed to `email`, unused,
    /// unrevoked and unexpired; otherwise one 404 for every reason.
    static func usableInvitation(token: String, email: EmailAddress, on db: any Database, now: Date) async throws -> Invitation {
        guard let invitation = try await Invitation.query(on: db).filter(\.$tokenHash == OpaqueToken.hash(token)).first(),
              invitation.acceptedAt == nil, invitation.revokedAt == nil, invitation.expiresAt > now,
              ConstantTime.equals(invitation.emailCanonical, email.canonical)
        else {
            throw SMFError(.notFound, code: "invitation-not-found", title: "Not found",
                           detail: "The invitation is unknown, used, expired or for another address.")
        }
        return invitation
    }

    static func accept(_ invitation: Invitation, userID: UUID, request: Request) async throws {
        let now = request.application.smf.clock.now()
        try await request.db.transaction { db in
            invitation.acceptedAt = now
            try await invitation.save(on: db)
            let existing = try await Membership.query(on: db)
                .filter(\.$workspaceID == invitation.workspaceID).filter(\.$userID == userID).first()
            if existing == nil {
                try await Membership(workspaceID: invitation.workspaceID, userID: userID, role: invitation.role, now: now).save(on: db)
            }
        }
        await request.application.smf.events.record(
            .invitationAccepted, .success, on: request, userID: userID, workspaceID: invitation.workspaceID,
            details: ["role": invitation.role])
    }
}
