import Foundation
import Testing
import Yams

/// deploy/monitoring/alerts.yml and the Grafana dashboard
/// (deploy/monitoring/grafana/smflow-dashboard.json) against a real
/// `smflow serve`: every metric an alert or a panel reads is one the app exports (or one Prometheus and the blackbox
/// exporter make: `up`, `probe_*`), and every label value an alert matches
/// on exists on some exported series. A renamed metric or label would
/// otherwise leave an alert that can never fire — promtool accepts any name.
@Suite struct MonitoringRulesTests {
    /// Series Prometheus itself or the blackbox exporter produce.
    static func isExternal(_ name: String) -> Bool {
        name == "up" || name.hasPrefix("probe_")
    }

    /// Labels Prometheus adds at scrape time.
    static let scrapeLabels: Set<String> = ["job", "instance"]

    struct Selector: Hashable, CustomStringConvertible {
        let metric: String
        let label: String
        let op: String
        let value: String
        var description: String { "\(metric){\(label)\(op)\"\(value)\"}" }
    }

    /// `name{label="v", label=~"re"}` selectors of a PromQL expression; a
    /// metric named without a selector is returned with an empty label.
    static func selectors(in expression: String) throws -> [Selector] {
        var found: [Selector] = []
        let selector = try NSRegularExpression(pattern: #"([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}"#)
        let matcher = try NSRegularExpression(pattern: #"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)""#)
        let whole = expression as NSString
        for match in selector.matches(in: expression, range: NSRange(location: 0, length: whole.length)) {
            let metric = whole.substring(with: match.range(at: 1))
            let body = whole.substring(with: match.range(at: 2)) as NSString
            found.append(Selector(metric: metric, label: "", op: "", value: ""))
            for pair in matcher.matches(in: body as String, range: NSRange(location: 0, length: body.length)) {
                found.append(Selector(metric: metric, label: body.substring(with: pair.range(at: 1)),
                                      op: body.substring(with: pair.range(at: 2)), value: body.substring(with: pair.range(at: 3))))
            }
        }
        return found
    }

    /// Every alert's expression, by alert name.
    static func alertExpressions() throws -> [(alert: String, expr: String)] {
        let text = try RepositoryFiles.text("deploy/monitoring/alerts.yml")
        guard let root = try Yams.load(yaml: text) as? [String: Any], let groups = root["groups"] as? [[String: Any]] else {
            throw Malformed()
        }
        return groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }.compactMap { rule in
            guard let alert = rule["alert"] as? String, let expr = rule["expr"] as? String else { return nil }
            return (alert, expr)
        }
    }

    /// Every dashboard panel query, by panel title.
    static func dashboardExpressions() throws -> [(alert: String, expr: String)] {
        let data = try Data(contentsOf: RepositoryFiles.url("deploy/monitoring/grafana/smflow-dashboard.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let panels = root["panels"] as? [[String: Any]] else { throw Malformed() }
        return panels.flatMap { panel -> [(alert: String, expr: String)] in
            let title = "panel \"\(panel["title"] as? String ?? "?")\""
            return ((panel["targets"] as? [[String: Any]]) ?? []).compactMap { target in
                (target["expr"] as? String).map { (title, $0) }
            }
        }
    }

    struct Malformed: Error {}

    /// Exposition lines → series name and labels.
    static func series(in exposition: String) -> [(name: String, labels: [String: String])] {
        exposition.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.isEmpty else { return nil }
            let head = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            guard let brace = head.firstIndex(of: "{") else { return (head, [:]) }
            var labels: [String: String] = [:]
            let body = head[head.index(after: brace)..<(head.lastIndex(of: "}") ?? head.endIndex)]
            for pair in body.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            return (String(head[..<brace]), labels)
        }
    }

    @Test func the_selector_parser_sees_names_and_matchers() throws {
        let found = try Self.selectors(in: #"sum(rate(http_requests_total{job="smflow-app", status=~"5.."}[5m])) / up{job="x"}"#)
        #expect(found == [
            Selector(metric: "http_requests_total", label: "", op: "", value: ""),
            Selector(metric: "http_requests_total", label: "job", op: "=", value: "smflow-app"),
            Selector(metric: "http_requests_total", label: "status", op: "=~", value: "5.."),
            Selector(metric: "up", label: "", op: "", value: ""),
            Selector(metric: "up", label: "job", op: "=", value: "x"),
        ])
    }

    @Test func every_metric_and_label_an_alert_reads_is_exported() async throws {
        let alerts = try Self.alertExpressions()
        #expect(alerts.count >= 15)
        let panels = try Self.dashboardExpressions()
        #expect(panels.count >= 20)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-monitoring-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, address) = try await SmflowBinary.startServe(environment: ["SMF_BCRYPT_COST": "10"], directory: directory)
        // One request of each outcome the HTTP alerts look at, so the
        // histogram and the 5xx-capable counter have series.
        _ = try await Curl.request(address + "/healthz")
        _ = try await Curl.request(address + "/no-such-route")
        let response = try await Curl.request(address + "/metrics")
        await server.stop()
        #expect(response.status == 200, "\(response)")
        let exposition = response.body

        let exported = Self.series(in: exposition)
        let names = Set(exported.map(\.name))
        for (alert, expr) in alerts + panels {
            let selectors = try Self.selectors(in: expr)
            #expect(!selectors.isEmpty, "\(alert): no metric selector found in its expression")
            for selector in selectors where !Self.isExternal(selector.metric) {
                guard names.contains(selector.metric) else {
                    Issue.record("\(alert) reads \(selector.metric), which /metrics does not export")
                    continue
                }
                guard !selector.label.isEmpty, !Self.scrapeLabels.contains(selector.label) else { continue }
                let values = exported.filter { $0.name == selector.metric }.compactMap { $0.labels[selector.label] }
                switch selector.op {
                case "=":
                    #expect(values.contains(selector.value), "\(alert): no exported series matches \(selector)")
                case "=~":
                    let regex = try NSRegularExpression(pattern: "^(?:" + selector.value + ")$")
                    let matches = values.contains { regex.firstMatch(in: $0, range: NSRange(location: 0, length: ($0 as NSString).length)) != nil }
                    // A 5xx matcher may legitimately match nothing on a healthy
                    // server: require only that the label itself is exported.
                    #expect(matches || (!values.isEmpty && selector.value.hasPrefix("5")), "\(alert): no exported series matches \(selector)")
                default:
                    #expect(!values.isEmpty, "\(alert): \(selector.metric) has no label \(selector.label)")
                }
            }
        }
    }
}
