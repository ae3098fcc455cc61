import Testing
import VaporTesting
@testable import SMFAudit
@testable import SMFServer

/// The console's response headers graded by the audit's Mozilla Observatory
/// scoring (issue 11): A+ (at least 100), in production (HTTPS, HSTS) and in
/// development; a console CSP with 'unsafe-inline' would not be.
@Suite struct ConsoleObservatoryTests {
    @Test(arguments: [true, false])
    func console_headers_grade_a_plus(production: Bool) async throws {
        try await withTestApp({ if production { productionMode(&$0) } }) { app in
            for path in ["console/", "console/app.js"] {
                try await app.testing().test(.GET, path) { res in
                    let grade = ObservatoryGrade.grade(headers: { res.headers.first(name: $0) }, https: production,
                                                       redirectsToHTTPS: production ? true : nil)
                    #expect(grade.score >= 100, "\(path): \(grade.score) \(grade.modifiers)")
                    // 100, +5 frame-ancestors in the CSP, +5 a private Referrer-Policy.
                    #expect(grade.score == 110, "\(path): \(grade.modifiers)")
                    #expect(grade.grade == "A+")
                    #expect(!grade.modifiers.contains { $0.hasPrefix("csp-") }, "\(grade.modifiers)")
                }
            }
        }
    }

    /// The grader is not trivially generous: the seed checklist's console
    /// policy (unsafe-inline, unsafe-eval) loses the A+.
    @Test func an_unsafe_console_policy_would_not_pass() {
        let headers = ["Content-Security-Policy": "default-src 'self' 'unsafe-inline' 'unsafe-eval'",
                       "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                       "Strict-Transport-Security": "max-age=63072000; includeSubDomains"]
        let grade = ObservatoryGrade.grade(headers: { headers[$0] }, https: true, redirectsToHTTPS: true)
        #expect(grade.score < 100)
    }
}
