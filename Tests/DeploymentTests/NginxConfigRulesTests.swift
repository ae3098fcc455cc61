import Foundation
import Testing

/// The shipped nginx files read as text: the rules that the live tests can
/// not see on this machine (OCSP, session tickets, the Docker network), and
/// the structural rule behind the add_header inheritance bug.
@Suite struct NginxConfigRulesTests {
    static let directory = "deploy/nginx"

    /// Every file of deploy/nginx with its comments removed.
    static func configuration() throws -> [(path: String, text: String)] {
        try RepositoryFiles.files(under: directory).filter { !$0.hasSuffix(".txt") }.map { path in
            let text = try RepositoryFiles.text(path).split(separator: "\n", omittingEmptySubsequences: false)
                .map { line in line.firstIndex(of: "#").map { String(line[..<$0]) } ?? String(line) }
                .joined(separator: "\n")
            return (path, text)
        }
    }

    static func all() throws -> String { try configuration().map(\.text).joined(separator: "\n") }

    static func site() throws -> String {
        try configuration().first { $0.path.hasSuffix("smflow.conf.template") }?.text ?? ""
    }

    /// The body of every `location … {` and `server {` block, with its header line.
    static func blocks(_ keyword: String, in text: String) -> [(header: String, body: String)] {
        var blocks: [(String, String)] = []
        var search = text.startIndex
        while let start = text.range(of: "\(keyword) ", range: search..<text.endIndex)
            ?? text.range(of: "\(keyword){", range: search..<text.endIndex) {
            // The block's brace, not the one of a `${TEMPLATE_VARIABLE}`.
            guard let open = text[start.lowerBound...].indices.first(where: {
                text[$0] == "{" && ($0 == text.startIndex || text[text.index(before: $0)] != "$")
            }) else { break }
            // `server host:port …;` inside an upstream is a directive, not a block.
            if text[start.lowerBound..<open].contains(";") {
                search = start.upperBound
                continue
            }
            var depth = 0
            var index = open
            repeat {
                if text[index] == "{" { depth += 1 }
                if text[index] == "}" { depth -= 1 }
                index = text.index(after: index)
            } while depth > 0 && index < text.endIndex
            blocks.append((String(text[start.lowerBound..<open]), String(text[open..<index])))
            search = text.index(after: open)
        }
        return blocks
    }

    @Test func every_location_includes_the_security_headers_snippet() throws {
        let locations = Self.blocks("location", in: try Self.site())
        #expect(locations.count >= 8)
        for location in locations {
            #expect(location.body.contains("include snippets/security-headers.conf;"), "\(location.header) lacks the snippet")
        }
        for server in Self.blocks("server", in: try Self.site()) where !server.body.contains("ssl_reject_handshake on") {
            #expect(server.body.contains("include snippets/security-headers.conf;"), "a server block lacks the snippet")
        }
    }

    @Test func header_snippet_sets_every_header_with_always() throws {
        let snippet = try RepositoryFiles.text("deploy/nginx/snippets/security-headers.conf")
        for (name, value) in SecurityHeaderSet.fixed {
            #expect(snippet.contains("add_header \(name) \"\(value)\" always;"), "\(name)")
            #expect(snippet.contains("proxy_hide_header \(name);"), "the app's \(name) would be sent twice")
        }
        #expect(snippet.contains("add_header Content-Security-Policy $smf_csp always;"))
    }

    @Test func no_unsafe_inline_or_unsafe_eval_anywhere() throws {
        let text = try Self.all()
        #expect(!text.contains("unsafe-inline"))
        #expect(!text.contains("unsafe-eval"))
        let nginx = try RepositoryFiles.text("deploy/nginx/nginx.conf")
        #expect(nginx.contains(SecurityHeaderSet.apiCSP) && nginx.contains(SecurityHeaderSet.consoleCSP))
    }

    @Test func server_tokens_off() throws {
        #expect(try Self.all().contains("server_tokens off;"))
    }

    @Test func tls_profile_is_mozilla_intermediate_with_tickets_off_and_stapling_on() throws {
        let tls = try RepositoryFiles.text("deploy/nginx/snippets/tls.conf")
        #expect(tls.contains("ssl_protocols TLSv1.2 TLSv1.3;"))
        #expect(tls.contains("ssl_session_tickets off;"))
        #expect(tls.contains("ssl_stapling on;") && tls.contains("ssl_stapling_verify on;"))
        #expect(tls.contains("ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"))
        // For the handshake the default server's protocols count: tls.conf must be at http level.
        let site = try Self.site()
        let firstServer = site.range(of: "server {")?.lowerBound ?? site.endIndex
        #expect(site[..<firstServer].contains("include snippets/tls.conf;"))
    }

    @Test func rate_limit_zones_are_declared_and_applied() throws {
        let nginx = try RepositoryFiles.text("deploy/nginx/nginx.conf")
        #expect(nginx.contains("limit_req_status 429;"))
        #expect(nginx.contains("zone=smf_auth:") && nginx.contains("zone=smf_api:"))
        let locations = Self.blocks("location", in: try Self.site())
        let auth = locations.first { $0.header.contains("auth/(login|register|password)") }
        #expect(auth?.body.contains("limit_req zone=smf_auth") == true, "the auth zone is declared but not applied")
        for location in locations where location.body.contains("proxy_pass") {
            #expect(location.body.contains("limit_req zone=smf_api") || location.header.contains("/metrics"),
                    "\(location.header) is not rate limited")
        }
    }

    @Test func body_size_and_proxy_timeouts_are_bounded() throws {
        let text = try Self.all()
        #expect(text.contains("client_max_body_size 1m;"))
        for directive in ["proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout", "client_body_timeout", "client_header_timeout"] {
            #expect(text.contains(directive + " "), "\(directive) missing")
        }
    }

    @Test func sse_location_is_unbuffered() throws {
        let sse = Self.blocks("location", in: try Self.site()).first { $0.header.contains("/events") }
        #expect(sse?.body.contains("proxy_buffering off;") == true)
    }

    @Test func the_client_address_is_set_by_nginx_never_passed_through() throws {
        let proxy = try RepositoryFiles.text("deploy/nginx/snippets/proxy.conf")
        #expect(proxy.contains("proxy_set_header X-Forwarded-For $remote_addr;"))
        #expect(!(try Self.all()).contains("$proxy_add_x_forwarded_for"))
        #expect(!(try Self.all()).contains("real_ip_header"), "nginx is the edge: no client may set its address")
    }

    @Test func admin_allow_list_holds_private_ranges_only_and_admin_locations_deny_the_rest() throws {
        let allowList = try RepositoryFiles.text("deploy/nginx/snippets/admin-networks.conf")
        let allowed = allowList.matches(of: /(?m)^\s*allow\s+([^;]+);/).map { String($0.output.1) }
        #expect(!allowed.isEmpty)
        let privatePrefixes = ["10.", "192.168.", "127.", "fd", "fc"] + (16...31).map { "172.\($0)." }
        for network in allowed {
            #expect(privatePrefixes.contains(where: network.hasPrefix), "\(network) is not a private range")
        }
        for location in Self.blocks("location", in: try Self.site()) where location.body.contains("admin-networks.conf") {
            #expect(location.body.contains("deny all;"), "\(location.header) allows everyone after the list")
        }
        let metrics = Self.blocks("location", in: try Self.site()).first { $0.header.contains("= /metrics") }
        #expect(metrics?.body.contains("include snippets/admin-networks.conf;") == true)
    }
}
