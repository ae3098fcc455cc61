/// The places in an nginx configuration that answer requests — each server
/// and each location — with what they inherit, following nginx's rules:
/// `add_header`, `limit_req` and similar array directives are inherited
/// from the enclosing level ONLY when the current level has none of its own.
struct NginxScope {
    let server: NginxDirective
    /// nil for the server level itself.
    let location: NginxDirective?
    /// The directives written at this level (includes expanded).
    let own: [NginxDirective]
    /// Effective `add_header`s: own if any, else the parent's effective ones.
    let headers: [NginxDirective]
    /// The parent's effective `add_header`s (what a level with its own would drop).
    let parentHeaders: [NginxDirective]
    /// Effective `limit_req`s.
    let limitRequests: [NginxDirective]
    /// `deny all` here or above: nobody but the allowed networks gets in.
    let isRestricted: Bool

    var ownsHeaders: Bool { own.contains { $0.name == "add_header" } }
    var ownLine: Int { (location ?? server).line }
    var file: String { (location ?? server).file }

    var label: String {
        let serverName = server.block?.named("server_name").first?.arguments.joined(separator: " ") ?? "_"
        let listen = server.block?.named("listen").first?.arguments.joined(separator: " ") ?? ""
        let base = "server \(serverName) (listen \(listen))"
        guard let location else { return base }
        return base + ", location \(location.arguments.joined(separator: " "))"
    }

    var isTLS: Bool { NginxScope.isTLS(server) }

    /// The path a location matches ("" at server level).
    var path: String { location?.arguments.last ?? "" }

    /// Whether this level produces responses itself (proxy, files, a body)
    /// rather than only redirecting, closing (444) or nesting locations.
    var serves: Bool {
        if own.contains(where: { ["proxy_pass", "fastcgi_pass", "uwsgi_pass", "grpc_pass", "scgi_pass", "alias", "try_files", "stub_status"].contains($0.name) }) { return true }
        if let returned = own.named("return").first {
            return !["301", "302", "303", "307", "308", "444"].contains(returned.value)
        }
        if location == nil {
            // A server that has locations answers through them.
            return !own.contains { $0.name == "location" } && !own.contains { $0.name == "ssl_reject_handshake" && $0.value == "on" }
        }
        return !own.contains { $0.name == "location" }
    }

    var redirectsToHTTPS: Bool {
        own.named("return").contains { ["301", "302", "307", "308"].contains($0.value) && ($0.arguments.dropFirst().first ?? "").hasPrefix("https://") }
            || own.named("rewrite").contains { $0.arguments.contains { $0.hasPrefix("https://") } }
    }

    static func isTLS(_ server: NginxDirective) -> Bool {
        let block = server.block ?? []
        return block.named("listen").contains { $0.arguments.contains("ssl") || $0.arguments.contains("quic") }
            || block.named("ssl").contains { $0.value == "on" }
    }

    /// Every server and location of `config`, depth first.
    static func all(in config: NginxConfig) -> [NginxScope] {
        let httpHeaders = config.http.named("add_header")
        let httpLimits = config.http.named("limit_req")
        var scopes: [NginxScope] = []
        for server in config.servers {
            let own = server.block ?? []
            let headers = own.named("add_header").isEmpty ? httpHeaders : own.named("add_header")
            let limits = own.named("limit_req").isEmpty ? httpLimits : own.named("limit_req")
            let scope = NginxScope(server: server, location: nil, own: own, headers: headers, parentHeaders: httpHeaders,
                                   limitRequests: limits, isRestricted: denies(own))
            scopes.append(scope)
            scopes += locations(in: scope)
        }
        return scopes
    }

    private static func locations(in parent: NginxScope) -> [NginxScope] {
        var scopes: [NginxScope] = []
        for location in parent.own.named("location") {
            let own = location.block ?? []
            let headers = own.named("add_header").isEmpty ? parent.headers : own.named("add_header")
            let limits = own.named("limit_req").isEmpty ? parent.limitRequests : own.named("limit_req")
            let scope = NginxScope(server: parent.server, location: location, own: own, headers: headers, parentHeaders: parent.headers,
                                   limitRequests: limits, isRestricted: parent.isRestricted || denies(own))
            scopes.append(scope)
            scopes += locations(in: scope)
        }
        return scopes
    }

    private static func denies(_ directives: [NginxDirective]) -> Bool {
        directives.contains { $0.name == "deny" && $0.value == "all" }
            || directives.contains { $0.name == "auth_basic" && $0.value != "off" }
            || directives.contains { $0.name == "auth_request" }
    }

    /// The effective value of a simple inherited directive (`server_tokens`,
    /// `ssl_protocols` …): this level, else the server, else http.
    func effective(_ name: String, http: [NginxDirective]) -> NginxDirective? {
        own.named(name).last ?? server.block?.named(name).last ?? http.named(name).last
    }
}
