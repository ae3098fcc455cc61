import Foundation
import SMFCore
import SMFSecurity
import Vapor

/// Request and response bodies of `/api/v1/auth/*`. Separate from the
/// models on purpose: what a client may send is exactly these fields.
enum AuthBodies {
    static let maxEmailBytes = 254

    struct Register: StrictBody {
        let email: String
        let password: String
        let invitation_token: String?
        static let fields: Set<String> = ["email", "password", "invitation_token"]

        func problems() -> [SMFError.FieldError] {
            var problems: [SMFError.FieldError] = []
            let address = EmailAddress(email)
            if address == nil { problems.append(.init(pointer: "/email", detail: "Enter a valid email address.")) }
            problems += IdentityService.passwordProblems(password, email: address)
            if let token = invitation_token, !OpaqueToken.isWellFormed(token) {
                problems.append(.init(pointer: "/invitation_token", detail: "This is not an invitation token."))
            }
            return problems
        }
    }

    struct Login: StrictBody {
        enum Delivery: String, Decodable { case cookie, bearer }
        let email: String
        let password: String
        /// `cookie` (browsers, the default) or `bearer` (API clients: the token is in the body, no cookie).
        let delivery: Delivery?
        static let fields: Set<String> = ["email", "password", "delivery"]

        func problems() -> [SMFError.FieldError] {
            var problems: [SMFError.FieldError] = []
            if email.utf8.count > maxEmailBytes || email.isEmpty { problems.append(.init(pointer: "/email", detail: "Enter your email address.")) }
            if password.isEmpty || password.utf8.count > 512 { problems.append(.init(pointer: "/password", detail: "Enter your password.")) }
            return problems
        }
    }

    struct ChangePassword: StrictBody {
        let current_password: String
        let new_password: String
        static let fields: Set<String> = ["current_password", "new_password"]

        func problems() -> [SMFError.FieldError] {
            current_password.isEmpty || current_password.utf8.count > 512
                ? [.init(pointer: "/current_password", detail: "Enter your current password.")] : []
        }
    }

    struct Accepted: Content {
        let status: String
        let detail: String
    }

    struct SessionInfo: Content {
        let user_id: UUID
        let expires_at: Date
        let csrf_token: String
        /// Only for `delivery: bearer`.
        let token: String?
    }

    struct Me: Content {
        struct Membership: Content {
            let workspace_id: UUID
            let name: String
            let role: String
        }
        let id: UUID
        let email: String
        let created_at: Date
        let workspaces: [Membership]
    }
}
