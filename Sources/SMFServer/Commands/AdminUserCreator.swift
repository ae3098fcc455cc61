import Fluent
import SMFCore
import SMFSecurity
import Vapor

/// `smflow admin create-user`: the first owner of a fresh installation (or
/// any account) without opening registration.
public enum AdminUserCreator {
    public enum Failure: Error, CustomStringConvertible {
        case invalidEmail
        case weakPassword([String])
        case exists

        public var description: String {
            switch self {
            case .invalidEmail: "the email address is not valid"
            case .weakPassword(let problems): "the password is not acceptable: " + problems.joined(separator: "; ")
            case .exists: "an account with this email already exists"
            }
        }
    }

    /// Creates the account and a workspace named `workspaceName` in which it
    /// has `role`. Migrations are applied first outside production.
    public static func create(
        config: AppConfig, email rawEmail: String, password: String, role: WorkspaceRole, workspaceName: String
    ) async throws -> (userID: UUID, workspaceID: UUID?) {
        guard let email = EmailAddress(rawEmail) else { throw Failure.invalidEmail }
        let problems = PasswordPolicy.problems(password: password, email: email)
        guard problems.isEmpty else { throw Failure.weakPassword(problems.map(\.message)) }
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            if !config.isProduction { try await app.autoMigrate() }
            guard try await IdentityService.findUser(email, on: app.db) == nil else { throw Failure.exists }
            let created = try await IdentityService.createUser(
                email: email, password: password, workspaceName: workspaceName, role: role, context: app.smf, on: app.db)
            try await app.asyncShutdown()
            return (try created.user.requireID(), created.workspaceID)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}
