import Foundation

/// The checks on `http.request` URLs and headers. (Where the URL may point
/// — no private or loopback addresses — is the SSRF guard's job at run
/// time, in SMFSecurity: a host name can change address after validation.)
public enum HTTPRules {
    /// Header names the node may not set: hop-by-hop fields (RFC 9110
    /// §7.6.1), and `Host`/`Content-Length`, which the HTTP client owns.
    public static let forbiddenHeaderNames: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]

    /// Why `text` is not an acceptable `http.request` URL, or nil.
    static func urlProblem(_ text: String) -> String? {
        if let problem = TemplateSyntax.problem(in: text) { return problem }
        // Placeholders may have spaces inside the braces ({{ input }}); the
        // rest of the URL may not.
        let literal = TemplateSyntax.replacingPlaceholders(in: text)
        if literal.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "contains spaces or control characters"
        }
        guard let schemeEnd = text.firstRange(of: "://") else { return "is not an absolute http or https URL" }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return "must use http or https" }
        // The authority (up to the first /, ? or #) must be literal: a
        // placeholder there would let message text choose the host.
        let afterScheme = text[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains(where: { $0 == "{" || $0 == "}" }) { return "may not use placeholders in the host" }
        guard let components = URLComponents(string: literal) else {
            return "is not a valid URL"
        }
        guard let host = components.host, !host.isEmpty else { return "has no host" }
        if components.user != nil || components.password != nil {
            return "may not contain user info; use an http.header credential"
        }
        return nil
    }

    /// RFC 9110 `tchar`s besides letters and digits.
    private static let tokenSpecials = Set("!#$%&'*+-.^_`|~".utf8)

    /// Why `name` is not an acceptable header name, as (code, detail), or nil.
    static func headerNameProblem(_ name: String) -> (code: String, detail: String)? {
        guard !name.isEmpty, name.utf8.allSatisfy({ ASCII.isAlphanumeric($0) || tokenSpecials.contains($0) }) else {
            return (FlowProblem.Code.settingPatternMismatch, "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")
        }
        if forbiddenHeaderNames.contains(name.lowercased()) {
            return (FlowProblem.Code.headerForbidden, "\(name.lowercased()) is set by the HTTP client, not by a flow")
        }
        return nil
    }
}
