import Foundation

/// `route.keyword`: the first branch (in list order) whose keywords or
/// regex match the message text gets the message; `otherwise` when none
/// does. A branch with both keywords and a regex matches when either does.
///
/// Keyword matching is case-insensitive (Foundation's Unicode case
/// folding):
/// - `contains` (default): the keyword occurs anywhere in the text;
/// - `whole_word`: it occurs with no letter, digit or `_` right before or
///   after it (`help` matches "help me" and "help!", not "helpful");
/// - `exact`: the whole text, trimmed of surrounding white space, is the
///   keyword.
///
/// The regex runs with `NSRegularExpression` and `.caseInsensitive`, the
/// engine and options `RegexGuard` checked it with; the guard's complexity
/// bound is what keeps matching linear-ish on hostile text.
public struct KeywordRouter: Sendable {
    public enum Match: String, Sendable {
        case contains, wholeWord = "whole_word", exact
    }

    public struct Branch: Sendable {
        public let port: String
        public let keywords: [String]
        public let regex: String?
    }

    public let branches: [Branch]
    public let match: Match

    /// From the node's settings (validated; malformed branches are ignored).
    public init(settings: [String: JSONValue]) {
        branches = (settings["branches"]?.arrayValue ?? []).compactMap { item in
            guard let port = item["port"]?.stringValue else { return nil }
            return Branch(
                port: port, keywords: (item["keywords"]?.arrayValue ?? []).compactMap(\.stringValue),
                regex: item["regex"]?.stringValue)
        }
        match = settings["match"]?.stringValue.flatMap(Match.init(rawValue:)) ?? .contains
    }

    /// The port the text goes to.
    public func route(_ text: String) throws(RouterError) -> String {
        for branch in branches {
            if branch.keywords.contains(where: { Self.matches(keyword: $0, in: text, mode: match) }) { return branch.port }
            if let pattern = branch.regex, try Self.matches(regex: pattern, in: text) { return branch.port }
        }
        return "otherwise"
    }

    static func matches(keyword: String, in text: String, mode: Match) -> Bool {
        guard !keyword.isEmpty else { return false }
        switch mode {
        case .exact:
            return text.trimmingCharacters(in: .whitespacesAndNewlines).compare(keyword, options: .caseInsensitive) == .orderedSame
        case .contains:
            return text.range(of: keyword, options: .caseInsensitive) != nil
        case .wholeWord:
            var searchStart = text.startIndex
            while searchStart < text.endIndex,
                let found = text.range(of: keyword, options: .caseInsensitive, range: searchStart..<text.endIndex)
            {
                let before = found.lowerBound == text.startIndex ? nil : text[text.index(before: found.lowerBound)]
                let after = found.upperBound == text.endIndex ? nil : text[found.upperBound]
                if !isWordCharacter(before), !isWordCharacter(after) { return true }
                searchStart = text.index(after: found.lowerBound)
            }
            return false
        }
    }

    private static func isWordCharacter(_ character: Character?) -> Bool {
        guard let character else { return false }
        return character.isLetter || character.isNumber || character == "_"
    }

    static func matches(regex pattern: String, in text: String) throws(RouterError) -> Bool {
        let expression: NSRegularExpression
        do {
            expression = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        } catch {
            throw RouterError("the branch regex does not compile")
        }
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return expression.firstMatch(in: text, options: [], range: range) != nil
    }
}

/// A router could not decide (a stored regex that no longer compiles).
public struct RouterError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
