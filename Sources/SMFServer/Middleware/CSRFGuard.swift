import SMFSecurity
import SQLKit
import Vapor

/// Cross-site request forgery defence for cookie-authenticated unsafe
/// requests: the request must come from an allowed origin (or say
/// `Sec-Fetch-Site: same-origin`) AND carry the session's CSRF token in
/// `X-CSRF-Token`. The token is stored hashed with the session, so it is
/// bound to that session (a synchronizer token, delivered like a
/// double-submit cookie). Bearer requests are not affected: a browser never
/// adds an Authorization header by itself.
enum CSRFGuard {
    static func check(_ request: Request, session: CredentialLookup.SessionRow, on sql: any SQLDatabase) async throws {
        let userID = session.user_id
        let originAllowed = isAllowedOrigin(request)
        let presented = request.headers.first(name: SessionCookies.csrfHeader) ?? ""
        var tokenMatches = false
        if !presented.isEmpty { tokenMatches = try await csrfMatches(presented, session: session, request: request, on: sql) }
        guard originAllowed && tokenMatches else {
            await request.application.smf.events.record(
                .csrfRejected, .denied, on: request, userID: userID,
                details: ["reason": originAllowed ? "token" : "origin", "method": request.method.rawValue])
            throw SMFError(.forbidden, code: "csrf-rejected", title: "Forbidden",
                           detail: "Cross-site request check failed: send the X-CSRF-Token from sign-in, from an allowed origin.")
        }
    }

    /// The CSRF hash is under its own key id (issue 9): a session re-hashed
    /// on a safe request keeps its CSRF hash under the older key until the
    /// next unsafe one. Under an older key it counts only while the database
    /// records that key's grace period, and is then re-hashed too.
    private static func csrfMatches(
        _ presented: String, session: CredentialLookup.SessionRow, request: Request, on sql: any SQLDatabase
    ) async throws -> Bool {
        let tokens = request.application.smf.tokens
        let keyID = session.csrf_key_id ?? TokenKeyRing.legacyKeyID
        guard tokens.ring.matches(presented, storedHash: session.csrf_hash, keyID: keyID) else { return false }
        if keyID == tokens.currentKeyID { return true }
        let retiresAt = try await TokenHashing.retiresAt(keyID: keyID, on: sql)
        guard tokens.ring.accepts(keyID: keyID, retiresAt: retiresAt, now: tokens.clock.now()) else { return false }
        try await CredentialLookup.rehashCSRF(session.id, from: session.csrf_hash, to: tokens.hash(presented),
                                              keyID: tokens.currentKeyID, on: sql)
        return true
    }

    /// Same origin (by `Sec-Fetch-Site`, or `Origin` equal to this host or to
    /// SMF_PUBLIC_URL) or a configured CORS origin.
    static func isAllowedOrigin(_ request: Request) -> Bool {
        if request.headers.first(name: "Sec-Fetch-Site")?.lowercased() == "same-origin" { return true }
        guard let originHeader = request.headers.first(name: .origin), let origin = CORSOrigin(originHeader) else {
            return false
        }
        let config = request.application.smf.config
        if config.corsOrigins.contains(origin) { return true }
        if let publicURL = config.publicURL, let publicOrigin = CORSOrigin(Self.originPart(of: publicURL)), publicOrigin == origin {
            return true
        }
        if let host = request.headers.first(name: .host) {
            let scheme = request.application.smf.clientIPResolver.forwardedProto(
                peer: request.remoteAddress?.ipAddress.flatMap { IPAddress($0) },
                header: request.headers.first(name: "X-Forwarded-Proto")) ?? (config.isProduction ? "https" : "http")
            if let own = CORSOrigin("\(scheme)://\(host)"), own == origin { return true }
        }
        return false
    }

    static func originPart(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }
}
