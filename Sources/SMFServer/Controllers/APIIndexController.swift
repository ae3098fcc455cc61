import Vapor

/// `GET /api/v1`: where the API's parts are. Discloses no software version.
enum APIIndexController {
    struct Index: Content {
        let service: String
        let api: String
        let links: [String: String]
    }

    @Sendable static func index(_ request: Request) async throws -> Index {
        Index(service: "smflow", api: "v1", links: [
            "health": "/healthz",
            "readiness": "/readyz",
            "openapi": "/api/v1/openapi.json",
        ])
    }
}
