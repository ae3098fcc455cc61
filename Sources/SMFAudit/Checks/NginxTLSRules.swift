/// TLS on every HTTPS server (certificate, protocols, ciphers) and plain
/// HTTP only as a redirect.
enum NginxTLSRules {
    static let keys = ["app.https", "mistake.unencrypted-communication"]
    static let obsoleteProtocols: Set<String> = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1"]
    static let weakCipherTokens = ["RC4", "DES", "3DES", "MD5", "NULL", "EXPORT", "EXP-", "ADH", "AECDH", "PSK", "SRP", "IDEA", "SEED", "CAMELLIA"]

    static func findings(_ config: NginxConfig, scopes: [NginxScope]) -> [Finding] {
        var findings: [Finding] = []
        let servers = config.servers
        let tlsServers = servers.filter { NginxScope.isTLS($0) && !($0.block ?? []).contains { $0.name == "ssl_reject_handshake" && $0.value == "on" } }
        if tlsServers.isEmpty {
            findings += Finding.each(keys) { .fail($0, .critical, Evidence(file: config.files.first, detail: "no server listens with TLS (`listen 443 ssl`)"),
                                                  fix: "Serve HTTPS: `listen 443 ssl;` with ssl_certificate/ssl_certificate_key, and redirect port 80.") }
        }
        for server in tlsServers {
            let block = server.block ?? []
            let label = "server \(block.named("server_name").first?.arguments.joined(separator: " ") ?? "_")"
            let evidence = Evidence(file: server.file, line: server.line, detail: label)
            if block.named("ssl_certificate").isEmpty && config.http.named("ssl_certificate").isEmpty {
                findings.append(.fail("app.https", .critical, evidence.with(detail: "\(label) listens with TLS but names no ssl_certificate"), fix: "Set ssl_certificate and ssl_certificate_key (e.g. Let's Encrypt fullchain.pem/privkey.pem)."))
            }
            let protocols = block.named("ssl_protocols").last ?? config.http.named("ssl_protocols").last
            if let protocols {
                let obsolete = protocols.arguments.filter { obsoleteProtocols.contains($0) }
                if obsolete.isEmpty {
                    findings.append(.pass("app.https", protocols.evidence.with(detail: "\(label): ssl_protocols \(protocols.arguments.joined(separator: " "))")))
                } else {
                    findings.append(.fail("app.https", .high, protocols.evidence.with(detail: "\(label): ssl_protocols enables \(obsolete.joined(separator: ", "))"), fix: "Use `ssl_protocols TLSv1.2 TLSv1.3;`."))
                }
            } else {
                findings.append(.warn("app.https", .medium, evidence.with(detail: "\(label): no ssl_protocols; nginx before 1.23.4 then also offers TLSv1 and TLSv1.1"), fix: "Set `ssl_protocols TLSv1.2 TLSv1.3;` at http level."))
            }
            if let ciphers = block.named("ssl_ciphers").last ?? config.http.named("ssl_ciphers").last {
                let weak = ciphers.value.split(separator: ":").map(String.init).filter { cipher in
                    !cipher.hasPrefix("!") && !cipher.hasPrefix("-") && weakCipherTokens.contains { cipher.uppercased().contains($0) }
                }
                if weak.isEmpty {
                    findings.append(.pass("app.https", ciphers.evidence.with(detail: "\(label): ssl_ciphers has no weak suite")))
                } else {
                    findings.append(.fail("app.https", .high, ciphers.evidence.with(detail: "\(label): weak ciphers \(weak.prefix(4).joined(separator: ", "))"), fix: "Use Mozilla's intermediate cipher list (https://ssl-config.mozilla.org/)."))
                }
            }
        }

        // Plain HTTP: only redirects (and ACME challenges) may answer there.
        let plainScopes = scopes.filter { !$0.isTLS }
        let plainAnswers = plainScopes.filter { $0.serves && !$0.path.contains("/.well-known/acme-challenge") && !$0.isRestricted }
        for scope in plainAnswers {
            findings += Finding.each(keys) { .fail($0, .high, Evidence(file: scope.file, line: scope.ownLine, detail: "\(scope.label) answers over plain HTTP"),
                                                  fix: "Answer plain HTTP with `return 301 https://$host$request_uri;` only.") }
        }
        if plainScopes.contains(where: \.redirectsToHTTPS) {
            if plainAnswers.isEmpty {
                let redirect = plainScopes.first(where: \.redirectsToHTTPS)
                findings += Finding.each(keys) { .pass($0, Evidence(file: redirect?.file, line: redirect?.ownLine, detail: "plain HTTP redirects to HTTPS")) }
            }
        } else if !tlsServers.isEmpty {
            findings += Finding.each(keys) { .warn($0, .low, Evidence(file: config.files.first, detail: "no plain-HTTP server redirects to HTTPS"),
                                                  fix: "Add a port-80 server with `return 301 https://$host$request_uri;`.") }
        }
        return findings
    }
}
