import Foundation

/// TLS versions the server accepts (1.0/1.1 refused, 1.2 or 1.3 accepted)
/// and its certificate: chain and host name verified, days to expiry
/// (warn under 30, fail under 7).
enum LiveTLSRules {
    static let keys: Set<String> = ["app.https", "mistake.unencrypted-communication"]

    static func findings(_ tls: TLSProbe, now: Date = Date()) -> [Finding] {
        versionFindings(tls) + certificateFindings(tls.certificate(), endpoint: tls.target.connectAddress, host: tls.target.host, now: now)
    }

    static func versionFindings(_ tls: TLSProbe) -> [Finding] {
        let versions = [("TLS 1.0", "tls1"), ("TLS 1.1", "tls1_1"), ("TLS 1.2", "tls1_2"), ("TLS 1.3", "tls1_3")]
        var outcomes: [String: TLSProbe.Handshake] = [:]
        for (label, flag) in versions { outcomes[label] = tls.handshake(flag) }
        let summary = versions.map { label, _ in
            switch outcomes[label] {
            case .accepted: "\(label) accepted"
            case .refused: "\(label) refused"
            case .untestable(let why): "\(label) untested (\(why))"
            case nil: "\(label) untested"
            }
        }.joined(separator: ", ")
        let evidence = Evidence(detail: "openssl s_client to \(tls.target.connectAddress): \(summary)")
        let legacy = ["TLS 1.0", "TLS 1.1"].filter { outcomes[$0] == .accepted }
        if !legacy.isEmpty {
            return Finding.each(Array(keys).sorted()) {
                .fail($0, .high, evidence, fix: "Accept only TLS 1.2 and 1.3 (nginx: `ssl_protocols TLSv1.2 TLSv1.3;`).")
            }
        }
        guard outcomes["TLS 1.2"] == .accepted || outcomes["TLS 1.3"] == .accepted else {
            return [.fail("app.https", .high, evidence, fix: "Serve TLS 1.2 and/or 1.3 on the URL's port.")]
        }
        let untested = ["TLS 1.0", "TLS 1.1"].filter { if case .untestable = outcomes[$0] { true } else { false } }
        if !untested.isEmpty {
            return [.warn("app.https", .low, evidence, fix: "Check with an openssl that can still offer \(untested.joined(separator: "/")) that the server refuses them.")]
        }
        // TLS 1.2+ only: the traffic to this URL is encrypted, whatever port 80 does.
        return Finding.each(Array(keys).sorted()) { .pass($0, evidence) }
    }

    static func certificateFindings(_ certificate: TLSProbe.Certificate?, endpoint: String, host: String, now: Date) -> [Finding] {
        guard let certificate else {
            return [.fail("app.https", .high, Evidence(detail: "openssl s_client to \(endpoint): no certificate could be read"),
                          fix: "Serve a certificate for \(host).")]
        }
        var findings: [Finding] = []
        let subject = certificate.subject.isEmpty ? "" : " (\(certificate.subject))"
        if certificate.verified {
            findings.append(.pass("app.https", Evidence(detail: "certificate for \(host)\(subject) verifies: \(certificate.verifyResult)")))
        } else {
            findings.append(.fail("app.https", .high, Evidence(detail: "certificate for \(host)\(subject) does not verify: \(certificate.verifyResult)"),
                                  fix: "Serve a certificate that a public CA (or your --cacert) signed for \(host), with the full chain (fullchain.pem)."))
        }
        guard let notAfter = certificate.notAfter else {
            findings.append(.warn("app.https", .medium, Evidence(detail: "certificate expiry date could not be read"), fix: "Check the certificate's expiry by hand."))
            return findings
        }
        let days = Int(notAfter.timeIntervalSince(now) / 86_400)
        let evidence = Evidence(detail: "certificate expires \(ISO8601DateFormatter().string(from: notAfter)): \(days) days left")
        let renew = "Renew the certificate (certbot renew) and make renewal automatic (docs/DEPLOYMENT.md)."
        if days < 7 {
            findings.append(.fail("app.https", .critical, evidence, fix: renew))
        } else if days < 30 {
            findings.append(.warn("app.https", .medium, evidence, fix: renew))
        } else {
            findings.append(.pass("app.https", evidence))
        }
        return findings
    }
}
