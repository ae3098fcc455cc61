import Foundation

/// The complexity bound on user-written regular expressions
/// (`route.keyword` branches), so that matching a message can never take
/// exponential time (ReDoS). A regex is accepted when all of these hold:
///
/// 1. At most `maxLength` (256) characters.
/// 2. It compiles with `NSRegularExpression` (ICU syntax) case-insensitively;
///    the runtime must use the same engine and options.
/// 3. No backreferences (`\1`…`\9`, `\k<name>`).
/// 4. No nested repetition: a group repeated by `*`, `+`, `{n,}` or `{n,m}`
///    (m > 1) may not contain any such quantifier (`(a+)+`, `(a*)*`,
///    `((ab)+c)*` are refused; `(ab)+`, `(a+)?` are fine).
/// 5. No ambiguous repeated alternation, as far as the first token shows: a
///    repeated group whose alternatives include an empty one, two that start
///    with the same token (`(a|aa)+`, `(ab|ac)*`), or one that starts with
///    `.` is refused.
/// 6. At most `maxQuantifiers` (10) quantifiers in all, and no repeat count
///    above `maxRepeatCount` (100) (`a{1,1000}`).
///
/// Rules 4–5 are deliberately conservative and cheap (one pass over the
/// pattern); they refuse some harmless patterns rather than miss a bad one.
public enum RegexGuard {
    public static let maxLength = 256
    public static let maxQuantifiers = 10
    public static let maxRepeatCount = 100

    public enum Refusal: Sendable, Hashable {
        /// Does not compile; the text says why.
        case invalid(String)
        /// Compiles, but breaks the complexity bound; the text names the rule.
        case tooComplex(String)
    }

    /// Nil when `pattern` is acceptable.
    public static func check(_ pattern: String) -> Refusal? {
        let scalars = Array(pattern.unicodeScalars)
        if scalars.count > maxLength { return .tooComplex("is longer than \(maxLength) characters") }
        do {
            _ = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        } catch {
            return .invalid("does not compile as a regular expression")
        }
        var scanner = Scanner(scalars: scalars)
        return scanner.run()
    }

    /// One pass over the pattern tracking groups, their alternatives' first
    /// tokens and whether they contain a repeating quantifier.
    struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        var frames = [Frame()]
        var last: Atom = .none
        var quantifiers = 0

        struct Frame {
            var containsRepeat = false
            var firstTokens: [String] = []
            var currentFirst: String?
        }

        enum Atom {
            case none
            case token
            case group(Frame)
        }

