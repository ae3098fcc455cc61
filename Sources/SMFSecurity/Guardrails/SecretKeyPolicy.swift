import Foundation

/// Rules for `SMF_SECRET_KEY` and `SMF_ENCRYPTION_KEY` (checklist key
/// `secrets.strong-secret-key`): at least 32 bytes of key material, not a
/// placeholder, not an obviously patterned string.
public enum SecretKeyPolicy {
    public static let minimumKeyBytes = 32
    /// Distinct characters a random key of another alphabet always has.
    public static let minimumDistinctCharacters = 16
    /// For hex keys: a hex alphabet has only 16 characters, and 23.5 % of
    /// random 32-byte keys (`openssl rand -hex 32`) lack at least one of them
    /// (200,000 samples); none of the samples had fewer than 12.
    public static let minimumDistinctHexCharacters = 12

    /// Fragments that mark a value as a placeholder or a well-known default.
    /// The shipped `.env.example` files use `change_me…` values so that this
    /// list rejects them; none of these can occur in a hex key, and in a
    /// random base64 key the chance is negligible (< 10⁻⁵).
    public static let placeholderFragments: [String] = [
        "changeme", "change-me", "change_me", "replace", "your-secret", "your_secret",
        "yoursecret", "secret-key", "secret_key", "secretkey", "placeholder", "example",
        "insecure", "default", "password", "dummy", "notsecret", "not-secret", "xxxxxxxx",
        "todo", "fixme", "supersecret", "mysecret",
    ]

    /// Values that are placeholders however they are spelled.
    public static let placeholderValues: Set<String> = [
        "secret", "changeme", "test", "dev", "development", "production", "key", "token",
    ]

    /// How many bytes of key material a key string carries: hex counts 4 bits
    /// a character, base64 (standard or URL-safe) 6 bits, anything else 8.
    public static func keyMaterialBytes(_ value: String) -> Int {
        let scalars = value.unicodeScalars
        let hexDigits = CharacterSet(charactersIn: "0123456789abcdefABCDEF")
        let isHex = !scalars.isEmpty && scalars.allSatisfy { hexDigits.contains($0) }
        if isHex { return scalars.count / 2 }
        let base64Alphabet = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
        let unpadded = value.hasSuffix("==") ? value.dropLast(2) : (value.hasSuffix("=") ? value.dropLast() : Substring(value))
        if !unpadded.isEmpty, unpadded.unicodeScalars.allSatisfy({ base64Alphabet.contains($0) }) {
            return unpadded.unicodeScalars.count * 6 / 8
        }
        return value.utf8.count
    }

    /// Every way `value` fails the policy (empty when it passes).
    /// - Parameter variable: the variable name, used in the messages.
    public static func problems(_ value: String, variable: String) -> [PolicyProblem] {
        var problems: [PolicyProblem] = []
        let fix = "generate one with `smflow secrets generate` (or `openssl rand -hex 32`)"
        let lowered = value.lowercased()
        if placeholderValues.contains(lowered) || placeholderFragments.contains(where: { lowered.contains($0) }) {
            problems.append(PolicyProblem(
                rule: "secret-key.placeholder",
                message: "\(variable) is a placeholder or well-known default; \(fix)"))
        }
        if keyMaterialBytes(value) < minimumKeyBytes {
            problems.append(PolicyProblem(
                rule: "secret-key.too-short",
                message: "\(variable) holds fewer than \(minimumKeyBytes) bytes of key material (64 hex or 43 base64 characters); \(fix)"))
        }
        let isHex = !value.isEmpty && value.allSatisfy(\.isHexDigit)
        let minimumDistinct = isHex ? minimumDistinctHexCharacters : minimumDistinctCharacters
        if Set(isHex ? value.lowercased() : value).count < minimumDistinct {
            problems.append(PolicyProblem(
                rule: "secret-key.low-variety",
                message: "\(variable) uses fewer than \(minimumDistinct) distinct characters, so it cannot be random; \(fix)"))
        } else if isPeriodic(value) {
            problems.append(PolicyProblem(
                rule: "secret-key.repeating",
                message: "\(variable) is a repeated pattern, so it cannot be random; \(fix)"))
        }
        return problems
    }

    /// Whether the whole string is one shorter unit repeated ("abcdabcd…").
    static func isPeriodic(_ value: String) -> Bool {
        let characters = Array(value)
        let count = characters.count
        guard count >= 2 else { return false }
        for period in 1...(count / 2) where count % period == 0 {
            var repeats = true
            for index in period..<count where characters[index] != characters[index - period] {
                repeats = false
                break
            }
            if repeats { return true }
        }
        return false
    }
}
