/// HTTP → HTTPS: plain HTTP must only redirect to https:// on the same host.
enum LiveRedirectRules {
    static let keys: Set<String> = ["app.https", "mistake.unencrypted-communication"]

    struct Outcome: Sendable {
        let findings: [Finding]
        /// nil when it could not be decided (nothing listens on port 80).
        let redirectsToHTTPS: Bool?
        /// For an http:// URL: the https origin it redirects to (same host), to probe next.
        let httpsTarget: LiveTarget?
    }

    /// - Parameter expecting: the https target the http variant should lead to (nil for an http URL).
    static func probe(_ probe: HTTPProbe, expecting: LiveTarget?) -> Outcome {
        let plain = probe.target
        let exchange = probe.request(plain.basePath + "/")
        let evidence = Evidence(detail: exchange.summary + (exchange.value("Location").map { ", Location: \($0)" } ?? ""))
        if exchange.status == 0 {
            // Nothing on port 80 sends no plaintext, but visitors typing the bare name get no answer.
            let finding = expecting == nil
                ? Finding.fail("app.https", .high, evidence, fix: "The --url does not answer; check the URL and that the service runs.")
                : Finding.warn("app.https", .low, evidence, fix: "Serve port 80 with only a 301 to https:// (and the ACME challenge), so visitors who type the bare name arrive over TLS.")
            return Outcome(findings: [finding], redirectsToHTTPS: nil, httpsTarget: nil)
        }
        let location = exchange.value("Location").flatMap { URLComponentsLite($0) }
        let redirects = [301, 302, 303, 307, 308].contains(exchange.status)
        guard redirects, let location, location.scheme == "https", location.host.caseInsensitiveCompare(plain.host) == .orderedSame else {
            let detail = redirects ? "redirects, but not to https:// on \(plain.host)" : "answers over plain HTTP instead of redirecting"
            return Outcome(findings: Finding.each(Array(keys).sorted()) {
                .fail($0, .high, Evidence(detail: "\(evidence.detail): \(detail)"),
                      fix: "On port 80 answer every request (except /.well-known/acme-challenge/) with `return 301 https://$host$request_uri;`.")
            }, redirectsToHTTPS: false, httpsTarget: nil)
        }
        let pass = Finding.each(Array(keys).sorted()) { .pass($0, Evidence(detail: "\(evidence.detail): plain HTTP redirects to HTTPS")) }
        let https = expecting ?? plain.with(scheme: "https", port: location.port ?? 443)
        return Outcome(findings: pass, redirectsToHTTPS: true, httpsTarget: https)
    }
}

/// scheme, host and port of an absolute URL (Location header), without Foundation's URL quirks.
struct URLComponentsLite: Sendable {
    let scheme: String
    let host: String
    let port: Int?

    init?(_ text: String) {
        guard let schemeEnd = text.range(of: "://") else { return nil }
        scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            port = Int(hostPort[close...].dropFirst(2))
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            port = Int(hostPort[hostPort.index(after: colon)...])
        } else {
            host = hostPort
            port = nil
        }
        guard !host.isEmpty else { return nil }
    }
}
