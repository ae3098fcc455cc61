import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct CrossOriginTests {
    func allowing(_ config: inout AppConfig) {
        config.corsOrigins = CORSOriginPolicy.parse("https://app.example.com, http://localhost:3000").origins
    }

    @Test func allowed_origin_is_reflected_with_credentials_and_vary() async throws {
        try await withTestApp(allowing) { app in
            try await app.testing().test(.GET, "api/v1", headers: ["Origin": "https://app.example.com"]) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: "Access-Control-Allow-Origin") == "https://app.example.com")
                #expect(res.headers.first(name: "Access-Control-Allow-Credentials") == "true")
                #expect(res.headers[canonicalForm: "Vary"].contains("Origin"))
            }
        }
    }

    @Test(arguments: ["https://evil.example", "https://app.example.com.evil.example", "http://app.example.com", "null",
                      "https://app.example.com:8443"])
    func other_origins_get_no_cors_headers(_ origin: String) async throws {
        try await withTestApp(allowing) { app in
            try await app.testing().test(.GET, "api/v1", headers: ["Origin": origin]) { res in
                #expect(res.status == .ok)
                let cors = res.headers.map(\.name).filter { $0.lowercased().hasPrefix("access-control-") }
                #expect(cors.isEmpty, "CORS headers for \(origin): \(cors)")
                #expect(res.headers[canonicalForm: "Vary"].contains("Origin"))
            }
        }
    }

    @Test func preflight_from_allowed_origin() async throws {
        try await withTestApp(allowing) { app in
            try await app.testing().test(.OPTIONS, "api/v1", headers: [
                "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, x-csrf-token",
            ]) { res in
                #expect(res.status == .noContent)
                #expect(res.headers.first(name: "Access-Control-Allow-Origin") == "http://localhost:3000")
                #expect(res.headers.first(name: "Access-Control-Allow-Methods")?.contains("POST") == true)
                #expect(res.headers.first(name: "Access-Control-Allow-Headers")?.contains("X-CSRF-Token") == true)
                #expect(res.headers.first(name: "Access-Control-Max-Age") == "600")
                #expect(res.headers.first(name: "Access-Control-Allow-Credentials") == "true")
                // Preflights get the security headers too.
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
        }
    }

    @Test func preflight_from_evil_origin_is_refused_without_cors_headers() async throws {
        try await withTestApp(allowing) { app in
            try await app.testing().test(.OPTIONS, "api/v1", headers: [
                "Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE",
            ]) { res in
                #expect(res.status == .forbidden)
                #expect(res.headers.contentType?.description.hasPrefix("application/problem+json") == true)
                let cors = res.headers.map(\.name).filter { $0.lowercased().hasPrefix("access-control-") }
                #expect(cors.isEmpty)
            }
        }
    }

    @Test func error_responses_carry_cors_headers_for_allowed_origins() async throws {
        try await withTestApp(allowing) { app in
            try await app.testing().test(.GET, "nothing-here", headers: ["Origin": "https://app.example.com"]) { res in
                #expect(res.status == .notFound)
                #expect(res.headers.first(name: "Access-Control-Allow-Origin") == "https://app.example.com")
            }
        }
    }

    @Test func no_configured_origins_means_no_cross_origin_access() async throws {
        try await withTestApp { app in
            try await app.testing().test(.GET, "api/v1", headers: ["Origin": "https://app.example.com"]) { res in
                #expect(res.headers.first(name: "Access-Control-Allow-Origin") == nil)
            }
        }
    }
}
