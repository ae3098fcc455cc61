import Foundation

/// The running deployment (`--url`): redirect, TLS and certificate, headers
/// graded with the Observatory scoring, version disclosure, CORS with an
/// evil origin, a bounded burst that must meet a 429, error-leak probes,
/// `/metrics` not public, protected API paths refusing missing or invalid
/// credentials, availability. At most ~240 requests, each bounded
/// by `--timeout`, all to the URL's host (plus its http:// variant on port 80).
struct LiveChecks: AuditCheck {
    let name = "live"
    let input = AuditInput.live
    let keys: Set<String> = LiveRedirectRules.keys.union(LiveTLSRules.keys).union(LiveHeaderRules.keys)
        .union(LiveProbeRules.keys).union(LiveErrorLeakRules.keys).union(LiveHealthRules.keys).union(LiveAuthRules.keys)

    func run(in context: AuditContext) -> [Finding] {
        let request = context.request
        guard let raw = request.url else { return [] }
        guard let given = LiveTarget(url: raw, address: request.liveAddress, caFile: request.liveCAFile, timeout: request.timeoutSeconds) else {
            return notApplicable("--url \(raw) is not an http:// or https:// URL with a host")
        }
        guard let firstProbe = HTTPProbe(target: given) else { return notApplicable("needs curl/openssl on PATH (curl not found)") }

        // An http:// URL is judged on its redirect, then the https origin it redirects to is probed.
        var findings: [Finding] = []
        var target = given
        let redirect: LiveRedirectRules.Outcome
        if given.isHTTPS {
            redirect = LiveRedirectRules.probe(HTTPProbe(curl: firstProbe.curl, target: given.with(scheme: "http", port: 80)), expecting: given)
        } else {
            redirect = LiveRedirectRules.probe(firstProbe, expecting: nil)
            if let https = redirect.httpsTarget { target = https }
        }
        findings += redirect.findings
        let probe = HTTPProbe(curl: firstProbe.curl, target: target)

        // Each group of probes runs only when a key it decides is reported (`--only`).
        func wanted(_ group: Set<String>) -> Bool { context.only.map { !$0.isDisjoint(with: group) } ?? true }

        let base = probe.request(target.basePath + "/")
        guard base.status != 0 else {
            return findings + LiveHealthRules.unreachable(base) + keys.subtracting(LiveRedirectRules.keys).subtracting(LiveHealthRules.keys).sorted()
                .map { Finding.notApplicable($0, "no HTTP answer from \(base.url): nothing else was probed") }
        }
        if target.isHTTPS && wanted(LiveTLSRules.keys) {
            if let tls = TLSProbe(target: target) {
                findings += LiveTLSRules.findings(tls)
            } else {
                findings += LiveTLSRules.keys.map { Finding.notApplicable($0, "needs curl/openssl on PATH (openssl not found): TLS versions and certificate not checked") }
            }
        }
        findings += LiveHeaderRules.findings(base, https: target.isHTTPS, redirectsToHTTPS: redirect.redirectsToHTTPS)
        // Before the burst below, which may leave this client rate-limited for a while.
        let auth = wanted(LiveAuthRules.keys.union(LiveHealthRules.keys)) ? LiveAuthRules.findings(probe) : (findings: [], exchanges: [])
        let probes = wanted(LiveProbeRules.keys.union(LiveHealthRules.keys)) ? LiveProbeRules.findings(probe, base: base) : (findings: [], exchanges: [])
        let leaks = wanted(LiveErrorLeakRules.keys.union(LiveHealthRules.keys)) ? LiveErrorLeakRules.findings(probe) : (findings: [], exchanges: [])
        findings += probes.findings + leaks.findings + auth.findings
        findings += LiveHealthRules.findings(base: base, exchanges: [base] + probes.exchanges + leaks.exchanges + auth.exchanges)
        return findings
    }

    private func notApplicable(_ reason: String) -> [Finding] {
        keys.sorted().map { Finding.notApplicable($0, reason) }
    }
}

extension HTTPProbe {
    init(curl: String, target: LiveTarget) {
        self.curl = curl
        self.target = target
    }
}
