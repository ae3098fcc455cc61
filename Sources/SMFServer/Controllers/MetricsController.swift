import Vapor

/// Prometheus scrape endpoint, for administrative networks only
/// (`SMF_ADMIN_NETWORKS`, checklist key `network.admin-private`).
///
/// Other clients get the same 404 as for a path that does not exist, so the
/// endpoint's presence is not advertised.
enum MetricsController {
    static let contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])

    @Sendable static func scrape(_ request: Request) async throws -> Response {
        let context = request.application.smf
        guard let client = request.clientIP, context.config.adminNetworks.contains(client) else {
            throw SMFError.notFound
        }
        // Readiness and queue gauges come from the database, read now (ScrapeTimeMetrics).
        await ScrapeTimeMetrics.refresh(request)
        var headers = HTTPHeaders()
        headers.contentType = contentType
        return Response(status: .ok, headers: headers, body: .init(string: context.metrics.exposition()))
    }
}
