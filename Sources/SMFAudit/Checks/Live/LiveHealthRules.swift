/// Availability, response time and error rate as seen by the audit's own
/// requests (a snapshot, not monitoring).
enum LiveHealthRules {
    static let keys: Set<String> = ["health.availability", "health.response-times", "health.error-rates"]

    static func unreachable(_ base: HTTPExchange) -> [Finding] {
        [.fail("health.availability", .critical, Evidence(detail: base.summary), fix: "Check that the service runs and the URL is right.")]
            + ["health.response-times", "health.error-rates"].map { Finding.notApplicable($0, "no HTTP answer from \(base.url)") }
    }

    static func findings(base: HTTPExchange, exchanges: [HTTPExchange]) -> [Finding] {
        var findings: [Finding] = []
        if base.status >= 500 {
            findings.append(.fail("health.availability", .high, Evidence(detail: base.summary), fix: "The service answers with a server error; read its logs."))
        } else {
            findings.append(.pass("health.availability", Evidence(detail: base.summary)))
        }
        let slowest = exchanges.filter { $0.status != 0 && $0.body.utf8.count < 1_000_000 }.max { $0.seconds < $1.seconds }
        if let slowest {
            let detail = "slowest of \(exchanges.count) probe answers: \(slowest.summary) in \(Int(slowest.seconds * 1000)) ms"
            if slowest.seconds > 2 {
                findings.append(.warn("health.response-times", .low, Evidence(detail: detail), fix: "Find what is slow (metrics, logs); set up response-time monitoring."))
            } else {
                findings.append(.pass("health.response-times", Evidence(detail: detail)))
            }
        }
        let errors = exchanges.filter { $0.status >= 500 && $0.status != 503 }
        if errors.isEmpty {
            findings.append(.pass("health.error-rates", Evidence(detail: "no 5xx among \(exchanges.count) probe answers")))
        } else {
            findings.append(.warn("health.error-rates", .medium, Evidence(detail: "5xx answers: " + errors.map(\.summary).joined(separator: "; ")),
                                  fix: "Bad input must give 4xx; read the logs for these 5xx and monitor the error rate."))
        }
        return findings
    }
}
