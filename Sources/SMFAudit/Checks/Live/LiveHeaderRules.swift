/// The security headers on the URL's answer, graded with the Observatory
/// scoring (score and grade in the evidence), plus the value rules the
/// nginx check applies to files: obsolete `X-XSS-Protection: 1; mode=block`,
/// CSP `'unsafe-inline'`/`'unsafe-eval'` for scripts.
enum LiveHeaderRules {
    static let keys: Set<String> = ["app.security-headers", "mistake.missing-headers"]

    static func findings(_ exchange: HTTPExchange, https: Bool, redirectsToHTTPS: Bool?) -> [Finding] {
        let grade = ObservatoryGrade.grade(headers: exchange.value, https: https, redirectsToHTTPS: redirectsToHTTPS)
        let scored = "\(exchange.summary): Observatory score \(grade.score)/100, grade \(grade.grade)"
            + (grade.modifiers.isEmpty ? "" : " (\(grade.modifiers.joined(separator: ", ")))")
        var findings: [Finding] = []

        var missing: [String] = []
        if exchange.value("Content-Security-Policy") == nil { missing.append("Content-Security-Policy") }
        if https && exchange.value("Strict-Transport-Security") == nil { missing.append("Strict-Transport-Security") }
        if exchange.value("X-Content-Type-Options")?.lowercased() != "nosniff" { missing.append("X-Content-Type-Options: nosniff") }
        let frameAncestors = exchange.value("Content-Security-Policy").map(CSP.init)?.directive("frame-ancestors") != nil
        if exchange.value("X-Frame-Options") == nil && !frameAncestors { missing.append("X-Frame-Options (or CSP frame-ancestors)") }
        if exchange.value("Referrer-Policy") == nil { missing.append("Referrer-Policy") }
        let addHeaders = "Send the header set on every response (nginx: `add_header … always;` in one snippet included wherever a level has its own add_header; see deploy/nginx/snippets/security-headers.conf)."
        if missing.isEmpty {
            findings.append(.pass("mistake.missing-headers", Evidence(detail: "\(exchange.summary): HSTS, CSP, X-Frame-Options, X-Content-Type-Options, Referrer-Policy present")))
        } else {
            findings += Finding.each(Array(keys).sorted()) {
                .fail($0, .medium, Evidence(detail: "\(exchange.summary): missing \(missing.joined(separator: ", "))"), fix: addHeaders)
            }
        }

        if let csp = exchange.value("Content-Security-Policy").map(CSP.init) {
            if csp.allowsUnsafeScripts {
                findings.append(.fail("app.security-headers", .medium, Evidence(detail: "\(exchange.summary): CSP allows 'unsafe-inline'/'unsafe-eval' scripts"),
                                      fix: "Drop 'unsafe-inline' and 'unsafe-eval' from script-src (use nonces or hashes)."))
            } else if csp.allowsUnsafeInlineStyles {
                findings.append(.warn("app.security-headers", .low, Evidence(detail: "\(exchange.summary): CSP allows 'unsafe-inline' styles"),
                                      fix: "Move inline styles to files, or use nonces/hashes, and drop 'unsafe-inline' from style-src."))
            }
        }
        if let xss = exchange.value("X-XSS-Protection"), xss.trimmingCharacters(in: .whitespaces).hasPrefix("1") {
            findings.append(.warn("app.security-headers", .low, Evidence(detail: "\(exchange.summary): X-XSS-Protection: \(xss) (obsolete; the filter itself enabled XS-leaks)"),
                                  fix: "Send `X-XSS-Protection: 0` (or nothing) and rely on the CSP."))
        }
        // The grade is the headline: B (70) or better passes when nothing above failed.
        if grade.score >= 70 {
            findings.append(.pass("app.security-headers", Evidence(detail: scored)))
        } else {
            findings.append(.fail("app.security-headers", .medium, Evidence(detail: scored), fix: addHeaders))
        }
        return findings
    }
}
