import Crypto
import Foundation

/// Meta's subscription handshake: `GET …?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`.
/// We answer 200 with the challenge as `text/plain` only when the verify token
/// matches the one stored for the endpoint, and 403 otherwise.
///
/// The challenge is attacker-controlled text that our domain would echo, so
/// only `[A-Za-z0-9_-]{1,128}` is ever returned (Meta sends digits): nothing
/// a browser could take for markup or a script.
public enum MetaVerifyHandshake {
    public static let modeParameter = "hub.mode"
    public static let verifyTokenParameter = "hub.verify_token"
    public static let challengeParameter = "hub.challenge"
    public static let subscribeMode = "subscribe"
    public static let maximumChallengeLength = 128

    public enum Outcome: Sendable, Equatable {
        /// Answer 200, `text/plain`, with exactly this body.
        case accept(challenge: String)
        /// Answer 403. The reason is for the log, not for the response.
        case refuse(WebhookRefusal)
    }

    /// Decides the handshake from the three query parameters.
    ///
    /// - Parameters:
    ///   - storedVerifyToken: the endpoint's verify token (from the
    ///     `instagram.account` credential); nil or empty refuses every
    ///     handshake, fail closed.
    public static func respond(mode: String?, verifyToken: String?, challenge: String?,
                               storedVerifyToken: String?) -> Outcome {
        guard let storedVerifyToken, !storedVerifyToken.isEmpty else { return .refuse(.noSecretConfigured) }
        guard mode == subscribeMode else { return .refuse(.unsupportedMode) }
        guard let verifyToken, !verifyToken.isEmpty else { return .refuse(.missingSignature) }
        guard let challenge, isAcceptableChallenge(challenge) else { return .refuse(.malformedChallenge) }
        // Digests first, then a constant-time compare: the time taken does
        // not depend on the stored token's content or length.
        let presented = Array(SHA256.hash(data: Data(verifyToken.utf8)))
        let expected = Array(SHA256.hash(data: Data(storedVerifyToken.utf8)))
        guard ConstantTime.equals(presented, expected) else { return .refuse(.badSignature) }
        return .accept(challenge: challenge)
    }

    /// Whether `challenge` may be echoed: 1–128 characters of `A-Za-z0-9_-`.
    public static func isAcceptableChallenge(_ challenge: String) -> Bool {
        let bytes = challenge.utf8
        return !bytes.isEmpty && bytes.count <= maximumChallengeLength && bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
