import Fluent
import Foundation
import SMFCore
import SMFSecurity

/// The secret fields of one opened credential. Values are reachable only by
/// asking for a field by name (`reveal`), so a `CredentialSecrets` that ends
/// up in a log line, an error, `dump()` or a debugger print shows the field
/// names and nothing else.
public struct CredentialSecrets: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let values: [String: SecretValue]

    init(_ values: [String: String]) {
        self.values = values.mapValues(SecretValue.init)
    }

    /// The secret of `field` (`bot_token`, `api_key`, …), or nil when unset.
    public func reveal(_ field: String) -> String? { values[field]?.reveal() }

    /// The field as a redacting `SecretValue`, for passing along.
    public subscript(field: String) -> SecretValue? { values[field] }

    public var fieldNames: [String] { values.keys.sorted() }

    public var description: String { "CredentialSecrets(\(fieldNames.joined(separator: ", ")): ****)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fields": fieldNames]) }
}

/// A credential as a flow run needs it: kind, public fields and secrets.
public struct CredentialMaterial: Sendable {
    public let id: UUID
    public let workspaceID: UUID
    public let kind: CredentialKind
    /// `ig_user_id`, `base_url`, `header_name` — not secret.
    public let publicFields: [String: String]
    public let secrets: CredentialSecrets
}

/// Encrypts and decrypts credential secrets (issue 8, part 1).
///
/// One `SecretBox` with the current key (`SMF_ENCRYPTION_KEY`) and the
/// previous ones (`SMF_ENCRYPTION_KEY_PREVIOUS`): new secrets are sealed
/// under the current key, old ones still open during a rotation. The
/// associated data is `SecretBox.credentialContext(workspaceID:credentialID:)`,
/// so a sealed blob copied into another row or workspace does not open.
public struct CredentialVault: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No `SMF_ENCRYPTION_KEY`: nothing can be stored or read.
        case notConfigured
        /// The credential holds no secrets (a row from before the vault).
        case noSecrets
        case unknownKind
        /// The sealed blob did not open (wrong row, retired key, altered).
        case cannotOpen(SecretBox.OpenError)
        /// Opened, but not the JSON object the vault writes.
        case malformedPlaintext
        case notFound

        public var description: String {
            switch self {
            case .notConfigured: "no encryption key is configured (SMF_ENCRYPTION_KEY)"
            case .noSecrets: "the credential holds no secrets"
            case .unknownKind: "the credential has an unknown kind"
            case .cannotOpen(let error): error.description
            case .malformedPlaintext: "the opened secrets are not a JSON object of strings"
            case .notFound: "no such credential in this workspace"
            }
        }
    }

    public let box: SecretBox

    public init(box: SecretBox) {
        self.box = box
    }

    /// The vault of a configuration, or nil without `SMF_ENCRYPTION_KEY`.
    /// Cheap (two HKDF derivations per key): build it where it is needed.
    public init?(config: AppConfig) {
        guard let key = config.encryptionKey, !key.isEmpty else { return nil }
        self.init(box: SecretBox(current: .init(material: key),
                                 previous: config.encryptionKeyPrevious.map { SecretBox.Key(material: $0) }))
    }

    public var currentKeyID: String { box.current.id }

    /// Seals `secrets` for the row (`workspaceID`, `credentialID`).
    public func seal(_ secrets: [String: String], workspaceID: UUID, credentialID: UUID) throws -> String {
        let plaintext = try JSONEncoder.sorted.encode(secrets)
        return try box.seal(plaintext, associatedData: SecretBox.credentialContext(workspaceID: workspaceID, credentialID: credentialID))
    }

    /// Opens a sealed blob of the row (`workspaceID`, `credentialID`).
    public func open(sealed: String, workspaceID: UUID, credentialID: UUID) throws(Failure) -> CredentialSecrets {
        let plaintext: Data
        do {
            plaintext = try box.open(sealed, associatedData: SecretBox.credentialContext(workspaceID: workspaceID, credentialID: credentialID))
        } catch {
            throw .cannotOpen(error)
        }
        guard let values = try? JSONDecoder().decode([String: String].self, from: plaintext) else { throw .malformedPlaintext }
        return CredentialSecrets(values)
    }

    /// Writes `secrets` (sealed), `publicFields` and the hints into
    /// `credential`, stamping `secret_updated_at`. Does not save the row.
    func store(secrets: [String: String], publicFields: [String: String], in credential: Credential, now: Date) throws {
        let id = try credential.requireID()
        credential.sealed = try seal(secrets, workspaceID: credential.workspaceID, credentialID: id)
        credential.keyID = currentKeyID
        credential.hints = try Self.json(secrets.mapValues(CredentialFields.hint(for:)))
        credential.publicFields = try Self.json(publicFields)
        credential.secretUpdatedAt = now
        credential.updatedAt = now
    }

    /// The secrets of a stored credential.
    func open(_ credential: Credential) throws(Failure) -> CredentialSecrets {
        guard let sealed = credential.sealed, let id = credential.id else { throw .noSecrets }
        return try open(sealed: sealed, workspaceID: credential.workspaceID, credentialID: id)
    }

    /// Loads and opens a workspace's credential (for the execution engine).
    /// A credential of another workspace is `notFound`, as if it did not exist.
    func material(credentialID: UUID, workspaceID: UUID, on database: any Database) async throws -> CredentialMaterial {
        guard let credential = try await Credential.query(on: database)
            .filter(\.$id == credentialID).filter(\.$workspaceID == workspaceID).first()
        else { throw Failure.notFound }
        guard let kind = CredentialKind(rawValue: credential.kind) else { throw Failure.unknownKind }
        let secrets = try open(credential)
        return CredentialMaterial(id: credentialID, workspaceID: workspaceID, kind: kind,
                                  publicFields: Self.decodeObject(credential.publicFields), secrets: secrets)
    }

    static func json(_ object: [String: String]) throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(object), as: UTF8.self)
    }

    /// A stored JSON object of strings (public fields, hints); empty when
    /// absent or unreadable.
    static func decodeObject(_ text: String?) -> [String: String] {
        guard let text, let object = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return [:] }
        return object
    }
}
