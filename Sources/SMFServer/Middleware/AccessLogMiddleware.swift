import Vapor

/// One structured log line and the HTTP metrics for every request.
///
/// Routes are named by their *pattern* (`/api/v1/flows/:id`), never the raw
/// path: raw paths carry ids and user input, and as metric labels they would
/// grow without bound. Headers are never logged. Every answer also feeds the
/// unusual-usage detector.
struct AccessLogMiddleware: Middleware {
    let metrics: HTTPMetrics
    let usage: UsageAnomalyReporter

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        metrics.requestStarted()
        return next.respond(to: request).always { [metrics] result in
            metrics.requestFinished()
            switch result {
            case .success(let response):
                record(request, status: Int(response.status.code), bytes: response.body.count, since: start)
            case .failure:
                // Only reached if an error escapes the error middleware, which
                // should never happen; count it as the 500 the client will see.
                record(request, status: 500, bytes: 0, since: start)
            }
        }
    }

    private func record(_ request: Request, status: Int, bytes: Int, since start: ContinuousClock.Instant) {
        let duration = start.duration(to: .now)
        let route = Self.routePattern(of: request)
        let method = HTTPMetrics.methodLabel(request.method)
        metrics.record(method: method, route: route, status: status, duration: duration)
        usage.observe(request, status: status)
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        request.logger.info("request", metadata: [
            "method": .string(method),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration_ms": .stringConvertible((seconds * 1_000_000).rounded() / 1000),
            "bytes": .stringConvertible(max(bytes, 0)),
            "client_ip": .string(request.clientIP?.description ?? "unknown"),
        ])
    }

    /// The matched route's pattern, or `unmatched` for 404s.
    static func routePattern(of request: Request) -> String {
        guard let route = request.route else { return "unmatched" }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }
}
