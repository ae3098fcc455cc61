import Crypto
import Foundation

/// Authenticated encryption of secrets at rest (credential vault, issue 8):
/// AES-256-GCM with a fresh random 96-bit nonce per seal, under a key
/// derived with HKDF-SHA256 from `SMF_ENCRYPTION_KEY`, with caller-chosen
/// associated data binding the ciphertext to its row (a ciphertext copied
/// into another row or workspace fails to open), and the key's id stored
/// with it so rotated keys can still be read.
///
/// Sealed text: `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`.
/// Nothing here is home-made cryptography: swift-crypto does AES-GCM and
/// HKDF; this type only fixes the parameters and the format.
public struct SecretBox: Sendable {
    /// A derived key and its public id.
    public struct Key: Sendable {
        public let id: String
        let symmetric: SymmetricKey

        /// Derives the vault key from the operator's key material (any
        /// string the guardrails accept: hex, base64 or text).
        public init(material: SecretValue) {
            let input = SymmetricKey(data: Data(material.reveal().utf8))
            symmetric = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: input, salt: Data("smflow".utf8), info: Data("smflow credential vault v1".utf8),
                outputByteCount: 32)
            // The id is derived separately, so it says nothing about the key.
            let idBytes = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: input, salt: Data("smflow".utf8), info: Data("smflow credential vault key id v1".utf8),
                outputByteCount: 6)
            id = idBytes.withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        }
    }

    public enum OpenError: Error, Equatable, CustomStringConvertible {
        /// Not `v1.<id>.<payload>`, or the payload is not base64url of at least nonce + tag.
        case malformed
        /// Sealed under a key that is not in the ring (retired, or another installation's).
        case unknownKey
        /// Wrong key, altered bytes or other associated data: authentication failed.
        case notAuthentic

        public var description: String {
            switch self {
            case .malformed: "the sealed secret is malformed"
            case .unknownKey: "the sealed secret was made with a key that is not configured"
            case .notAuthentic: "the sealed secret does not authenticate (altered, or moved to another row)"
            }
        }
    }

    /// New seals use `current`; `previous` keys still open old ones (rotation).
    public let current: Key
    public let previous: [Key]

    public init(current: Key, previous: [Key] = []) {
        self.current = current
        self.previous = previous.filter { $0.id != current.id }
    }

    public func seal(_ plaintext: Data, associatedData: Data) throws -> String {
        let box = try AES.GCM.seal(plaintext, using: current.symmetric, nonce: AES.GCM.Nonce(), authenticating: associatedData)
        guard let combined = box.combined else { throw OpenError.malformed }
        return "v1.\(current.id).\(combined.base64URLEncoded())"
    }

    public func open(_ sealed: String, associatedData: Data) throws(OpenError) -> Data {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", parts[2].utf8.count <= 1 << 20, let combined = Data(base64URLEncoded: String(parts[2])),
              combined.count >= 12 + 16 else { throw .malformed }
        let id = String(parts[1])
        guard let key = ([current] + previous).first(where: { $0.id == id }) else { throw .unknownKey }
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key.symmetric, authenticating: associatedData)
        } catch {
            throw .notAuthentic
        }
    }

    /// The key id a sealed secret names (for re-encryption progress), or nil.
    public static func keyID(of sealed: String) -> String? {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "v1" ? String(parts[1]) : nil
    }

    /// The associated data for a credential row: both ids, so a ciphertext
    /// moved to another row or workspace no longer opens.
    public static func credentialContext(workspaceID: UUID, credentialID: UUID) -> Data {
        Data("smflow:credential:\(workspaceID.uuidString.lowercased()):\(credentialID.uuidString.lowercased())".utf8)
    }
}
