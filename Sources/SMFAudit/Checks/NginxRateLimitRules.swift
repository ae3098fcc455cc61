/// `limit_req`: zones defined AND applied, and every proxied location covered.
enum NginxRateLimitRules {
    static let keys = ["app.rate-limiting", "mistake.no-rate-limiting"]

    static func zoneName(_ directive: NginxDirective) -> String? {
        guard let zone = directive.arguments.first(where: { $0.hasPrefix("zone=") }) else { return nil }
        return String(zone.dropFirst("zone=".count).split(separator: ":").first ?? "")
    }

    static func findings(_ config: NginxConfig, scopes: [NginxScope]) -> [Finding] {
        var findings: [Finding] = []
        let defined = config.http.all("limit_req_zone")
        let definedNames = Set(defined.compactMap(zoneName))
        let applied = config.http.all("limit_req")
        let appliedNames = Set(applied.compactMap(zoneName))
        if applied.isEmpty {
            let detail = defined.isEmpty ? "no limit_req_zone and no limit_req" : "limit_req_zone \(definedNames.sorted().joined(separator: ", ")) defined but never applied with limit_req"
            return Finding.each(keys) { .fail($0, .high, Evidence(file: defined.first?.file ?? config.files.first, line: defined.first?.line, detail: detail),
                                               fix: "Define `limit_req_zone $binary_remote_addr zone=api:10m rate=20r/s;` and apply `limit_req zone=api burst=40 nodelay;` in the proxied locations.") }
        }
        for use in applied {
            if let name = zoneName(use), !definedNames.contains(name) {
                findings += Finding.each(keys) { .fail($0, .high, use.evidence.with(detail: "limit_req uses zone \(name), which no limit_req_zone defines (nginx refuses to start)"), fix: "Define the zone with limit_req_zone.") }
            }
        }
        for zone in defined {
            if let name = zoneName(zone), !appliedNames.contains(name) {
                findings.append(.warn("app.rate-limiting", .low, zone.evidence.with(detail: "zone \(name) is defined but never applied"), fix: "Apply it with limit_req where it is meant to protect, or remove it."))
            }
        }
        for scope in scopes where scope.own.contains(where: { $0.name == "proxy_pass" || $0.name == "fastcgi_pass" }) && scope.limitRequests.isEmpty && !scope.isRestricted {
            findings += Finding.each(keys) { .warn($0, .medium, Evidence(file: scope.file, line: scope.ownLine, detail: "\(scope.label) proxies without limit_req"),
                                                  fix: "Apply limit_req in this location (a location's own limit_req replaces inherited ones).") }
        }
        if !findings.contains(where: { $0.status != .pass && $0.key == "mistake.no-rate-limiting" }) {
            findings += Finding.each(keys) { .pass($0, Evidence(file: applied[0].file, line: applied[0].line, detail: "limit_req applied with zone(s) \(appliedNames.sorted().joined(separator: ", ")), every proxied location covered")) }
        }
        return findings
    }
}
