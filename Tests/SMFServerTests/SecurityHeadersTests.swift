import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct SecurityHeadersTests {
    static let expected: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ("X-XSS-Protection", "0"),
        ("Cache-Control", "no-store"),
    ]

    struct Boom: Error {}

    func expectAllHeaders(_ response: TestingHTTPResponse, production: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        for (name, value) in Self.expected {
            #expect(response.headers.first(name: name) == value, "\(name) on \(response.status.code)", sourceLocation: sourceLocation)
        }
        let hsts = response.headers.first(name: "Strict-Transport-Security")
        #expect(hsts == (production ? "max-age=63072000; includeSubDomains" : nil), sourceLocation: sourceLocation)
        #expect(response.headers.first(name: "Server") == nil, sourceLocation: sourceLocation)
        #expect(response.headers.first(name: "X-Powered-By") == nil, sourceLocation: sourceLocation)
    }

    @Test(arguments: [false, true])
    func headers_on_200_404_413_and_500(production: Bool) async throws {
        try await withTestApp({ config in
            if production { productionMode(&config) }
            config.maxBodyBytes = 1024
        }, routes: { app in
            app.get("test", "boom") { _ -> String in throw Boom() }
            app.on(.POST, "test", "echo") { req -> String in req.body.string ?? "" }
        }) { app in
            try await app.testing().test(.GET, "healthz") { res in
                #expect(res.status == .ok)
                expectAllHeaders(res, production: production)
            }
            try await app.testing().test(.GET, "no/such/path") { res in
                #expect(res.status == .notFound)
                expectAllHeaders(res, production: production)
            }
            try await app.testing().test(.POST, "test/echo", body: ByteBuffer(repeating: 65, count: 2048)) { res in
                #expect(res.status == .payloadTooLarge)
                expectAllHeaders(res, production: production)
            }
            try await app.testing().test(.GET, "test/boom") { res in
                #expect(res.status == .internalServerError)
                expectAllHeaders(res, production: production)
            }
        }
    }

    @Test func headers_on_a_real_socket_too() async throws {
        try await withTestApp { app in
            try await live(app).test(.GET, "healthz") { res in
                expectAllHeaders(res, production: false)
            }
        }
    }
}
