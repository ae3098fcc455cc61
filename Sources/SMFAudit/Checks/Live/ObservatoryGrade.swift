import Foundation

/// The Mozilla HTTP Observatory's header scoring (its published modifiers,
/// https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring),
/// for the tests that one response's headers decide: start at 100, add each
/// test's modifier, give bonuses only from 90 up, floor at 0, map to a grade.
/// Cookies and subresource integrity are not scored (they need the page's
/// content); the redirect test is scored from the redirect probe.
struct ObservatoryGrade: Sendable, Equatable {
    let score: Int
    let grade: String
    /// "test: modifier" for every test that moved the score, for the evidence.
    let modifiers: [String]

    static func grade(headers: (String) -> String?, https: Bool, redirectsToHTTPS: Bool?) -> ObservatoryGrade {
        var penalties: [(String, Int)] = []
        var bonuses: [(String, Int)] = []
        let csp = headers("Content-Security-Policy").map(CSP.init)
        if let csp {
            if csp.allowsUnsafeScripts { penalties.append(("csp-implemented-with-unsafe", -20)) }
            if csp.directive("default-src") == nil && csp.directive("script-src") == nil {
                penalties.append(("csp-implemented-but-no-default-src", -10))
            }
        } else {
            penalties.append(("csp-not-implemented", -25))
        }
        if https {
            if let hsts = headers("Strict-Transport-Security"), let maxAge = HSTS.maxAge(hsts) {
                if maxAge < 15_552_000 { penalties.append(("hsts-implemented-max-age-less-than-six-months", -10)) }
            } else {
                penalties.append(("hsts-not-implemented", -20))
            }
        }
        if headers("X-Content-Type-Options")?.lowercased() != "nosniff" {
            penalties.append(("x-content-type-options-not-implemented", -5))
        }
        let frameAncestors = csp?.directive("frame-ancestors") != nil
        let xfo = headers("X-Frame-Options")?.uppercased()
        if frameAncestors {
            bonuses.append(("x-frame-options-implemented-via-csp", 5))
        } else if xfo != "DENY" && xfo != "SAMEORIGIN" {
            penalties.append(("x-frame-options-not-implemented", -20))
        }
        if let referrer = headers("Referrer-Policy")?.lowercased() {
            let privatePolicies = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
            if privatePolicies.contains(where: { referrer.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.last == $0 }) {
                bonuses.append(("referrer-policy-private", 5))
            } else if referrer.contains("unsafe-url") || referrer.contains("origin-when-cross-origin") || referrer.contains("no-referrer-when-downgrade") {
                penalties.append(("referrer-policy-unsafe", -5))
            }
        }
        if redirectsToHTTPS == false { penalties.append(("redirection-missing-or-not-to-https", -20)) }

        var score = 100 + penalties.map(\.1).reduce(0, +)
        if score >= 90 { score += bonuses.map(\.1).reduce(0, +) } else { bonuses = [] }
        score = max(0, score)
        let modifiers = (penalties + bonuses).map { "\($0.0) \($0.1 > 0 ? "+" : "")\($0.1)" }
        return ObservatoryGrade(score: score, grade: letter(score), modifiers: modifiers)
    }

    static func letter(_ score: Int) -> String {
        let table: [(Int, String)] = [(100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"),
                                      (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-")]
        return table.first { score >= $0.0 }?.1 ?? "F"
    }
}

/// The parts of a Content-Security-Policy the grading needs.
struct CSP: Sendable {
    let directives: [String: [String]]

    init(_ value: String) {
        var directives: [String: [String]] = [:]
        for part in value.split(separator: ";") {
            let words = part.split(separator: " ").map { $0.lowercased() }
            guard let name = words.first, directives[name] == nil else { continue }
            directives[name] = Array(words.dropFirst())
        }
        self.directives = directives
    }

    func directive(_ name: String) -> [String]? { directives[name] }

    /// The sources scripts may come from: script-src, else default-src.
    private var scriptSources: [String] { directive("script-src") ?? directive("default-src") ?? [] }

    /// 'unsafe-inline' (not neutralised by a nonce or hash) or 'unsafe-eval' for scripts.
    var allowsUnsafeScripts: Bool {
        let sources = scriptSources
        let neutralised = sources.contains { $0.hasPrefix("'nonce-") || $0.hasPrefix("'sha") || $0 == "'strict-dynamic'" }
        return sources.contains("'unsafe-eval'") || (sources.contains("'unsafe-inline'") && !neutralised)
    }

    var allowsUnsafeInlineStyles: Bool {
        (directive("style-src") ?? directive("default-src") ?? []).contains("'unsafe-inline'")
    }
}

enum HSTS {
    static func maxAge(_ value: String) -> Int? {
        for part in value.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).lowercased()
            if pair.hasPrefix("max-age=") { return Int(pair.dropFirst("max-age=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
        }
        return nil
    }
}
