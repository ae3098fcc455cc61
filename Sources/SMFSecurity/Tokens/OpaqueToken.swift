import Crypto
import Foundation

/// Bearer secrets (session tokens, CSRF tokens, API keys, invitation
/// tokens): 256 random bits from the system CSPRNG, base64url without
/// padding (43 characters). Only the SHA-256 hash is stored, so a database
/// leak gives no usable token; a lookup by hash needs no constant-time
/// compare because the attacker does not control the stored side.
public enum OpaqueToken {
    /// A new random token: 32 bytes, base64url, 43 characters.
    public static func generate() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64URLEncoded()
    }

    /// Lowercase hex SHA-256 of the token's UTF-8 bytes: what the database keeps.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Whether `token` has the shape of one of ours (cheap rejection of junk
    /// before any database work).
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43 && token.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}

/// API keys: `smf_live_<token>` or `smf_test_<token>`.
public enum APIKeyFormat {
    public static let livePrefix = "smf_live_"
    public static let testPrefix = "smf_test_"

    public static func make(test: Bool) -> String {
        (test ? testPrefix : livePrefix) + OpaqueToken.generate()
    }

    /// Splits a presented key into (isTest, token) if it has our shape.
    public static func parse(_ key: String) -> (isTest: Bool, token: String)? {
        for (prefix, isTest) in [(livePrefix, false), (testPrefix, true)] where key.hasPrefix(prefix) {
            let token = String(key.dropFirst(prefix.count))
            return OpaqueToken.isWellFormed(token) ? (isTest, token) : nil
        }
        return nil
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5): tokens, cursors, sealed secrets.
    public func base64URLEncoded() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes base64url with or without padding; nil for anything else.
    public init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
