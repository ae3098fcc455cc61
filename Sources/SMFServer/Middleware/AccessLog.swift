import Logging
import Vapor

/// One structured log line and the HTTP metrics for every request, and the
/// unusual-usage detector fed with every answer.
///
/// Routes are named by their *pattern* (`/api/v1/flows/:id`), never the raw
/// path: raw paths carry ids and user input, and as metric labels they would
/// grow without bound. Headers are never logged.
struct AccessLog: Sendable {
    let metrics: HTTPMetrics
    let usage: UsageAnomalyReporter

    func started() {
        metrics.requestStarted()
    }

    func finished(_ request: Request, status: Int, bytes: Int, since start: ContinuousClock.Instant) {
        metrics.requestFinished()
        let duration = start.duration(to: .now)
        let route = Self.routePattern(of: request)
        let method = HTTPMetrics.methodLabel(request.method)
        metrics.record(method: method, route: route, status: status, duration: duration)
        usage.observe(request, status: status)

        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let fields: [(String, String)] = [
            ("bytes", String(max(bytes, 0))),
            ("client_ip", request.clientAddress),
            ("duration_ms", Self.milliseconds(micros)),
            ("method", method),
            ("route", route),
            ("status", String(status)),
        ]
        // The production handler takes the line as it is; any other handler
        // (text in development, the tests' capture) gets ordinary metadata.
        if let json = request.logger.handler as? JSONLogHandler {
            json.log(level: .info, message: "request", fields: fields)
        } else {
            request.logger.info("request", metadata: Logger.Metadata(uniqueKeysWithValues: fields.map { ($0.0, .string($0.1)) }))
        }
    }

    /// Microseconds as milliseconds with three decimals ("12.034"), trailing zeros dropped as Double would.
    static func milliseconds(_ micros: Int64) -> String {
        String(Double(micros) / 1000)
    }

    /// The matched route's pattern, or `unmatched` for 404s.
    static func routePattern(of request: Request) -> String {
        guard let route = request.route else { return "unmatched" }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }
}
