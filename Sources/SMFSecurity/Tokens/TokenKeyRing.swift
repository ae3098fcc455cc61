import Crypto
import Foundation

/// The key a stored token hash is made with: HMAC-SHA256 under a key
/// derived (HKDF-SHA256) from `SMF_SECRET_KEY`, and a short public id that
/// is stored beside each hash (issue 9, `smflow secrets rotate-secret-key`).
public struct TokenHashKey: Sendable {
    /// 12 hex characters, derived with its own HKDF info string, so the id
    /// says nothing about the key (the same construction as `SecretBox.Key`).
    public let id: String
    private let symmetric: SymmetricKey

    public init(material: SecretValue) {
        let input = SymmetricKey(data: Data(material.reveal().utf8))
        symmetric = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: input, salt: Data("smflow".utf8), info: Data("smflow token hash v1".utf8), outputByteCount: 32)
        let idBytes = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: input, salt: Data("smflow".utf8), info: Data("smflow token hash key id v1".utf8), outputByteCount: 6)
        id = idBytes.withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
    }

    /// Lowercase hex HMAC-SHA256 of the token's UTF-8 bytes.
    public func hash(_ token: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: symmetric)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// The keys stored token hashes (session tokens, CSRF tokens, API keys) may
/// be under: the current `SMF_SECRET_KEY`, the keys listed in
/// `SMF_SECRET_KEY_PREVIOUS`, and the unkeyed SHA-256 of rows written before
/// migration 008 (`legacyKeyID`).
///
/// New hashes always use the current key. Whether a row under any other key
/// is still accepted is not decided here but by `accepts(keyID:retiresAt:now:)`
/// with the retirement time the database records for that key
/// (`secret_key_retirements`, written by `smflow secrets rotate-secret-key`),
/// so every process agrees on when an old key stops working.
public struct TokenKeyRing: Sendable {
    /// The key id of plain SHA-256 hashes (rows from before migration 008,
    /// and every hash while no `SMF_SECRET_KEY` is set, which only
    /// development allows).
    public static let legacyKeyID = "sha256"

    /// nil: no `SMF_SECRET_KEY` (development): hashes are unkeyed SHA-256.
    public let current: TokenHashKey?
    /// Earlier keys, in `SMF_SECRET_KEY_PREVIOUS` order, the current one left out.
    public let previous: [TokenHashKey]

    public init(current: TokenHashKey?, previous: [TokenHashKey] = []) {
        self.current = current
        self.previous = previous.filter { $0.id != current?.id }
    }

    /// The ring of a configuration: `SMF_SECRET_KEY` and `SMF_SECRET_KEY_PREVIOUS`.
    public init(config: AppConfig) {
        self.init(current: config.secretKey.map(TokenHashKey.init(material:)),
                  previous: config.secretKeyPrevious.map(TokenHashKey.init(material:)))
    }

    public var currentKeyID: String { current?.id ?? Self.legacyKeyID }

    /// The hash new rows store (with `currentKeyID` beside it).
    public func hash(_ token: String) -> String {
        current?.hash(token) ?? OpaqueToken.hash(token)
    }

    /// The hash under the key with `keyID`, or nil when that key is not in
    /// the ring (a key the operator no longer configures cannot be used,
    /// whatever the database says about it).
    public func hash(_ token: String, keyID: String) -> String? {
        if keyID == currentKeyID { return hash(token) }
        if keyID == Self.legacyKeyID { return OpaqueToken.hash(token) }
        return previous.first { $0.id == keyID }?.hash(token)
    }

    /// Key ids other than the current one that a stored hash may be under:
    /// every previous key, and the legacy SHA-256.
    public var olderKeyIDs: [String] {
        var ids = previous.map(\.id)
        if currentKeyID != Self.legacyKeyID { ids.append(Self.legacyKeyID) }
        return ids
    }

    /// Whether a row hashed under `keyID` is accepted at `now`, given the
    /// retirement time recorded for that key (nil: none recorded).
    /// - The current key: always.
    /// - A key not in the ring: never.
    /// - A previous key: only while a recorded grace period runs
    ///   (`now < retiresAt`); an unrecorded previous key is not accepted,
    ///   so an old key cannot linger without a rotation that bounds it.
    /// - The legacy SHA-256: until the first rotation's grace period ends
    ///   (accepted while nothing is recorded for it, so upgrading to
    ///   migration 008 signs nobody out).
    public func accepts(keyID: String, retiresAt: Date?, now: Date) -> Bool {
        if keyID == currentKeyID { return true }
        if keyID == Self.legacyKeyID { return retiresAt.map { now < $0 } ?? true }
        guard previous.contains(where: { $0.id == keyID }) else { return false }
        return retiresAt.map { now < $0 } ?? false
    }

    /// Compares a presented token with a stored hash under `keyID` in
    /// constant time (the CSRF check, where the stored side is known before
    /// the comparison). False when the key is not in the ring.
    public func matches(_ token: String, storedHash: String, keyID: String) -> Bool {
        guard let computed = hash(token, keyID: keyID) else { return false }
        return ConstantTime.equals(computed, storedHash)
    }
}
