import Foundation
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

@Suite struct ProblemErrorTests {
    /// An error whose text is full of what must never reach a client.
    struct LeakyError: Error, CustomStringConvertible {
        var description: String {
            "PSQLError: syntax error at SELECT password_hash FROM users WHERE email='a@b.c' "
                + "(/work/main/Sources/SMFServer/Controllers/UserController.swift:42) Vapor 4.122.3 "
                + "Fatal error: Thread 1 backtrace: #0 0x00005555 in main"
        }
    }

    struct Payload: Content {
        let name: String
        let count: Int
    }

    static let forbiddenFragments = ["SELECT", "password_hash", "/work/", ".swift", "Vapor", "4.122", "backtrace",
                                     "Fatal error", "PSQLError", "Swift.", "DecodingError", "CodingKeys",
                                     "internal reason"]

    func routes(_ app: Application) {
        app.get("test", "leak") { _ -> String in throw LeakyError() }
        app.get("test", "abort") { _ -> String in throw Abort(.badRequest, reason: "internal reason: table users") }
        app.post("test", "decode") { req -> String in
            let payload = try req.content.decode(Payload.self)
            return payload.name
        }
    }

    func expectClean(_ res: TestingHTTPResponse, status: HTTPResponseStatus, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(res.status == status, sourceLocation: sourceLocation)
        #expect(res.headers.contentType?.description.hasPrefix("application/problem+json") == true, sourceLocation: sourceLocation)
        let body = res.body.string
        for fragment in Self.forbiddenFragments {
            #expect(!body.contains(fragment), "body leaks '\(fragment)': \(body)", sourceLocation: sourceLocation)
        }
        let problem = res.problem
        #expect(problem?["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        for key in ["type", "title", "detail", "instance", "request_id"] {
            #expect(problem?[key] is String, "missing \(key)", sourceLocation: sourceLocation)
        }
        #expect(problem?["request_id"] as? String == res.headers.first(name: "X-Request-ID"), sourceLocation: sourceLocation)
    }

    @Test func production_500_is_generic() async throws {
        let logs = LogCapture()
        try await withTestApp(productionMode, routes: routes, logs: logs) { app in
            try await app.testing().test(.GET, "test/leak") { res in
                expectClean(res, status: .internalServerError)
                #expect(res.problem?["type"] as? String == "urn:smflow:problem:internal-error")
                // The details are kept — in the log, under the request id.
                let id = try #require(res.headers.first(name: "X-Request-ID"))
                #expect(logs.lines.contains { $0.contains("password_hash") && $0.contains(id) })
            }
        }
    }

    @Test func development_500_shows_the_error_to_the_developer() async throws {
        try await withTestApp(routes: routes) { app in
            try await app.testing().test(.GET, "test/leak") { res in
                #expect(res.status == .internalServerError)
                #expect(res.body.string.contains("not production"))
            }
        }
    }

    @Test func abort_reasons_are_replaced() async throws {
        try await withTestApp(productionMode, routes: routes) { app in
            try await app.testing().test(.GET, "test/abort") { res in
                expectClean(res, status: .badRequest)
            }
        }
    }

    @Test func decoding_errors_name_the_field_only() async throws {
        try await withTestApp(productionMode, routes: routes) { app in
            try await app.testing().test(.POST, "test/decode", headers: ["Content-Type": "application/json"],
                                         body: ByteBuffer(string: #"{"name":"x","count":"seven"}"#)) { res in
                expectClean(res, status: .badRequest)
                #expect(res.problem?["detail"] as? String == "The field at /count has the wrong type.")
            }
            try await app.testing().test(.POST, "test/decode", headers: ["Content-Type": "application/json"],
                                         body: ByteBuffer(string: #"{"name":"x""#)) { res in
                expectClean(res, status: .badRequest)
            }
            try await app.testing().test(.POST, "test/decode", headers: ["Content-Type": "application/json"],
                                         body: ByteBuffer(string: #"{"name":"x"}"#)) { res in
                expectClean(res, status: .badRequest)
                #expect(res.problem?["detail"] as? String == "The field at /count is required.")
            }
        }
    }

    @Test func unsupported_media_type_is_a_problem() async throws {
        try await withTestApp(productionMode, routes: routes) { app in
            try await app.testing().test(.POST, "test/decode", headers: ["Content-Type": "application/x-unknown"],
                                         body: ByteBuffer(string: "x")) { res in
                expectClean(res, status: .unsupportedMediaType)
            }
        }
    }

    @Test func json_nesting_limit() async throws {
        try await withTestApp(productionMode, routes: routes) { app in
            let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
            try await app.testing().test(.POST, "test/decode", headers: ["Content-Type": "application/json"],
                                         body: ByteBuffer(string: deep)) { res in
                expectClean(res, status: .badRequest)
                #expect(res.problem?["type"] as? String == "urn:smflow:problem:json-too-deep")
            }
        }
    }

    @Test func body_limit_is_413_problem() async throws {
        try await withTestApp({ config in
            productionMode(&config)
            config.maxBodyBytes = 4096
        }, routes: routes) { app in
            try await app.testing().test(.POST, "test/decode", headers: ["Content-Type": "application/json"],
                                         body: ByteBuffer(string: #"{"name":""# + String(repeating: "a", count: 5000) + #"","count":1}"#)) { res in
                expectClean(res, status: .payloadTooLarge)
            }
            // At the limit is fine.
            try await app.testing().test(.POST, "test/decode", headers: ["Content-Type": "application/json"],
                                         body: ByteBuffer(string: #"{"name":"ok","count":1}"#)) { res in
                #expect(res.status == .ok)
            }
        }
    }

    @Test func not_found_and_wrong_method_are_problems() async throws {
        try await withTestApp(productionMode, routes: routes) { app in
            try await app.testing().test(.GET, "definitely/not/here") { res in
                expectClean(res, status: .notFound)
            }
            try await app.testing().test(.DELETE, "healthz") { res in
                #expect(res.status == .notFound || res.status == .methodNotAllowed)
                #expect(res.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            }
        }
    }
}
