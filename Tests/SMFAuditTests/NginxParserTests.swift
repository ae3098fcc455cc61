import Testing
@testable import SMFAudit

@Suite struct NginxParserTests {
    @Test func directives_blocks_quotes_and_lines() throws {
        let config = try NginxConfig.parse("""
        # comment
        http {
            add_header X-Test "a; b" always; # trailing
            server {
                listen ${PORT} ssl;
                location ~ ^/x/(a|b)$ {
                    return 200 'ok';
                }
            }
        }
        """)
        let server = try #require(config.servers.first)
        #expect(server.line == 4)
        let listen = try #require(server.block?.named("listen").first)
        #expect(listen.arguments == ["${PORT}", "ssl"])
        #expect(config.http.named("add_header").first?.arguments == ["X-Test", "a; b", "always"])
        let location = try #require(server.block?.named("location").first)
        #expect(location.arguments == ["~", "^/x/(a|b)$"])
        #expect(location.block?.named("return").first?.arguments == ["200", "ok"])
        #expect(location.line == 6)
    }

    @Test func malformed_files_are_input_errors() {
        #expect(throws: AuditInputError.self) { try NginxConfig.parse("server { listen 80;") }
        #expect(throws: AuditInputError.self) { try NginxConfig.parse("server { listen 80; }}") }
        #expect(throws: AuditInputError.self) { try NginxConfig.parse("listen \"80;") }
        #expect(throws: AuditInputError.self) { try NginxConfig.parse("listen 80") }
    }

    @Test func includes_resolve_relative_to_the_file_or_its_parent() throws {
        let config = try NginxConfig.load([
            try AuditTestSupport.fixture("nginx/good/nginx.conf"),
            try AuditTestSupport.fixture("nginx/good/templates/site.conf.template"),
        ])
        // The template's servers land in nginx.conf's http block; its snippet includes are expanded.
        #expect(config.servers.count == 2)
        let tls = try #require(config.servers.last)
        let headers = tls.block?.named("add_header") ?? []
        #expect(headers.count == 6)
        #expect(headers.first?.file.hasSuffix("snippets/security-headers.conf") == true)
        // conf.d/*.conf is filled at run time: kept as an unresolved include at http level.
        #expect(config.http.contains { $0.isUnresolvedInclude && $0.value == "conf.d/*.conf" })
    }

    @Test func add_header_inheritance_follows_nginx() throws {
        let config = try NginxConfig.parse("""
        server {
            listen 443 ssl;
            add_header A 1;
            location /inherits { proxy_pass http://x; }
            location /own { add_header B 2; proxy_pass http://x; }
        }
        """)
        let scopes = NginxScope.all(in: config)
        let inherits = try #require(scopes.first { $0.path == "/inherits" })
        let own = try #require(scopes.first { $0.path == "/own" })
        #expect(inherits.headers.map(\.value) == ["A"])
        #expect(own.headers.map(\.value) == ["B"])
        #expect(own.parentHeaders.map(\.value) == ["A"])
    }
}
