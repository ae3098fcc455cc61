import Fluent
import SMFCore
import SMFSecurity
import Vapor

/// `/api/v1/auth/*`: registration, sign-in and -out, the current user,
/// password change (checklist keys `app.authn-authz`, `monitor.failed-auth`).
enum AuthController {
    static let invalidCredentials = SMFError(
        .unauthorized, code: "invalid-credentials", title: "Unauthorized",
        detail: "The email or password is incorrect.")

    /// The same answer whether or not the address was new, so registration
    /// cannot be used to find out who has an account.
    static let registrationAccepted = AuthBodies.Accepted(
        status: "accepted", detail: "If the address can be registered, the account is ready: sign in with it.")

    @Sendable static func register(_ request: Request) async throws -> Response {
        let context = request.application.smf
        let now = context.clock.now()
        let ip = request.clientAddress
        let ipKey = LoginThrottleStore.registrationKey(ip)
        if let wait = try await LoginThrottleStore.retryAfter(ipKey, policy: .registration, now: now, on: request.db) {
            throw SMFError.tooManyAttempts(retryAfter: wait)
        }
        let body = try request.decodeStrict(AuthBodies.Register.self)
        guard let email = EmailAddress(body.email) else { throw SMFError.badRequest("Enter a valid email address.") }
        // Every attempt counts against the IP: registration is cheap to spam.
        try await LoginThrottleStore.recordFailure(ipKey, policy: .registration, now: now, on: request.db)

        switch context.config.registration {
        case .closed:
            throw SMFError(.forbidden, code: "registration-closed", title: "Forbidden",
                           detail: "Registration is closed; ask an administrator for an account.")
        case .invite:
            guard let token = body.invitation_token else {
                throw SMFError(.forbidden, code: "invitation-required", title: "Forbidden",
                               detail: "Registration needs an invitation token.")
            }
            let invitation = try await InvitationController.usableInvitation(token: token, email: email, on: request.db, now: now)
            if try await IdentityService.findUser(email, on: request.db) != nil {
                try await context.hasher.verifyDummy(body.password)
                return try await registrationAccepted.encodeResponse(status: .accepted, for: request)
            }
            let created = try await IdentityService.createUser(
                email: email, password: body.password, workspaceName: nil, context: context, on: request.db)
            try await InvitationController.accept(invitation, userID: try created.user.requireID(), request: request)
            await context.events.record(.registration, .success, on: request, userID: created.user.id,
                                        workspaceID: invitation.workspaceID, details: ["mode": "invite"])
        case .open:
            if try await IdentityService.findUser(email, on: request.db) != nil {
                // Spend the time a real registration would.
                _ = try await context.hasher.hash(body.password)
                await context.events.record(.registration, .failure, on: request, details: ["reason": "exists"])
                return try await registrationAccepted.encodeResponse(status: .accepted, for: request)
            }
            let created = try await IdentityService.createUser(
                email: email, password: body.password, workspaceName: "Personal", context: context, on: request.db)
            await context.events.record(.registration, .success, on: request, userID: created.user.id,
                                        workspaceID: created.workspaceID, details: ["mode": "open"])
        }
        return try await registrationAccepted.encodeResponse(status: .accepted, for: request)
    }

    @Sendable static func login(_ request: Request) async throws -> Response {
        let context = request.application.smf
        let body = try request.decodeStrict(AuthBodies.Login.self)
        let now = context.clock.now()
        let email = EmailAddress(body.email)
        let accountKey = LoginThrottleStore.accountKey(email?.canonical ?? body.email.lowercased())
        let ipKey = LoginThrottleStore.ipKey(request.clientAddress)

        // Throttled keys are refused before any password check — even the right password.
        let accountWait = try await LoginThrottleStore.retryAfter(accountKey, policy: .account, now: now, on: request.db)
        let ipWait = try await LoginThrottleStore.retryAfter(ipKey, policy: .clientIP, now: now, on: request.db)
        if let wait = [accountWait, ipWait].compactMap({ $0 }).max() {
            await context.events.record(.login, .throttled, on: request,
                                        details: ["scope": accountWait != nil ? "account" : "ip"])
            throw SMFError.tooManyAttempts(retryAfter: wait)
        }

        let user = try await email.asyncFlatMap { try await IdentityService.findUser($0, on: request.db) }
        let verified: Bool
        if let user {
            verified = try await context.hasher.verify(body.password, against: user.passwordHash) && !user.isDisabled
        } else {
            try await context.hasher.verifyDummy(body.password)
            verified = false
        }
        guard verified, let user, let userID = user.id else {
            try await LoginThrottleStore.recordFailure(accountKey, policy: .account, now: now, on: request.db)
            try await LoginThrottleStore.recordFailure(ipKey, policy: .clientIP, now: now, on: request.db)
            context.usage.failedSignIn(request, account: accountKey)
            await context.events.record(.login, .failure, on: request, userID: user?.id,
                                        details: ["reason": user == nil ? "unknown account" : (user!.isDisabled ? "disabled" : "wrong password")])
            throw invalidCredentials
        }
        try await LoginThrottleStore.reset(accountKey, on: request.db)
        let started = try await IdentityService.startSession(userID: userID, request: request)
        await context.events.record(.login, .success, on: request, userID: userID)

        let bearer = body.delivery == .bearer
        let info = AuthBodies.SessionInfo(
            user_id: userID, expires_at: started.session.expiresAt, csrf_token: started.csrfToken,
            token: bearer ? started.token : nil)
        let response = try await info.encodeResponse(status: .ok, for: request)
        if !bearer {
            SessionCookies.set(on: response, token: started.token, csrf: started.csrfToken,
                               maxAge: Int(context.config.sessionAbsoluteTimeout))
        }
        return response
    }

