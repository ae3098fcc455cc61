import Foundation
import SMFSecurity

/// Recognises secrets: by the token formats of well-known services, by
/// variable names that promise a secret, and by entropy. Used on env files,
/// compose environments, Dockerfile ENV/ARG and source files.
public enum SecretPatterns {
    public struct Match: Sendable, Equatable {
        /// What kind of secret it looks like ("GitHub token").
        public let kind: String
    }

    /// Known token formats. Each regex is anchored on a prefix that real
    /// tokens carry, so placeholders such as `sk_live_…` in prose do not match.
    static let tokenFormats: [(kind: String, hint: String, regex: NSRegularExpression)] = [
        ("AWS access key id", "AKIA", #"\bAKIA[0-9A-Z]{16}\b"#),
        ("GitHub token", "gh", #"\bgh[pousr]_[A-Za-z0-9]{36,}\b"#),
        ("GitHub fine-grained token", "github_pat_", #"\bgithub_pat_[A-Za-z0-9_]{60,}\b"#),
        ("Slack token", "xox", #"\bxox[abposr]-[0-9A-Za-z-]{10,}\b"#),
        ("Stripe live key", "_live_", #"\b[sr]k_live_[0-9A-Za-z]{20,}\b"#),
        ("smflow live API key", "smf_live_", #"\bsmf_live_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"#),
        ("private key", "PRIVATE KEY", #"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"#),
        ("Google API key", "AIza", #"\bAIza[0-9A-Za-z_-]{35}\b"#),
        ("Telegram bot token", ":", #"\b[0-9]{8,10}:AA[0-9A-Za-z_-]{33}\b"#),
        ("OpenAI API key", "sk-", #"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b"#),
        ("JSON Web Token", "eyJ", #"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"#),
    ].compactMap { entry in
        (try? NSRegularExpression(pattern: entry.2)).map { (entry.0, entry.1, $0) }
    }

    /// Test/development API key prefixes (checklist `secrets.production-api-keys`).
    public static let testKeyPrefixes = [APIKeyFormat.testPrefix, "sk_test_", "pk_test_", "rk_test_"]

    /// Name fragments that mean "this variable holds a secret".
    static let secretNameFragments = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY",
                                      "ACCESS_KEY", "CREDENTIAL", "AUTH_KEY", "ENCRYPTION_KEY", "SIGNING_KEY", "DSN"]

    /// Whether `name` promises a secret (`SMF_SECRET_KEY`, `POSTGRES_PASSWORD`).
    /// `*_FILE` variables hold a path to a secret, not the secret.
    public static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper.hasSuffix("_FILE") || upper.hasSuffix("_PATH") { return false }
        if upper == "DATABASE_URL" || upper.hasSuffix("_DATABASE_URL") { return true }
        return secretNameFragments.contains { upper.contains($0) }
    }

    /// The first known token format found in `text`.
    public static func knownToken(in text: String) -> Match? {
        let range = NSRange(text.startIndex..., in: text)
        for format in tokenFormats where text.contains(format.hint) {
            if format.regex.firstMatch(in: text, range: range) != nil { return Match(kind: format.kind) }
        }
        return nil
    }

    /// Shannon entropy in bits per character.
    public static func entropy(_ text: String) -> Double {
        var counts: [Character: Int] = [:]
        for character in text { counts[character, default: 0] += 1 }
        let length = Double(text.count)
        guard length > 0 else { return 0 }
        return counts.values.reduce(0) { sum, count in
            let p = Double(count) / length
            return sum - p * log2(p)
        }
    }

    /// A placeholder, a reference or an obviously fake value rather than a secret.
    public static func isPlaceholder(_ value: String) -> Bool {
        let lowered = value.lowercased()
        if lowered.isEmpty || lowered.contains("${") || lowered.hasPrefix("$") || lowered.contains("****")
            || lowered.contains("…") || lowered.contains("...") || lowered.contains("<") { return true }
        if SecretKeyPolicy.placeholderValues.contains(lowered) { return true }
        return (SecretKeyPolicy.placeholderFragments + ["fake", "sample", "redacted", "xxx", "your_", "your-", "test"]).contains { lowered.contains($0) }
    }

    /// Whether a value of a variable that is NOT meant to be secret still
    /// looks like one: a known token format, or a long random-looking string
    /// (≥ 24 characters, ≥ 4 bits/character, letters and digits, no spaces,
    /// not a URL or path).
    public static func looksLikeSecret(_ value: String) -> Match? {
        if let token = knownToken(in: value) { return token }
        if let password = urlPassword(in: value), !isPlaceholder(password) { return Match(kind: "password in a URL") }
        guard value.count >= 24, !value.contains(" "), !value.contains("/"), !value.contains(","),
              value.contains(where: \.isLetter), value.contains(where: \.isNumber), !isPlaceholder(value),
              entropy(value) >= 4.0 else { return nil }
        return Match(kind: "high-entropy string")
    }

    /// The password part of `scheme://user:password@host`, if any.
    public static func urlPassword(in value: String) -> String? {
        guard let scheme = value.range(of: "://") else { return nil }
        let rest = value[scheme.upperBound...]
        guard let at = rest.firstIndex(of: "@") else { return nil }
        let userInfo = rest[..<at]
        guard !userInfo.contains("/"), let colon = userInfo.firstIndex(of: ":") else { return nil }
        let password = userInfo[userInfo.index(after: colon)...]
        return password.isEmpty ? nil : String(password)
    }
}
