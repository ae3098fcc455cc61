import Foundation
import PropertyBased
import Testing
import SMFCore

/// The regex complexity bound (RegexGuard's documented rules).
@Suite struct FlowRegexGuardTests {
    @Test(arguments: [
        "^hello$", #"\bprice\b"#, "(foo|bar)+", #"[a-z]+@[a-z]+\.com"#, "(?i)yes|no", "(ab)+c", "a{2,5}",
        #"\d{3}-\d{4}"#, "(a+)?b", #"^(refund|return)s?\b"#, #"[(+*)]+"#, #"\(a+\)+"#, "(?:x|y)*z",
        #"\p{L}+"#, "colou?r", "(?<word>hi)+",
    ])
    func accepted(_ pattern: String) {
        #expect(RegexGuard.check(pattern) == nil, "\(pattern)")
    }

    @Test(arguments: [
        "(a+)+", "(a*)*", "(a+)*b", "((ab)+c)*", #"(\w+\s?)*$"#, "(a|aa)+", "(a|a)*", "(ab|ac){2,}", "(.|x)+",
        "(|a)+", "(A|a)+", #"(a)\1"#, #"(?<n>a)\k<n>"#, "a{1,1000}", "a{101}",
        "a?b?c?d?e?f?g?h?i?j?k?",
    ])
    func refused_as_too_complex(_ pattern: String) {
        guard case .tooComplex = RegexGuard.check(pattern) else {
            Issue.record("\(pattern) was not refused as too complex: \(String(describing: RegexGuard.check(pattern)))")
            return
        }
    }

    @Test(arguments: ["(abc", "[z-a]", "*a", "a{2,1}"])
    func refused_as_invalid(_ pattern: String) {
        guard case .invalid = RegexGuard.check(pattern) else {
            Issue.record("\(pattern) was not refused as invalid: \(String(describing: RegexGuard.check(pattern)))")
            return
        }
    }

    /// ICU refuses a count this large itself; either way it is refused.
    @Test func huge_repeat_count_is_refused() {
        #expect(RegexGuard.check("a{99999999999999999999}") != nil)
        #expect(RegexGuard.check("(ab){99999}") != nil)
    }

    @Test func length_bound() {
        #expect(RegexGuard.check(String(repeating: "a", count: 256)) == nil)
        #expect(RegexGuard.check(String(repeating: "a", count: 257)) == .tooComplex("is longer than 256 characters"))
    }

    @Test func ten_quantifiers_are_fine_eleven_are_not() {
        #expect(RegexGuard.check(String(repeating: "a?", count: 10)) == nil)
        #expect(RegexGuard.check(String(repeating: "a?", count: 11)) != nil)
    }

    /// Random patterns from regex syntax characters: the guard never traps,
    /// and whatever it accepts compiles. (Backreferences are covered by the
    /// examples above: telling `\1` from `[\1]` or `\\1` needs a parser.)
    @Test func random_patterns_never_crash_the_guard() async {
        let alphabet = Array(#"ab.\\()[]{}|*+?^$,0123-:=!<>#kQEpPxNdw"#)
        await propertyCheck(count: 500, input: Gen.int(in: 0...(alphabet.count - 1)).array(of: 0...40)) { indices in
            let pattern = String(indices.map { alphabet[$0] })
            if RegexGuard.check(pattern) == nil {
                #expect((try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])) != nil, "\(pattern)")
            }
        }
    }
}