    @Sendable static func logout(_ request: Request) async throws -> Response {
        let caller = try request.caller()
        guard case .session(let sessionID, _) = caller.credential,
              let session = try await Session.find(sessionID, on: request.db) else { throw SMFError.unauthenticated }
        session.revokedAt = request.application.smf.clock.now()
        try await session.save(on: request.db)
        await request.application.smf.events.record(.logout, .success, on: request, userID: caller.userID)
        let response = Response(status: .noContent)
        SessionCookies.clear(on: response)
        return response
    }

    @Sendable static func logoutAll(_ request: Request) async throws -> Response {
        let userID = try request.userID()
        let context = request.application.smf
        let count = try await IdentityService.revokeAllSessions(userID: userID, now: context.clock.now(), on: request.db)
        await context.events.record(.sessionRevoked, .success, on: request, userID: userID,
                                    details: ["reason": "logout-all", "count": String(count)])
        let response = Response(status: .noContent)
        SessionCookies.clear(on: response)
        return response
    }

    @Sendable static func me(_ request: Request) async throws -> AuthBodies.Me {
        let userID = try request.userID()
        guard let user = try await User.find(userID, on: request.db) else { throw SMFError.unauthenticated }
        let workspaces = try await WorkspaceController.memberships(of: userID, on: request.db).map { membership, workspace in
            AuthBodies.Me.Membership(workspace_id: membership.workspaceID, name: workspace.name, role: membership.role)
        }
        return AuthBodies.Me(id: userID, email: user.email, created_at: user.createdAt,
                             workspaces: workspaces.sorted { $0.name < $1.name })
    }

    @Sendable static func changePassword(_ request: Request) async throws -> Response {
        let userID = try request.userID()
        let context = request.application.smf
        let now = context.clock.now()
        let body = try request.decodeStrict(AuthBodies.ChangePassword.self)
        guard let user = try await User.find(userID, on: request.db) else { throw SMFError.unauthenticated }
        let accountKey = LoginThrottleStore.accountKey(user.emailCanonical)
        let ipKey = LoginThrottleStore.ipKey(request.clientAddress)
        let accountWait = try await LoginThrottleStore.retryAfter(accountKey, policy: .account, now: now, on: request.db)
        let ipWait = try await LoginThrottleStore.retryAfter(ipKey, policy: .clientIP, now: now, on: request.db)
        if let wait = [accountWait, ipWait].compactMap({ $0 }).max() {
            await context.events.record(.login, .throttled, on: request, userID: userID, details: ["scope": "password-change"])
            throw SMFError.tooManyAttempts(retryAfter: wait)
        }
        guard try await context.hasher.verify(body.current_password, against: user.passwordHash) else {
            try await LoginThrottleStore.recordFailure(accountKey, policy: .account, now: now, on: request.db)
            try await LoginThrottleStore.recordFailure(ipKey, policy: .clientIP, now: now, on: request.db)
            await context.events.record(.passwordChanged, .failure, on: request, userID: userID, details: ["reason": "wrong current password"])
            throw SMFError.validation([.init(pointer: "/current_password", detail: "The current password is incorrect.")])
        }
        let problems = IdentityService.passwordProblems(body.new_password, email: EmailAddress(user.email), pointer: "/new_password")
        guard problems.isEmpty else { throw SMFError.validation(problems) }
        user.passwordHash = try await context.hasher.hash(body.new_password)
        user.passwordChangedAt = now
        try await user.save(on: request.db)
        let revoked = try await IdentityService.revokeAllSessions(userID: userID, now: now, on: request.db)
        await context.events.record(.passwordChanged, .success, on: request, userID: userID)
        await context.events.record(.sessionRevoked, .success, on: request, userID: userID,
                                    details: ["reason": "password changed", "count": String(revoked)])
        let response = Response(status: .noContent)
        SessionCookies.clear(on: response)
        return response
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
