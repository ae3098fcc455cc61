/// A browser origin: scheme, host and port, compared exactly.
public struct CORSOrigin: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?

    /// Parses an origin as a browser serialises it (`https://app.example.com`,
    /// `http://localhost:3000`). Scheme and host are case-insensitive; a
    /// default port is dropped, so `https://a.com:443` equals `https://a.com`.
    /// Anything else — a path, a trailing slash, a query, credentials, a
    /// wildcard — is not an origin and gives `nil`.
    public init?(_ text: String) {
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") { scheme = "https" } else if lowered.hasPrefix("http://") { scheme = "http" } else { return nil }
        let authority = lowered.dropFirst(scheme.count + 3)
        guard !authority.isEmpty, authority.utf8.count <= 253 + 7,
              !authority.contains(where: { "/?#@*\\ ".contains($0) }) else { return nil }
        var host = Substring(authority)
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else { return nil }
                port = value
            }
            guard IPAddress(host) != nil else { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let value = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = value
        }
        if let value = port {
            guard (1...65535).contains(value) else { return nil }
            if (scheme == "https" && value == 443) || (scheme == "http" && value == 80) { port = nil }
        }
        let hostCharacters = "abcdefghijklmnopqrstuvwxyz0123456789.-[]:"
        guard !host.isEmpty, host.allSatisfy({ hostCharacters.contains($0) }),
              !host.hasPrefix("."), !host.hasSuffix(".") || host.count > 1 else { return nil }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
    }

    public var description: String {
        "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")"
    }
}

/// Rules for `SMF_CORS_ORIGINS` (checklist keys `secrets.cors-origins`,
/// `mistake.permissive-cors`).
public enum CORSOriginPolicy {
    public struct Parsed: Sendable {
        public var origins: [CORSOrigin] = []
        /// Always refused: the list cannot be enforced as written.
        public var problems: [PolicyProblem] = []
        /// Refused in production only.
        public var productionProblems: [PolicyProblem] = []
    }

    public static func parse(_ list: String, variable: String = "SMF_CORS_ORIGINS") -> Parsed {
        var parsed = Parsed()
        let entries = list.split(separator: ",").map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
        for (index, entry) in entries.enumerated() {
            let position = "entry \(index + 1)"
            let lowered = entry.lowercased()
            if lowered.contains("*") {
                parsed.problems.append(PolicyProblem(
                    rule: "cors.wildcard",
                    message: "\(variable) \(position) is a wildcard; list each allowed origin exactly (https://app.example.com)"))
            } else if lowered == "null" {
                parsed.problems.append(PolicyProblem(
                    rule: "cors.null",
                    message: "\(variable) \(position) is 'null', which sandboxed iframes and local files can send; remove it"))
            } else if let origin = CORSOrigin(entry) {
                parsed.origins.append(origin)
                if origin.scheme == "http" {
                    parsed.productionProblems.append(PolicyProblem(
                        rule: "cors.http",
                        message: "\(variable) \(position) is an http:// origin; production allows https:// origins only"))
                }
            } else if (lowered.hasPrefix("https://") || lowered.hasPrefix("http://")),
                      lowered.dropFirst(lowered.hasPrefix("https://") ? 8 : 7).contains(where: { "/?#".contains($0) }) {
                parsed.problems.append(PolicyProblem(
                    rule: "cors.path",
                    message: "\(variable) \(position) has a path, query or trailing slash; an origin is scheme://host[:port] only"))
            } else {
                parsed.problems.append(PolicyProblem(
                    rule: "cors.malformed",
                    message: "\(variable) \(position) is not an origin; write scheme://host[:port], e.g. https://app.example.com"))
            }
        }
        return parsed
    }
}
