import SMFSecurity

/// server_tokens, client_max_body_size, admin paths, access logging.
enum NginxMiscRules {
    static func findings(_ config: NginxConfig, scopes: [NginxScope]) -> [Finding] {
        serverTokens(config, scopes) + bodySize(config, scopes) + adminPaths(config, scopes) + logging(config)
    }

    private static func serverTokens(_ config: NginxConfig, _ scopes: [NginxScope]) -> [Finding] {
        let key = "app.error-messages"
        var findings: [Finding] = []
        for scope in scopes where scope.location == nil {
            let setting = scope.effective("server_tokens", http: config.http)
            if setting?.value != "off" {
                findings.append(.warn(key, .low, Evidence(file: scope.file, line: setting?.line ?? scope.ownLine, detail: "\(scope.label): server_tokens is \(setting?.value ?? "on (default)"): the nginx version shows in headers and error pages"),
                                      fix: "Set `server_tokens off;` at http level."))
            }
        }
        if findings.isEmpty, let setting = config.http.named("server_tokens").last ?? scopes.compactMap({ $0.own.named("server_tokens").last }).first {
            findings.append(.pass(key, setting.evidence))
        }
        return findings
    }

    private static func bodySize(_ config: NginxConfig, _ scopes: [NginxScope]) -> [Finding] {
        let key = "app.input-validation"
        var findings: [Finding] = []
        var seen: Set<String> = []
        for scope in scopes {
            guard let setting = scope.effective("client_max_body_size", http: config.http), seen.insert("\(setting.file):\(setting.line)").inserted else { continue }
            let bytes = byteCount(setting.value)
            if bytes == 0 {
                findings.append(.fail(key, .medium, setting.evidence.with(detail: "client_max_body_size 0 disables the body limit"), fix: "Set a limit matching the app (1m for smflow's default SMF_MAX_BODY_BYTES)."))
            } else if let bytes, bytes > 100 << 20 {
                findings.append(.warn(key, .low, setting.evidence.with(detail: "client_max_body_size \(setting.value) is very large"), fix: "Lower it to what the API accepts."))
            } else {
                findings.append(.pass(key, setting.evidence.with(detail: "client_max_body_size \(setting.value)")))
            }
        }
        if findings.isEmpty {
            findings.append(.pass(key, Evidence(file: config.files.first, detail: "client_max_body_size not set: nginx's default 1m applies")))
        }
        return findings
    }

    static func byteCount(_ text: String) -> Int? {
        let lowered = text.lowercased()
        let multiplier: Int
        switch lowered.last {
        case "k": multiplier = 1 << 10
        case "m": multiplier = 1 << 20
        case "g": multiplier = 1 << 30
        default: multiplier = 1
        }
        return Int(multiplier == 1 ? lowered : String(lowered.dropLast())).map { $0 * multiplier }
    }

    static let adminPathWords = ["/metrics", "/admin", "/actuator", "/debug", "/server-status", "/nginx_status", "/stub_status", "/pgadmin", "/phpmyadmin", "/_admin", "/internal"]

    /// Admin paths answer only the admin network (deny all + allow private
    /// ranges) or behind authentication.
    private static func adminPaths(_ config: NginxConfig, _ scopes: [NginxScope]) -> [Finding] {
        let key = "network.admin-private"
        var findings: [Finding] = []
        let adminScopes = scopes.filter { scope in
            scope.location != nil && (adminPathWords.contains { scope.path.contains($0) } || scope.own.contains { $0.name == "stub_status" })
        }
        for scope in adminScopes {
            let evidence = Evidence(file: scope.file, line: scope.ownLine, detail: scope.label)
            guard scope.isRestricted else {
                findings.append(.fail(key, .high, evidence.with(detail: "\(scope.label) is open to everyone"), fix: "Add `allow <VPN/admin network>; deny all;` (or authentication) to the location."))
                continue
            }
            let publicAllows = scope.own.named("allow").filter { !isPrivate($0.value) }
            if publicAllows.isEmpty {
                findings.append(.pass(key, evidence.with(detail: "\(scope.label): allow-list of private networks, deny all")))
            } else {
                findings += publicAllows.map { .fail(key, .high, $0.evidence.with(detail: "\(scope.label) allows \($0.value), not a private/VPN network"), fix: "Allow only the VPN or private admin networks.") }
            }
        }
        if adminScopes.isEmpty, let catchAll = scopes.first(where: { $0.isTLS && $0.path == "/" && $0.own.contains { $0.name == "proxy_pass" } }) {
            findings.append(.warn(key, .medium, Evidence(file: catchAll.file, line: catchAll.ownLine, detail: "no location restricts /metrics or admin paths: `location /` proxies them to anyone"),
                                  fix: "Add `location = /metrics { allow <admin network>; deny all; … }` (and the same for admin paths)."))
        }
        return findings
    }

    static func isPrivate(_ value: String) -> Bool {
        if value == "unix:" { return true }
        guard let network = CIDR(value) else { return false }
        let privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10", "fc00::/7", "::1/128", "fe80::/10"].compactMap { CIDR($0) }
        return privateRanges.contains { $0.contains(network.network) && network.prefixLength >= $0.prefixLength }
    }

    private static func logging(_ config: NginxConfig) -> [Finding] {
        let key = "mistake.insufficient-logging"
        let offs = ([config.http] + config.servers.map { $0.block ?? [] }).flatMap { $0.named("access_log") }.filter { $0.value == "off" }
        if !offs.isEmpty {
            return offs.map { .warn(key, .medium, $0.evidence.with(detail: "access_log off at http/server level: requests leave no trace"), fix: "Keep access logs on (JSON format, without query strings) and ship them off the host.") }
        }
        let setting = config.http.named("access_log").first
        return [.pass(key, setting?.evidence ?? Evidence(file: config.files.first, detail: "access_log left at nginx's default (combined format)"))]
    }
}
