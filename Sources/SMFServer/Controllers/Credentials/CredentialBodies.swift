import Foundation
import SMFCore
import Vapor

/// Request and response shapes of the credentials API (`openapi/smflow.yaml`).
/// Bodies are read with `JSONObjectBody` (SMFCore's strict parser: unknown
/// and repeated keys refused) like the flow bodies.
extension CredentialController {
    static let nameLimit = 100

    /// `POST /credentials`: `{name, kind, fields: {…}}`.
    struct CreateBody {
        let name: String
        let kind: CredentialKind
        let checked: CredentialFields.Checked
        static let fields: Set<String> = ["name", "kind", "fields"]

        init(_ request: Request, context: CredentialFields.Context) throws {
            var body = try JSONObjectBody(request, fields: Self.fields)
            let name = body.string("name")
            let kindText = body.string("kind")
            let fieldsValue = body.value("fields")
            var problems: [SMFError.FieldError] = []
            if let name { problems += CredentialController.nameProblems(name) }
            var kind: CredentialKind?
            if let kindText {
                kind = CredentialKind(rawValue: kindText)
                if kind == nil {
                    problems.append(.init(pointer: "/kind", detail: "Use one of: \(CredentialKind.allCases.map(\.rawValue).joined(separator: ", ")).",
                                          code: "unknown-kind"))
                }
            }
            var checked = CredentialFields.Checked()
            if let fieldsValue {
                if case .object(let members) = fieldsValue {
                    if let kind { checked = CredentialFields.check(members, kind: kind, mode: .create, context: context) }
                } else {
                    problems.append(.init(pointer: "/fields", detail: "Use an object of the kind's fields.", code: "type"))
                }
            }
            try body.finish(problems + checked.problems)
            guard let name, let kind else { throw SMFError.internalError }
            self.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
            self.kind = kind
            self.checked = checked
        }
    }

    /// `PUT /credentials/:credentialID/secrets`: `{fields: {…}}` — every
    /// secret of the kind (they are replaced as a whole), public fields optional.
    struct ReplaceSecretsBody {
        let checked: CredentialFields.Checked
        static let fields: Set<String> = ["fields"]

        init(_ request: Request, kind: CredentialKind, context: CredentialFields.Context) throws {
            var body = try JSONObjectBody(request, fields: Self.fields)
            var problems: [SMFError.FieldError] = []
            var checked = CredentialFields.Checked()
            if let value = body.value("fields") {
                if case .object(let members) = value {
                    checked = CredentialFields.check(members, kind: kind, mode: .replaceSecrets, context: context)
                } else {
                    problems.append(.init(pointer: "/fields", detail: "Use an object of the kind's fields.", code: "type"))
                }
            }
            try body.finish(problems + checked.problems)
            self.checked = checked
        }
    }

    static func nameProblems(_ name: String) -> [SMFError.FieldError] {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let hasControl = trimmed.unicodeScalars.contains { $0.properties.generalCategory == .control }
        guard (1...nameLimit).contains(trimmed.count), trimmed.utf8.count <= 4 * nameLimit, !hasControl else {
            return [.init(pointer: "/name", detail: "Use 1 to \(nameLimit) characters, without control characters.")]
        }
        return []
    }

    /// A credential as the API shows it: metadata, public fields and masked
    /// hints. There is no property that could hold a secret.
    struct CredentialBody: Content {
        let id: UUID
        let name: String
        let kind: String
        let fields: [String: String]
        let hints: [String: String]
        let key_id: String?
        let created_at: Date
        let updated_at: Date?
        let secret_updated_at: Date?

        // Nullable fields are sent as null, not left out (as flows do).
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(kind, forKey: .kind)
            try container.encode(fields, forKey: .fields)
            try container.encode(hints, forKey: .hints)
            try container.encode(key_id, forKey: .key_id)
            try container.encode(created_at, forKey: .created_at)
            try container.encode(updated_at, forKey: .updated_at)
            try container.encode(secret_updated_at, forKey: .secret_updated_at)
        }
    }

    struct CredentialPage: Content {
        let items: [CredentialBody]
        let next_cursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(next_cursor, forKey: .next_cursor)
        }
    }

    static func body(for credential: Credential) throws -> CredentialBody {
        CredentialBody(
            id: try credential.requireID(), name: credential.name, kind: credential.kind,
            fields: CredentialVault.decodeObject(credential.publicFields), hints: CredentialVault.decodeObject(credential.hints),
            key_id: credential.keyID, created_at: credential.createdAt, updated_at: credential.updatedAt,
            secret_updated_at: credential.secretUpdatedAt)
    }
}
