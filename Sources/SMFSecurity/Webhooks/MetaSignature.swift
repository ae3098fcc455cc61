import Crypto
import Foundation

/// Meta's (Instagram / Messenger / WhatsApp) webhook signature:
/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
///
/// The MAC covers the body bytes exactly as received. Meta escapes non-ASCII
/// as `\uXXXX` (emoji as surrogate pairs); any JSON decode + re-encode turns
/// those into UTF-8 and breaks the signature, so callers must verify the raw
/// request body *before* parsing it, and never verify a re-serialised one.
public enum MetaSignature {
    public static let headerName = "X-Hub-Signature-256"
    static let prefix = "sha256="

    /// The header value Meta would send for `body`. For tests and fakes.
    public static func sign(body: some DataProtocol, secret: String) -> String {
        prefix + WebhookHex.encode(mac(body: body, secret: secret))
    }

    /// Checks every value of `X-Hub-Signature-256` in one request (none →
    /// missing, several → malformed).
    public static func verify(body: some DataProtocol, headerValues: [String], appSecret: String?) -> WebhookVerification {
        guard let appSecret, !appSecret.isEmpty else { return .refused(.noSecretConfigured) }
        guard headerValues.count <= 1 else { return .refused(.malformedSignature) }
        return verify(body: body, header: headerValues.first, appSecret: appSecret)
    }

    /// Checks `header` against HMAC-SHA256(`appSecret`, `body`).
    ///
    /// An absent or empty app secret refuses every request: peers that skip
    /// the check when no secret is set accept forged events from anyone.
    /// The MAC bytes are compared in constant time.
    public static func verify(body: some DataProtocol, header: String?, appSecret: String?) -> WebhookVerification {
        guard let appSecret, !appSecret.isEmpty else { return .refused(.noSecretConfigured) }
        guard let header, !header.isEmpty else { return .refused(.missingSignature) }
        // Byte-wise, not by Character: "sha256=" followed by a combining
        // mark must not pass as the prefix.
        let utf8 = Substring(header).utf8
        guard utf8.starts(with: prefix.utf8),
              let presented = WebhookHex.decode(utf8.dropFirst(prefix.utf8.count), byteCount: SHA256.byteCount) else {
            return .refused(.malformedSignature)
        }
        let expected = mac(body: body, secret: appSecret)
        return ConstantTime.equals(presented, expected) ? .verified : .refused(.badSignature)
    }

    static func mac(body: some DataProtocol, secret: String) -> [UInt8] {
        let key = SymmetricKey(data: Data(secret.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: body, using: key))
    }
}
