import Testing
@testable import SMFAudit

@Suite struct NginxCheckTests {
    static let keys = ["app.https", "app.security-headers", "mistake.missing-headers", "app.rate-limiting", "mistake.no-rate-limiting",
                       "app.input-validation", "app.error-messages", "network.admin-private", "mistake.unencrypted-communication",
                       "mistake.insufficient-logging"]

    func audit(_ files: String...) throws -> AuditReport {
        let paths = try files.map { try AuditTestSupport.fixture("nginx/" + $0) }
        return try AuditTestSupport.audit { $0.nginxFiles = paths }
    }

    @Test func good_config_passes_every_nginx_key() throws {
        let report = try audit("good/nginx.conf", "good/templates/site.conf.template", "good/snippets/security-headers.conf", "good/snippets/admin-networks.conf")
        expectStatuses(report, Dictionary(uniqueKeysWithValues: Self.keys.map { ($0, AuditStatus.pass) }))
    }

    @Test func the_seed_header_block_is_flagged() throws {
        let report = try audit("broken/seed-headers.conf")
        #expect(report.status("app.security-headers") == .fail)
        let details = report.details("app.security-headers")
        #expect(details.contains("X-XSS-Protection \"1; mode=block\": the XSS filter is obsolete"))
        #expect(details.contains("CSP allows 'unsafe-inline' and 'unsafe-eval' for scripts"))
        #expect(details.contains("CSP allows 'unsafe-inline' styles"))
        // Every header of the seed is present, so none is "missing".
        #expect(report.status("mistake.missing-headers") == .pass)
        #expect(report.status("app.https") == .pass)
    }

    @Test func a_location_with_its_own_add_header_drops_the_security_headers() throws {
        let report = try audit("broken/inheritance.conf")
        expectStatuses(report, ["app.security-headers": .fail, "mistake.missing-headers": .fail])
        let details = report.details("mistake.missing-headers")
        #expect(details.contains("location /downloads/: its own add_header drops the inherited"))
        #expect(!details.contains("location /:"), "location / inherits the headers")
    }

    @Test func plain_http_config_fails() throws {
        let report = try audit("broken/plain.conf")
        expectStatuses(report, [
            "app.https": .fail, "mistake.unencrypted-communication": .fail, "app.security-headers": .fail, "mistake.missing-headers": .fail,
            "app.rate-limiting": .fail, "mistake.no-rate-limiting": .fail, "app.input-validation": .fail, "app.error-messages": .warn,
            "network.admin-private": .fail, "mistake.insufficient-logging": .warn,
        ])
        #expect(report.details("app.rate-limiting").contains("defined but never applied"))
    }

    @Test func weak_tls_and_undefined_zone_fail() throws {
        let report = try audit("broken/weak-tls.conf")
        expectStatuses(report, ["app.https": .fail, "app.rate-limiting": .fail, "network.admin-private": .fail, "app.security-headers": .warn])
        let tls = report.details("app.https")
        for expected in ["names no ssl_certificate", "enables TLSv1, TLSv1.1", "weak ciphers RC4-SHA, DES-CBC3-SHA", "no plain-HTTP server redirects"] {
            #expect(tls.contains(expected), "\(expected)")
        }
        let headers = report.details("app.security-headers")
        #expect(headers.contains("HSTS max-age=600"))
        #expect(headers.contains("X-Content-Type-Options without `always`"))
        #expect(headers.contains("snippets/does-not-exist.conf"))
        #expect(report.details("network.admin-private").contains("allows 8.8.8.0/24"))
    }

    @Test func csp_rules() {
        let evidence = Evidence(detail: "x")
        #expect(NginxHeaderRules.cspFindings("default-src 'none'; frame-ancestors 'none'", evidence: evidence).isEmpty)
        #expect(NginxHeaderRules.cspFindings("default-src 'self' 'unsafe-inline'", evidence: evidence).contains { $0.status == .fail })
        #expect(NginxHeaderRules.cspFindings("script-src 'self'", evidence: evidence).contains { $0.evidence.detail.contains("no default-src") })
    }
}
