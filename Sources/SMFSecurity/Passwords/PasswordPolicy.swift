import Foundation
import Crypto

/// Rules for user account passwords, after NIST SP 800-63B and OWASP ASVS
/// 5.0: long enough, not absurdly long, not a known-common password, not
/// the user's own address. Deliberately no composition rules ("needs a digit
/// and a symbol"): they push people to `Password1!` and add no strength, so
/// any password of 12+ characters — spaces, emoji and accents included — is
/// fine unless it is on the common list.
public enum PasswordPolicy {
    /// In `Character`s (what a person perceives as one character), so an
    /// emoji or an accented letter counts once whatever its encoding.
    public static let minimumLength = 12
    /// In `Character`s. Long enough for any passphrase or password manager.
    public static let maximumLength = 128
    /// Also capped in bytes, since 128 `Character`s can be arbitrarily many
    /// bytes (combining marks stack without limit). Checked first, so a huge
    /// input costs nothing to refuse.
    public static let maximumBytes = 512
    /// Only local parts at least this long are looked for in the password:
    /// a two-letter local part ("jo@") would match far too many passwords.
    public static let minimumEmailFragmentLength = 3

    /// Every way `password` fails the policy; empty when it is acceptable.
    /// Messages are shown to the user and never contain the password.
    /// - Parameter email: the account's address, if known, so the password
    ///   cannot simply contain it.
    public static func problems(password: String, email: EmailAddress?) -> [PolicyProblem] {
        // Refuse oversized input before any per-character work.
        guard password.utf8.count <= maximumBytes, password.count <= maximumLength else {
            return [PolicyProblem(
                rule: "password.too-long",
                message: "Your password is too long: use at most \(maximumLength) characters.")]
        }
        var problems: [PolicyProblem] = []
        if password.count < minimumLength {
            problems.append(PolicyProblem(
                rule: "password.too-short",
                message: "Your password is too short: use at least \(minimumLength) characters. A few unrelated words make a good one."))
        }
        if !password.isEmpty, password.allSatisfy(\.isWhitespace) {
            problems.append(PolicyProblem(
                rule: "password.whitespace-only",
                message: "Your password cannot be only spaces."))
        }
        if CommonPasswords.contains(password) {
            problems.append(PolicyProblem(
                rule: "password.common",
                message: CommonPasswords.isLoaded
                    ? "This password is one of the most commonly used and is easily guessed; choose another."
                    // Fail closed (see CommonPasswords.contains) with a message
                    // that does not blame the user's choice.
                    : "Passwords cannot be checked right now; please try again later."))
        }
        if let local = email?.localPart, local.count >= minimumEmailFragmentLength,
           password.lowercased().contains(local.lowercased()) {
            problems.append(PolicyProblem(
                rule: "password.contains-email",
                message: "Your password must not contain your email address."))
        }
        return problems
    }

    /// The bytes to give bcrypt for `password`, for hashing and verifying
    /// alike.
    ///
    /// bcrypt reads only the first 72 bytes of its input, so two passwords
    /// that share those bytes (easy with long passphrases, or with 18 emoji of
    /// 4 bytes each) would hash alike and either would log in. Passwords of
    /// more than 72 UTF-8 bytes are therefore replaced by the lowercase hex
    /// SHA-256 of their UTF-8 (64 bytes, all of the password counts).
    /// Hex rather than the raw digest because bcrypt implementations treat
    /// the input as a C string and would stop at a zero byte in the digest.
    /// Passwords of 72 bytes or fewer are passed unchanged, so their hashes
    /// stay ordinary bcrypt hashes that any bcrypt library can verify.
    public static func bcryptInput(_ password: String) -> [UInt8] {
        // NFKC first (NIST 800-63B 5.1.1.2): the same password typed as
        // composed or decomposed Unicode ("é" vs "e" + accent) must verify.
        let bytes = Array(password.precomposedStringWithCompatibilityMapping.utf8)
        guard bytes.count > 72 else { return bytes }
        let hexDigits = Array("0123456789abcdef".utf8)
        return SHA256.hash(data: bytes).flatMap { byte in
            [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0f)]]
        }
    }
}