        init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            scalars.indices.contains(index + offset) ? scalars[index + offset] : nil
        }

        mutating func run() -> Refusal? {
            while let scalar = peek() {
                switch scalar {
                case "\\":
                    if let refusal = escape() { return refusal }
                case "[":
                    characterClass()
                case "(":
                    openGroup()
                case ")":
                    closeGroup()
                case "|":
                    endAlternative()
                    frames[frames.count - 1].currentFirst = nil
                    last = .none
                    index += 1
                case "*", "+", "?":
                    index += 1
                    if let refusal = quantifier(repeating: scalar != "?") { return refusal }
                case "{":
                    if let bounds = repeatBounds() {
                        if bounds.min > Self.maxRepeat || (bounds.max ?? 0) > Self.maxRepeat {
                            return .tooComplex("repeats more than \(RegexGuard.maxRepeatCount) times")
                        }
                        if let refusal = quantifier(repeating: (bounds.max ?? Int.max) > 1) { return refusal }
                    } else {
                        token("{")
                        index += 1
                    }
                default:
                    token(String(scalar).lowercased())
                    index += 1
                }
            }
            return nil
        }

        static var maxRepeat: Int { RegexGuard.maxRepeatCount }

        mutating func token(_ text: String) {
            if frames[frames.count - 1].currentFirst == nil { frames[frames.count - 1].currentFirst = text }
            last = .token
        }

        mutating func escape() -> Refusal? {
            guard let next = peek(1) else {
                index += 1
                return nil
            }
            if ("1"..."9").contains(next) || next == "k" { return .tooComplex("uses a backreference") }
            var end = index + 2
            switch next {
            case "Q":
                // Quoted literal up to \E.
                while end < scalars.count, !(scalars[end] == "\\" && end + 1 < scalars.count && scalars[end + 1] == "E") { end += 1 }
                end = min(end + 2, scalars.count)
            case "p", "P", "x", "N":
                // \p{…}, \x{…}, \N{…}: the braces belong to the escape.
                guard peek(2) == "{" else { break }
                while end < scalars.count, scalars[end] != "}" { end += 1 }
                end = min(end + 1, scalars.count)
            default:
                break
            }
            token(String(String.UnicodeScalarView(scalars[index..<end])).lowercased())
            index = end
            return nil
        }

        mutating func characterClass() {
            let start = index
            var end = index + 1
            if end < scalars.count, scalars[end] == "^" { end += 1 }
            if end < scalars.count, scalars[end] == "]" { end += 1 }
            var depth = 1
            while end < scalars.count, depth > 0 {
                switch scalars[end] {
                case "\\": end += 1
                case "[": depth += 1
                case "]": depth -= 1
                default: break
                }
                end += 1
            }
            end = min(end, scalars.count)
            token(String(String.UnicodeScalarView(scalars[start..<end])).lowercased())
            index = end
        }

        mutating func openGroup() {
            index += 1
            if peek() == "?" {
                // (?# comment)
                if peek(1) == "#" {
                    while let scalar = peek(), scalar != ")" { index += 1 }
                    index += 1
                    return
                }
                // Flags only, e.g. (?i) or (?-x): no group, no atom.
                var end = index + 1
                while end < scalars.count, scalars[end].properties.isAlphabetic || scalars[end] == "-" { end += 1 }
                if end < scalars.count, scalars[end] == ")", end > index + 1 {
                    index = end + 1
                    return
                }
                // (?:  (?i:  (?=  (?!  (?>  (?<=  (?<!  (?<name>  (?P<name>
                index += 1
                while let scalar = peek(), scalar != ":" && scalar != "=" && scalar != "!" && scalar != ">" {
                    if scalar == "<", let after = peek(1), after != "=" && after != "!" {
                        // Named group: skip to the closing >.
                        while let inner = peek(), inner != ">" { index += 1 }
                        break
                    }
                    index += 1
                }
                index += 1
            }
            frames.append(Frame())
            last = .none
        }

        mutating func endAlternative() {
            let first = frames[frames.count - 1].currentFirst ?? ""
            frames[frames.count - 1].firstTokens.append(first)
        }

        mutating func closeGroup() {
            index += 1
            guard frames.count > 1 else { return }
            endAlternative()
            let group = frames.removeLast()
            if group.containsRepeat { frames[frames.count - 1].containsRepeat = true }
            let first = group.firstTokens.count == 1 ? group.firstTokens[0] : "(…)"
            if frames[frames.count - 1].currentFirst == nil { frames[frames.count - 1].currentFirst = first }
            last = .group(group)
        }

        mutating func quantifier(repeating: Bool) -> Refusal? {
            // A lazy or possessive marker belongs to the quantifier.
            if let next = peek(), next == "?" || next == "+" { index += 1 }
            quantifiers += 1
            if quantifiers > RegexGuard.maxQuantifiers {
                return .tooComplex("has more than \(RegexGuard.maxQuantifiers) quantifiers")
            }
            defer { last = .none }
            guard repeating else { return nil }
            if case .group(let group) = last {
                if group.containsRepeat {
                    return .tooComplex("repeats a group that itself contains a repetition, like (a+)+")
                }
                let firsts = group.firstTokens
                if firsts.count > 1,
                    firsts.contains("") || firsts.contains(".") || Set(firsts).count < firsts.count
                {
                    return .tooComplex("repeats alternatives that can match the same text, like (a|aa)+")
                }
            }
            frames[frames.count - 1].containsRepeat = true
            return nil
        }

        /// `{n}`, `{n,}` or `{n,m}` at `index`; advances past it. Nil (and no
        /// advance) when the brace is a literal.
        mutating func repeatBounds() -> (min: Int, max: Int?)? {
            var end = index + 1
            var numbers: [String] = [""]
            while end < scalars.count, scalars[end] != "}" {
                let scalar = scalars[end]
                if scalar == ",", numbers.count == 1 {
                    numbers.append("")
                } else if ("0"..."9").contains(scalar) {
                    numbers[numbers.count - 1].unicodeScalars.append(scalar)
                } else {
                    return nil
                }
                end += 1
            }
            // Digits beyond Int's range count as "very many".
            guard end < scalars.count, !numbers[0].isEmpty else { return nil }
            let low = Int(numbers[0]) ?? Int.max
            index = end + 1
            if numbers.count == 1 { return (low, low) }
            return (low, numbers[1].isEmpty ? nil : Int(numbers[1]) ?? Int.max)
        }
    }
}
