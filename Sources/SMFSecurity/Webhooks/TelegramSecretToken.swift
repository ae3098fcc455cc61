import Crypto
import Foundation

/// The `secret_token` we give Telegram in `setWebhook`; Telegram sends it
/// back in `X-Telegram-Bot-Api-Secret-Token` on every update.
///
/// Telegram does not sign bodies, so this header is the only proof that an
/// update came from Telegram. The server keeps only `digest(_:)` of the token
/// (like `OpaqueToken`): a database leak does not let anyone forge updates.
/// The plain token exists only long enough to be passed to `setWebhook`.
public enum TelegramSecretToken {
    public static let headerName = "X-Telegram-Bot-Api-Secret-Token"

    /// Telegram's limits: 1–256 characters of `A-Za-z0-9_-`.
    public static let maximumLength = 256

    /// Whether `token` is something Telegram accepts as a `secret_token`
    /// (and therefore something Telegram could ever send back).
    public static func isWellFormed(_ token: String) -> Bool {
        let bytes = token.utf8
        return !bytes.isEmpty && bytes.count <= maximumLength && bytes.allSatisfy(isTokenByte)
    }

    /// A fresh token: 32 bytes (256 bits) from the system CSPRNG, base64url
    /// without padding — 43 characters, all inside Telegram's alphabet.
    public static func generate() -> String {
        OpaqueToken.generate()
    }

    /// Lower-case hex SHA-256 of the token's bytes: what the endpoint stores.
    public static func digest(_ token: String) -> String {
        WebhookHex.encode(SHA256.hash(data: Data(token.utf8)))
    }

    /// Checks the header values of one request against the stored digest.
    ///
    /// - Parameters:
    ///   - headerValues: every value of `X-Telegram-Bot-Api-Secret-Token` in
    ///     the request (none → missing; more than one → malformed: a proxy
    ///     that appends a second copy must not make us pick one).
    ///   - storedDigest: `digest(_:)` of the endpoint's token; nil or not a
    ///     64-hex-digit digest → refused, fail closed.
    public static func verify(headerValues: [String], storedDigest: String?) -> WebhookVerification {
        guard headerValues.count <= 1 else {
            return isStoredDigest(storedDigest) ? .refused(.malformedSignature) : .refused(.noSecretConfigured)
        }
        return verify(header: headerValues.first, storedDigest: storedDigest)
    }

    /// Checks one header value against the stored digest. The comparison is
    /// between SHA-256 digests, in constant time, so neither the token's
    /// content nor its length shows in the response time.
    public static func verify(header: String?, storedDigest: String?) -> WebhookVerification {
        guard let storedDigest,
              let expected = WebhookHex.decode(Substring(storedDigest).utf8, byteCount: SHA256.byteCount) else {
            return .refused(.noSecretConfigured)
        }
        guard let header, !header.isEmpty else { return .refused(.missingSignature) }
        guard isWellFormed(header) else { return .refused(.malformedSignature) }
        let presented = Array(SHA256.hash(data: Data(header.utf8)))
        return ConstantTime.equals(presented, expected) ? .verified : .refused(.badSignature)
    }

    private static func isStoredDigest(_ digest: String?) -> Bool {
        guard let digest else { return false }
        return WebhookHex.decode(Substring(digest).utf8, byteCount: SHA256.byteCount) != nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
