import Foundation
import SMFSecurity

/// The HTML rendering of a `SecurityReport`: one self-contained file that
/// opens offline — inline CSS, charts as inline SVG, no scripts, no external
/// resources (a Content-Security-Policy of `default-src 'none'` says so to
/// the browser as well). Every data value is HTML-escaped.
public enum SecurityReportHTML {
    public static func render(_ report: SecurityReport) -> String {
        var body: [String] = []
        let t = report.totals
        body.append("<h1>SocialMediaFlow security report</h1>")
        body.append("<p class=\"meta\">Period <b>\(esc(report.period.since))</b> to <b>\(esc(report.period.until))</b> "
            + "(\(esc(SecurityReportText.duration(report.period.seconds)))) · generated \(esc(report.generatedAt))</p>")

        body.append("<section class=\"cards\">")
        let cards: [(String, String, Bool)] = [
            ("Requests", "\(t.requests)", false),
            ("5xx rate", String(format: "%.3f %%", report.http.serverErrorRate * 100), report.http.serverErrorRate > 0.01),
            ("p95 latency", report.http.p95Ms.map { String(format: "%.1f ms", $0) } ?? "–", false),
            ("Failed sign-ins", "\(t.loginFailures)", t.loginFailures > 0),
            ("Throttled sign-ins", "\(t.loginThrottled)", t.loginThrottled > 0),
            ("Rate-limit violations", "\(t.rateLimitViolations)", t.rateLimitViolations > 0),
            ("Anomalies", "\(t.anomalies)", t.anomalies > 0),
            ("Authorization denials", "\(t.authorizationDenials)", t.authorizationDenials > 0),
            ("CSRF rejections", "\(t.csrfRejections)", t.csrfRejections > 0),
            ("Security events", "\(t.securityEvents)", false),
        ]
        for (label, value, alert) in cards {
            body.append("<div class=\"card\(alert ? " alert" : "")\"><div class=\"v\">\(esc(value))</div><div class=\"l\">\(esc(label))</div></div>")
        }
        body.append("</section>")

        let days = report.daily.map { String($0.day.dropFirst(5)) }
        body.append("<h2>Requests per day</h2>")
        body.append(barChart(labels: days, series: [
            ("requests", "s1", report.daily.map { Double($0.requests) }),
            ("5xx", "s2", report.daily.map { Double($0.serverErrors) }),
        ]))
        body.append("<h2>Security events per day</h2>")
        body.append(barChart(labels: days, series: [
            ("failed sign-ins", "s2", report.daily.map { Double($0.loginFailures) }),
            ("throttled", "s3", report.daily.map { Double($0.loginThrottled) }),
            ("rate limited", "s4", report.daily.map { Double($0.rateLimitViolations) }),
            ("anomalies", "s5", report.daily.map { Double($0.anomalies) }),
            ("denied", "s6", report.daily.map { Double($0.authorizationDenials) }),
        ]))

        body.append("<h2>Failed sign-ins</h2><div class=\"two\">")
        body.append(counts("Account", report.failedLogins.byAccount))
        body.append(counts("Client IP", report.failedLogins.byIP))
        body.append("</div>")
        if report.failedLogins.unknownAccount > 0 {
            body.append("<p>And \(report.failedLogins.unknownAccount) failed sign-in(s) for names that are not an account.</p>")
        }
        body.append("<h2>Throttling</h2><div class=\"two\">")
        body.append(counts("Throttled account (\(LoginThrottlePolicy.account.threshold) failures in \(Int(LoginThrottlePolicy.account.window / 60)) min)",
                           report.throttling.accountsThrottled, countTitle: "Times"))
        body.append(counts("Throttled attempts by client IP", report.throttling.byIP))
        body.append("</div>")
        body.append(counts("Throttled attempts by scope", report.throttling.byScope))
        body.append("<h2>Rate-limit violators</h2>")
        body.append(table(["Policy", "Subject", "Events", "Last"], report.rateLimitViolators.map {
            [$0.policy, $0.subject, "\($0.events)", $0.lastAt ?? ""] }, numeric: [2]))
        body.append("<h2>Anomalies</h2>")
        body.append(table(["Kind", "Subject", "Count", "Max observed", "Last"], report.anomalies.map {
            [$0.kind, $0.subject, "\($0.count)", "\($0.maxObserved)", $0.lastAt ?? ""] }, numeric: [2, 3]))
        body.append("<h2>Authorization denials</h2><div class=\"two\">")
        body.append(counts("Reason", report.authorizationDenials.byReason))
        body.append(counts("Caller", report.authorizationDenials.byCaller))
        body.append("</div>")
        body.append(counts("Action", report.authorizationDenials.byAction))

        body.append("<h2>Slowest routes (p95)</h2>")
        body.append(horizontalBars(report.http.slowestRoutes.map { ("\($0.method) \($0.route)", $0.p95Ms) }, unit: "ms"))
        body.append(routes(report.http.slowestRoutes))
        body.append("<h2>Routes with 5xx responses</h2>")
        body.append(routes(report.http.serverErrorRoutes))

        body.append("<h2>Resource usage per day</h2>")
        let resourceDays = report.resources.map { String($0.day.dropFirst(5)) }
        body.append(barChart(labels: resourceDays, series: [
            ("max RSS (MiB)", "s1", report.resources.map { Double($0.maxRSSBytes) / 1_048_576 }),
            ("mean RSS (MiB)", "s3", report.resources.map { Double($0.meanRSSBytes) / 1_048_576 }),
        ]))
        body.append(table(["Day", "Instances", "Samples", "Max RSS", "Mean RSS", "CPU seconds", "Max FDs"], report.resources.map {
            [$0.day, "\($0.instances)", "\($0.samples)", SecurityReportText.megabytes($0.maxRSSBytes),
             SecurityReportText.megabytes($0.meanRSSBytes), String(format: "%.2f", $0.cpuSeconds), "\($0.maxOpenFileDescriptors)"] },
            numeric: [1, 2, 3, 4, 5, 6]))

        body.append("<h2>Security events by type</h2>")
        body.append(table(["Type", "Outcome", "Count"], report.eventsByType.map { [$0.type, $0.outcome, "\($0.count)"] }, numeric: [2]))
        if !report.notes.isEmpty {
            body.append("<h2>Notes</h2><ul>" + report.notes.map { "<li>\(esc($0))</li>" }.joined() + "</ul>")
        }

        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <meta name="referrer" content="no-referrer">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>SocialMediaFlow security report \(esc(String(report.period.since.prefix(10)))) – \(esc(String(report.period.until.prefix(10))))</title>
            <style>\(css)</style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// Escapes the five characters that matter in text and attribute values.
    public static func esc(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.count)
        for scalar in SecurityReportText.clean(value).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static let css = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#fff;margin:24px auto;max-width:1000px;padding:0 16px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
        .meta{color:#5b6577;margin:0 0 16px}
        .cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde2ea;border-radius:6px;padding:8px 12px;min-width:150px}
        .card .v{font-size:20px;font-weight:600}.card .l{color:#5b6577;font-size:12px}.card.alert{border-color:#d9534f;background:#fdf2f2}
        table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eef1f5;vertical-align:top}
        th{background:#f5f7fa;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td{word-break:break-word}
        .two{display:grid;grid-template-columns:1fr 1fr;gap:16px}.none{color:#8a93a3;font-style:italic}
        svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#5b6577}
        .s1{fill:#3b7dd8}.s2{fill:#d9534f}.s3{fill:#f0ad4e}.s4{fill:#8e6bd1}.s5{fill:#2a9d8f}.s6{fill:#6c757d}.axis{stroke:#c4cad4}
        @media print{body{margin:0}}
        """

    private static func counts(_ title: String, _ rows: [SecurityReport.NamedCount], countTitle: String = "Count") -> String {
        "<div>" + table([title, countTitle, "Last"], rows.map { [$0.name, "\($0.count)", $0.lastAt ?? ""] }, numeric: [1]) + "</div>"
    }

    private static func routes(_ rows: [SecurityReport.RouteFigures]) -> String {
        table(["Method", "Route", "Requests", "4xx", "5xx", "Mean ms", "p95 ms", "Max ms"], rows.map {
            [$0.method, $0.route, "\($0.requests)", "\($0.clientErrors)", "\($0.serverErrors)", String(format: "%.1f", $0.meanMs),
             String(format: "%.1f", $0.p95Ms), String(format: "%.1f", $0.maxMs)] }, numeric: [2, 3, 4, 5, 6, 7])
    }

    private static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
        guard !rows.isEmpty else { return "<p class=\"none\">\(esc(header.first ?? "")): none.</p>" }
        var html = "<table><thead><tr>"
        for (index, title) in header.enumerated() {
            html += numeric.contains(index) ? "<th class=\"n\">\(esc(title))</th>" : "<th>\(esc(title))</th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>"
            for (index, cell) in row.enumerated() {
                html += numeric.contains(index) ? "<td class=\"n\">\(esc(cell))</td>" : "<td>\(esc(cell))</td>"
            }
            html += "</tr>"
        }
        return html + "</tbody></table>"
    }

    /// Grouped vertical bars, one group per label, with a legend.
    static func barChart(labels: [String], series: [(name: String, css: String, values: [Double])]) -> String {
        guard !labels.isEmpty else { return "<p class=\"none\">No data.</p>" }
        let width = 960.0, height = 220.0, left = 48.0, bottom = 24.0, top = 22.0
        let plotWidth = width - left - 8, plotHeight = height - bottom - top
        let maximum = niceMaximum(series.flatMap(\.values).max() ?? 0)
        let group = plotWidth / Double(labels.count)
        let bar = max(1, min(18, (group * 0.8) / Double(max(series.count, 1))))
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        for step in 0...4 {
            let value = maximum * Double(step) / 4
            let y = top + plotHeight - plotHeight * Double(step) / 4
            svg += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - 8))\" y2=\"\(f(y))\"/>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(esc(short(value)))</text>"
        }
        let every = max(1, Int((Double(labels.count) / 16).rounded(.up)))
        for (index, label) in labels.enumerated() {
            let x0 = left + group * Double(index) + (group - bar * Double(series.count)) / 2
            for (seriesIndex, entry) in series.enumerated() {
                let value = index < entry.values.count ? entry.values[index] : 0
                let barHeight = maximum > 0 ? plotHeight * value / maximum : 0
                let x = x0 + bar * Double(seriesIndex)
                svg += "<rect class=\"\(esc(entry.css))\" x=\"\(f(x))\" y=\"\(f(top + plotHeight - barHeight))\" width=\"\(f(bar))\" height=\"\(f(barHeight))\">"
                    + "<title>\(esc(label)) \(esc(entry.name)): \(esc(short(value)))</title></rect>"
            }
            if index % every == 0 {
                svg += "<text x=\"\(f(left + group * Double(index) + group / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(esc(label))</text>"
            }
        }
        var x = left
        for entry in series {
            svg += "<rect class=\"\(esc(entry.css))\" x=\"\(f(x))\" y=\"4\" width=\"10\" height=\"10\"/>"
            svg += "<text x=\"\(f(x + 14))\" y=\"13\">\(esc(entry.name))</text>"
            x += 24 + Double(entry.name.count) * 6.5
        }
        return svg + "</svg>"
    }

    /// One horizontal bar per row, labelled, largest value full width.
    static func horizontalBars(_ rows: [(label: String, value: Double)], unit: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"none\">No request statistics.</p>" }
        let width = 960.0, rowHeight = 20.0, labelWidth = 380.0
        let height = rowHeight * Double(rows.count) + 8
        let maximum = max(rows.map(\.value).max() ?? 0, 0.001)
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        for (index, row) in rows.enumerated() {
            let y = 4 + rowHeight * Double(index)
            let barWidth = (width - labelWidth - 90) * row.value / maximum
            let label = row.label.count > 60 ? String(row.label.prefix(59)) + "…" : row.label
            svg += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + 13))\" text-anchor=\"end\">\(esc(label))</text>"
            svg += "<rect class=\"s1\" x=\"\(f(labelWidth))\" y=\"\(f(y + 2))\" width=\"\(f(max(1, barWidth)))\" height=\"\(f(rowHeight - 6))\">"
                + "<title>\(esc(row.label)): \(esc(String(format: "%.1f", row.value))) \(esc(unit))</title></rect>"
            svg += "<text x=\"\(f(labelWidth + max(1, barWidth) + 6))\" y=\"\(f(y + 13))\">\(esc(String(format: "%.1f", row.value))) \(esc(unit))</text>"
        }
        return svg + "</svg>"
    }

    private static func f(_ value: Double) -> String {
        String(format: "%.1f", value.isFinite ? value : 0)
    }

    private static func short(_ value: Double) -> String {
        if value >= 1_000_000 { return String(format: "%.1fM", value / 1_000_000) }
        if value >= 10_000 { return String(format: "%.0fk", value / 1_000) }
        if value.rounded() == value { return String(Int64(value)) }
        return String(format: "%.1f", value)
    }

    /// 1, 2, 4 or 8 times a power of ten at or above `value`, at least 4,
    /// so that the four grid steps are round numbers (integers for counts).
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 4, value.isFinite else { return 4 }
        let power = pow(10, (log10(value)).rounded(.down))
        for factor in [1.0, 2.0, 4.0, 8.0, 10.0] where factor * power >= value { return factor * power }
        return 10 * power
    }
}
