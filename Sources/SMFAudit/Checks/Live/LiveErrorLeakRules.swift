import Foundation

/// Error-leak probes: malformed JSON, an unknown route, a ~2 MiB body and a
/// wrong method. Their answers must be 4xx (input validation) and their
/// bodies must hold no stack trace, SQL, path, framework name or version.
enum LiveErrorLeakRules {
    static let keys: Set<String> = ["app.error-messages", "app.input-validation"]

    /// Fragments that betray internals (case-sensitive where case matters: "at /" is a stack frame).
    static let leakPatterns: [(label: String, pattern: String)] = [
        ("stack trace", #"(Stack trace|Traceback|stacktrace|at [A-Za-z_.$]+\(|\bat /|#[0-9]+ 0x[0-9a-f]+)"#),
        ("source path", #"(\.swift:[0-9]+|\.swift\b|/home/|/Users/|/usr/src/|/app/Sources/|\.(py|rb|php|java|go|js):[0-9]+)"#),
        ("SQL", #"((?i)\bSELECT |\bINSERT INTO\b|\bUPDATE [a-z_]+ SET\b|syntax error at or near|SQLSTATE|(?i)postgres|(?i)sqlite)"#),
        ("framework or version", #"(Vapor|SwiftNIO|\bNIO[A-Z]|\bSwift\b|Express|Django|Rails|Laravel|Werkzeug|nginx/[0-9]|Apache/[0-9])"#),
    ]

    static func findings(_ probe: HTTPProbe) -> (findings: [Finding], exchanges: [HTTPExchange]) {
        let base = probe.target.basePath
        let json = "Content-Type: application/json"
        let malformed = probe.request(base + "/api/v1/auth/login", method: "POST", headers: [json], body: Data(#"{"email": "#.utf8))
        let unknown = probe.request(base + "/api/v1/no-such-route-\(UInt32.random(in: 0...UInt32.max))")
        let oversized = probe.request(base + "/api/v1/auth/login", method: "POST", headers: [json],
                                      body: Data(("{\"pad\":\"" + String(repeating: "a", count: 2 * 1024 * 1024) + "\"}").utf8))
        let wrongMethod = probe.request(base + "/api/v1/auth/login", method: "DELETE")
        let exchanges = [malformed, unknown, oversized, wrongMethod]
        return (leakFindings(exchanges) + validationFindings(malformed: malformed, oversized: oversized), exchanges)
    }

    static func leaks(in body: String) -> [String] {
        leakPatterns.compactMap { label, pattern in
            body.range(of: pattern, options: .regularExpression).map { "\(label) (\"\(body[$0].prefix(40))\")" }
        }
    }

    static func leakFindings(_ exchanges: [HTTPExchange]) -> [Finding] {
        var problems: [String] = []
        for exchange in exchanges where exchange.status != 0 {
            let found = leaks(in: exchange.body)
            if !found.isEmpty { problems.append("\(exchange.summary): \(found.joined(separator: ", "))") }
        }
        guard problems.isEmpty else {
            return [.fail("app.error-messages", .medium, Evidence(detail: problems.joined(separator: "; ")),
                          fix: "Answer errors with a generic problem body; log the details server-side only (SMF_ENV=production; a custom error middleware).")]
        }
        let answered = exchanges.filter { $0.status != 0 }
        guard !answered.isEmpty else { return [.notApplicable("app.error-messages", "error probes got no answer")] }
        return [.pass("app.error-messages", Evidence(detail: "error bodies hold no stack trace, SQL, path or framework: " + answered.map(\.summary).joined(separator: "; ")))]
    }

    /// Bad input must be refused with 4xx, not crash into 5xx or be accepted.
    static func validationFindings(malformed: HTTPExchange, oversized: HTTPExchange) -> [Finding] {
        var findings: [Finding] = []
        for (exchange, what) in [(malformed, "malformed JSON"), (oversized, "a 2 MiB body")] where exchange.status != 0 {
            if (400..<500).contains(exchange.status) {
                findings.append(.pass("app.input-validation", Evidence(detail: "\(what): \(exchange.summary)")))
            } else {
                findings.append(.fail("app.input-validation", exchange.status >= 500 ? .medium : .low, Evidence(detail: "\(what): \(exchange.summary) (expected 4xx)"),
                                      fix: "Validate request bodies and cap their size per route (`body: .collect(maxSize:)`, nginx `client_max_body_size`)."))
            }
        }
        return findings
    }
}
