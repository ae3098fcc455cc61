import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct MetricsTests {
    static let requiredNames = [
        "http_requests_total", "http_request_duration_seconds_bucket", "http_requests_in_flight", "db_errors_total",
        "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
    ]

    @Test func loopback_admin_sees_prometheus_text() async throws {
        try await withTestApp { app in
            let tester = try live(app)
            try await tester.test(.GET, "api/v1/unknown/98765") { _ in }
            try await tester.test(.GET, "healthz") { _ in }
            try await tester.test(.GET, "metrics") { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.description.hasPrefix("text/plain") == true)
                let text = res.body.string
                for name in Self.requiredNames {
                    #expect(text.contains(name), "missing \(name)")
                }
                #expect(text.contains(#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#))
                // Unmatched paths are one label value, never the raw path.
                #expect(text.contains(#"route="unmatched""#))
                #expect(!text.contains("98765"))
            }
        }
    }

    @Test func metrics_hidden_from_non_admin_ip() async throws {
        try await withTestApp({ $0.adminNetworks = [CIDR("10.0.0.0/8")!] }) { app in
            try await live(app).test(.GET, "metrics") { res in
                #expect(res.status == .notFound)
                #expect(!res.body.string.contains("http_requests_total"))
            }
        }
    }

    @Test func metrics_hidden_when_peer_unknown() async throws {
        // In-memory requests have no peer address: fail closed.
        try await withTestApp { app in
            try await app.testing().test(.GET, "metrics") { res in
                #expect(res.status == .notFound)
            }
        }
    }

    @Test func forwarded_admin_ip_believed_only_from_trusted_proxy() async throws {
        try await withTestApp({ config in
            config.adminNetworks = [CIDR("10.8.0.0/24")!]
            config.trustedProxies = CIDR.loopback
        }) { app in
            try await live(app).test(.GET, "metrics", headers: ["X-Forwarded-For": "10.8.0.5"]) { res in
                #expect(res.status == .ok)
            }
        }
        try await withTestApp({ config in
            config.adminNetworks = [CIDR("10.8.0.0/24")!]
            config.trustedProxies = []
        }) { app in
            // Same spoofed header from a peer that is not a proxy: ignored.
            try await live(app).test(.GET, "metrics", headers: ["X-Forwarded-For": "10.8.0.5"]) { res in
                #expect(res.status == .notFound)
            }
        }
    }
}
