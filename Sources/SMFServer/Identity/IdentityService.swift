import Fluent
import SMFCore
import SMFSecurity
import Vapor

/// Account, session and membership operations shared by the HTTP routes
/// and the `smflow admin` commands.
enum IdentityService {
    /// A new session: the clear tokens (returned to the client once) and the stored row.
    struct NewSession {
        let token: String
        let csrfToken: String
        let session: Session
    }

    static func passwordProblems(_ password: String, email: EmailAddress?, pointer: String = "/password") -> [SMFError.FieldError] {
        PasswordPolicy.problems(password: password, email: email).map { SMFError.FieldError(pointer: pointer, detail: $0.message) }
    }

    /// Creates an account with a personal workspace (or none, when
    /// `workspaceName` is nil), in one transaction.
    static func createUser(
        email: EmailAddress, password: String, workspaceName: String?, role: WorkspaceRole = .owner,
        context: AppContext, on db: any Database
    ) async throws -> (user: User, workspaceID: UUID?) {
        let hash = try await context.hasher.hash(password)
        let now = context.clock.now()
        return try await db.transaction { db in
            let user = User(email: email.normalized, emailCanonical: email.canonical, passwordHash: hash, now: now)
            try await user.save(on: db)
            var workspaceID: UUID?
            if let workspaceName {
                let workspace = Workspace(name: workspaceName, now: now)
                try await workspace.save(on: db)
                try await Membership(workspaceID: try workspace.requireID(), userID: try user.requireID(), role: role.rawValue, now: now)
                    .save(on: db)
                workspaceID = workspace.id
            }
            return (user, workspaceID)
        }
    }

    static func findUser(_ email: EmailAddress, on db: any Database) async throws -> User? {
        try await User.query(on: db).filter(\.$emailCanonical == email.canonical).first()
    }

    /// A fresh session for `userID` — always new tokens (no fixation).
    static func startSession(userID: UUID, request: Request) async throws -> NewSession {
        let context = request.application.smf
        let now = context.clock.now()
        let token = OpaqueToken.generate()
        let csrf = OpaqueToken.generate()
        let session = Session(
            userID: userID, tokenHash: context.tokens.hash(token), csrfHash: context.tokens.hash(csrf),
            keyID: context.tokens.currentKeyID, now: now,
            expiresAt: now.addingTimeInterval(context.config.sessionAbsoluteTimeout),
            userAgent: SecurityEventRecorder.clean(request.headers.first(name: .userAgent) ?? "", limit: 256),
            ip: request.clientAddress)
        try await session.save(on: request.db)
        return NewSession(token: token, csrfToken: csrf, session: session)
    }

    /// Revokes every live session of a user; returns how many.
    @discardableResult
    static func revokeAllSessions(userID: UUID, now: Date, on db: any Database) async throws -> Int {
        let live = try await Session.query(on: db).filter(\.$userID == userID).filter(\.$revokedAt == nil).all()
        for session in live {
            session.revokedAt = now
            try await session.save(on: db)
        }
        return live.count
    }
}
