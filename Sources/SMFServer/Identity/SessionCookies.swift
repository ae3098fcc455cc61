import Vapor

/// The browser cookies of a session. `__Host-` makes browsers insist on
/// Secure, Path=/ and no Domain, so a sibling subdomain cannot set or
/// overwrite them.
enum SessionCookies {
    static let session = "__Host-smf_session"
    /// Readable by the console's JavaScript, which echoes it in X-CSRF-Token.
    static let csrf = "__Host-smf_csrf"
    static let csrfHeader = "X-CSRF-Token"

    static func set(on response: Response, token: String, csrf: String, maxAge: Int) {
        response.cookies[session] = HTTPCookies.Value(
            string: token, maxAge: maxAge, path: "/", isSecure: true, isHTTPOnly: true, sameSite: .strict)
        response.cookies[self.csrf] = HTTPCookies.Value(
            string: csrf, maxAge: maxAge, path: "/", isSecure: true, isHTTPOnly: false, sameSite: .strict)
    }

    static func clear(on response: Response) {
        for name in [session, csrf] {
            response.cookies[name] = HTTPCookies.Value(
                string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/",
                isSecure: true, isHTTPOnly: name == session, sameSite: .strict)
        }
    }
}
