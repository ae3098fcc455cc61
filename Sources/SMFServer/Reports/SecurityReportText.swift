import Foundation
import SMFSecurity

/// The text and JSON renderings of a `SecurityReport`.
public enum SecurityReportText {
    /// JSON: snake_case keys, sorted, pretty-printed, ending in a newline.
    public static func json(_ report: SecurityReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    /// Aligned plain text for a terminal or an e-mail. Data values are
    /// cleaned of control characters (no terminal escape sequences from
    /// stored values).
    public static func text(_ report: SecurityReport) -> String {
        var out: [String] = []
        out.append("SocialMediaFlow security report")
        out.append("Period:    \(report.period.since) .. \(report.period.until) (\(duration(report.period.seconds)))")
        out.append("Generated: \(report.generatedAt)")
        let t = report.totals
        section(&out, "Totals")
        table(&out, ["", "COUNT"], [
            ["security events", "\(t.securityEvents)"],
            ["sign-ins", "\(t.loginSuccesses)"],
            ["failed sign-ins", "\(t.loginFailures)"],
            ["throttled sign-ins", "\(t.loginThrottled)"],
            ["rate-limit violations", "\(t.rateLimitViolations)"],
            ["anomalies", "\(t.anomalies)"],
            ["authorization denials", "\(t.authorizationDenials)"],
            ["CSRF rejections", "\(t.csrfRejections)"],
            ["requests", "\(t.requests)"],
            ["4xx responses", "\(t.clientErrors)"],
            ["5xx responses", "\(t.serverErrors)"],
        ], right: [1])
        out.append(String(format: "  5xx rate: %.4f %%", report.http.serverErrorRate * 100)
            + (report.http.p95Ms.map { String(format: "   p95 latency (all routes): %.1f ms", $0) } ?? ""))

        section(&out, "Failed sign-ins by account")
        counts(&out, "ACCOUNT", report.failedLogins.byAccount)
        if report.failedLogins.unknownAccount > 0 {
            out.append("  (and \(report.failedLogins.unknownAccount) for names that are not an account)")
        }
        section(&out, "Failed sign-ins by client IP")
        counts(&out, "IP", report.failedLogins.byIP)
        section(&out, "Throttled accounts (reached \(LoginThrottlePolicy.account.threshold) failures in \(Int(LoginThrottlePolicy.account.window / 60)) min)")
        counts(&out, "ACCOUNT", report.throttling.accountsThrottled, countTitle: "TIMES")
        section(&out, "Throttled sign-in attempts by scope")
        counts(&out, "SCOPE", report.throttling.byScope)
        section(&out, "Throttled sign-in attempts by client IP")
        counts(&out, "IP", report.throttling.byIP)
        section(&out, "Rate-limit violators")
        table(&out, ["POLICY", "SUBJECT", "EVENTS", "LAST"],
              report.rateLimitViolators.map { [$0.policy, $0.subject, "\($0.events)", $0.lastAt ?? ""] }, right: [2])
        section(&out, "Anomalies")
        table(&out, ["KIND", "SUBJECT", "COUNT", "MAX OBSERVED", "LAST"],
              report.anomalies.map { [$0.kind, $0.subject, "\($0.count)", "\($0.maxObserved)", $0.lastAt ?? ""] }, right: [2, 3])
        section(&out, "Authorization denials by reason")
        counts(&out, "REASON", report.authorizationDenials.byReason)
        section(&out, "Authorization denials by caller")
        counts(&out, "CALLER", report.authorizationDenials.byCaller)
        section(&out, "Slowest routes (p95)")
        routes(&out, report.http.slowestRoutes)
        section(&out, "Routes with 5xx responses")
        routes(&out, report.http.serverErrorRoutes)
        section(&out, "Per day")
        table(&out, ["DAY", "REQUESTS", "5XX", "FAILED SIGN-INS", "THROTTLED", "RATE LIMITED", "ANOMALIES", "DENIED"],
              report.daily.map { ["\($0.day)", "\($0.requests)", "\($0.serverErrors)", "\($0.loginFailures)", "\($0.loginThrottled)",
                                  "\($0.rateLimitViolations)", "\($0.anomalies)", "\($0.authorizationDenials)"] },
              right: [1, 2, 3, 4, 5, 6, 7])
        section(&out, "Resource usage per day")
        table(&out, ["DAY", "INSTANCES", "SAMPLES", "MAX RSS", "MEAN RSS", "CPU SECONDS", "MAX FDS"],
              report.resources.map { [$0.day, "\($0.instances)", "\($0.samples)", megabytes($0.maxRSSBytes), megabytes($0.meanRSSBytes),
                                      String(format: "%.2f", $0.cpuSeconds), "\($0.maxOpenFileDescriptors)"] },
              right: [1, 2, 3, 4, 5, 6])
        section(&out, "Security events by type")
        table(&out, ["TYPE", "OUTCOME", "COUNT"], report.eventsByType.map { [$0.type, $0.outcome, "\($0.count)"] }, right: [2])
        if !report.notes.isEmpty {
            section(&out, "Notes")
            for note in report.notes { out.append("  - " + clean(note)) }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Removes control characters (ESC, CR, LF, …) from a data value.
    public static func clean(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter {
            $0.value >= 0x20 && !(0x7f...0x9f).contains($0.value) && $0 != "\u{2028}" && $0 != "\u{2029}"
        }))
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    static func duration(_ seconds: Int64) -> String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
        return "\(seconds / 60)m"
    }

    private static func section(_ out: inout [String], _ title: String) {
        out.append("")
        out.append(title)
    }

    private static func counts(_ out: inout [String], _ title: String, _ rows: [SecurityReport.NamedCount], countTitle: String = "COUNT") {
        table(&out, [title, countTitle, "LAST"], rows.map { [$0.name, "\($0.count)", $0.lastAt ?? ""] }, right: [1])
    }

    private static func routes(_ out: inout [String], _ rows: [SecurityReport.RouteFigures]) {
        table(&out, ["METHOD", "ROUTE", "REQUESTS", "4XX", "5XX", "MEAN MS", "P95 MS", "MAX MS"],
              rows.map { [$0.method, $0.route, "\($0.requests)", "\($0.clientErrors)", "\($0.serverErrors)",
                          String(format: "%.1f", $0.meanMs), String(format: "%.1f", $0.p95Ms), String(format: "%.1f", $0.maxMs)] },
              right: [2, 3, 4, 5, 6, 7])
    }

    /// Columns padded to their widest cell; `right` columns right-aligned.
    static func table(_ out: inout [String], _ header: [String], _ rows: [[String]], right: Set<Int>) {
        guard !rows.isEmpty else {
            out.append("  (none)")
            return
        }
        let cleaned = rows.map { $0.map { clean($0) } }
        let widths = header.indices.map { column in
            ([header[column]] + cleaned.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            let padded = header.indices.map { column -> String in
                let cell = column < cells.count ? cells[column] : ""
                let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
                return right.contains(column) ? pad + cell : cell + pad
            }
            return ("  " + padded.joined(separator: "  ")).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        out.append(line(header))
        for row in cleaned { out.append(line(row)) }
    }
}
