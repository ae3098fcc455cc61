import Foundation
import SMFCore
import Vapor

/// Request and response shapes of the flows API (`openapi/smflow.yaml`).
extension FlowController {
    static let nameLimit = 100
    static let descriptionLimit = 1000
    static let commentLimit = 500
    static let exportFormat = "smflow.flow/v1"

    /// `POST /flows` and `PUT /flows/:flowID`. Flow bodies are read with
    /// `JSONObjectBody` (SMFCore's parser), not `JSONDecoder`: see there.
    struct SaveBody {
        let name: String
        let description: String?
        let document: JSONValue
        let comment: String?
        static let fields: Set<String> = ["name", "description", "document", "comment"]

        init(_ request: Request) throws {
            var body = try JSONObjectBody(request, fields: Self.fields)
            let name = body.string("name")
            let document = body.value("document")
            let description = body.optionalString("description")
            let comment = body.optionalString("comment")
            try body.finish(name.map { FlowController.envelopeProblems(name: $0, description: description, comment: comment) } ?? [])
            guard let name, let document else { throw SMFError.internalError }
            (self.name, self.description, self.document, self.comment) = (name, description, document, comment)
        }
    }

    /// `POST /flows/import`: what `GET …/export` returns.
    struct ImportBody {
        let format: String
        let name: String
        let description: String?
        let document: JSONValue
        static let fields: Set<String> = ["format", "name", "description", "document"]

        init(_ request: Request) throws {
            var body = try JSONObjectBody(request, fields: Self.fields)
            let format = body.string("format")
            let name = body.string("name")
            let document = body.value("document")
            let description = body.optionalString("description")
            var problems: [SMFError.FieldError] = []
            if let name { problems += FlowController.envelopeProblems(name: name, description: description, comment: nil) }
            if let format, format != FlowController.exportFormat {
                problems.append(.init(pointer: "/format", detail: "Use \"\(FlowController.exportFormat)\"."))
            }
            try body.finish(problems)
            guard let format, let name, let document else { throw SMFError.internalError }
            (self.format, self.name, self.description, self.document) = (format, name, description, document)
        }
    }

    /// `POST /flows/validate`.
    struct ValidateBody {
        let document: JSONValue
        let purpose: ValidationPurpose
        static let fields: Set<String> = ["document", "purpose"]

        init(_ request: Request) throws {
            var body = try JSONObjectBody(request, fields: Self.fields)
            let document = body.value("document")
            var problems: [SMFError.FieldError] = []
            var purpose = ValidationPurpose.save
            switch body.optionalString("purpose") {
            case nil, "save"?: break
            case "deploy"?: purpose = .deploy
            default: problems.append(.init(pointer: "/purpose", detail: "Use save or deploy."))
            }
            try body.finish(problems)
            guard let document else { throw SMFError.internalError }
            (self.document, self.purpose) = (document, purpose)
        }
    }

    /// `POST /flows/:flowID/deploy`.
    struct DeployBody: StrictBody {
        let version: Int
        static let fields: Set<String> = ["version"]

        func problems() -> [SMFError.FieldError] {
            (1...1_000_000_000).contains(version) ? [] : [.init(pointer: "/version", detail: "Use a version number from 1.")]
        }
    }

    static func envelopeProblems(name: String, description: String?, comment: String?) -> [SMFError.FieldError] {
        var problems: [SMFError.FieldError] = []
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if !(1...nameLimit).contains(trimmed.count) || trimmed.utf8.count > 4 * nameLimit || hasControlCharacters(trimmed) {
            problems.append(.init(pointer: "/name", detail: "Use 1 to \(nameLimit) characters, without control characters."))
        }
        if let description, description.count > descriptionLimit || description.utf8.count > 4 * descriptionLimit {
            problems.append(.init(pointer: "/description", detail: "Use at most \(descriptionLimit) characters."))
        }
        if let comment, comment.count > commentLimit || comment.utf8.count > 4 * commentLimit {
            problems.append(.init(pointer: "/comment", detail: "Use at most \(commentLimit) characters."))
        }
        return problems
    }

    private static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// A flow as lists show it; `document` and the rest are added on reads
    /// of one flow and on writes.
    struct FlowBody: Content {
        let id: UUID
        let name: String
        let description: String?
        let status: FlowStatus
        let latest_version: Int
        let deployed_version: Int?
        let created_at: Date
        let updated_at: Date
        let deleted_at: Date?
        let etag: String
        var document: JSONValue?
        /// Warnings of the document just saved or deployed (writes only).
        var warnings: [ProblemBody]?
        /// Import only: settings whose credential was not the workspace's.
        var stripped_credentials: [String]?
        /// Deploy only: where the flow's trigger receives events (webhook triggers).
        var webhook: WebhookInfo?

        // Nullable fields are sent as null, not left out, so every client
        // sees the same keys.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(description, forKey: .description)
            try container.encode(status, forKey: .status)
            try container.encode(latest_version, forKey: .latest_version)
            try container.encode(deployed_version, forKey: .deployed_version)
            try container.encode(created_at, forKey: .created_at)
            try container.encode(updated_at, forKey: .updated_at)
            try container.encode(deleted_at, forKey: .deleted_at)
            try container.encode(etag, forKey: .etag)
            try container.encodeIfPresent(document, forKey: .document)
            try container.encodeIfPresent(warnings, forKey: .warnings)
            try container.encodeIfPresent(stripped_credentials, forKey: .stripped_credentials)
            try container.encodeIfPresent(webhook, forKey: .webhook)
        }
    }

    struct FlowPage: Content {
        let items: [FlowBody]
        let next_cursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(next_cursor, forKey: .next_cursor)
        }
    }

    struct ProblemBody: Content, Equatable {
        let pointer: String
        let code: String
        let detail: String
        let severity: String
    }

    struct ValidationBody: Content {
        let valid: Bool
        let problems: [ProblemBody]
    }

    struct VersionBody: Content {
        let number: Int
        let comment: String?
        let author_user_id: UUID?
        let author_api_key_id: UUID?
        let created_at: Date
        let document_sha256: String
        var document: JSONValue?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(number, forKey: .number)
            try container.encode(comment, forKey: .comment)
            try container.encode(author_user_id, forKey: .author_user_id)
            try container.encode(author_api_key_id, forKey: .author_api_key_id)
            try container.encode(created_at, forKey: .created_at)
            try container.encode(document_sha256, forKey: .document_sha256)
            try container.encodeIfPresent(document, forKey: .document)
        }
    }

    struct VersionPage: Content {
        let items: [VersionBody]
        let next_cursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(next_cursor, forKey: .next_cursor)
        }
    }

    struct DiffBody: Content {
        let from: Int
        let to: Int
        let diff: FlowDiff

        enum CodingKeys: String, CodingKey { case from, to }

        init(from: Int, to: Int, diff: FlowDiff) {
            self.from = from
            self.to = to
            self.diff = diff
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            from = try container.decode(Int.self, forKey: .from)
            to = try container.decode(Int.self, forKey: .to)
            diff = try FlowDiff(from: decoder)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try diff.encode(to: encoder)
        }
    }

    struct ExportBody: Content {
        let format: String
        let name: String
        let description: String?
        let document: JSONValue

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(format, forKey: .format)
            try container.encode(name, forKey: .name)
            try container.encode(description, forKey: .description)
            try container.encode(document, forKey: .document)
        }
    }

    static func body(for flow: Flow, document: JSONValue? = nil) throws -> FlowBody {
        FlowBody(id: try flow.requireID(), name: flow.name, description: flow.flowDescription,
                 status: FlowStatus(rawValue: flow.status) ?? .draft, latest_version: flow.latestVersion,
                 deployed_version: flow.deployedVersion, created_at: flow.createdAt, updated_at: flow.updatedAt,
                 deleted_at: flow.deletedAt, etag: FlowETag.make(revision: flow.revision), document: document)
    }

    static func body(for version: FlowVersion, withDocument: Bool) throws -> VersionBody {
        VersionBody(number: version.number, comment: version.comment, author_user_id: version.authorUserID,
                    author_api_key_id: version.authorAPIKeyID, created_at: version.createdAt,
                    document_sha256: version.documentSHA256,
                    // Spelled out: JSONValue is nil-literal-expressible, so a bare
                    // `nil` here would become `.some(.null)`.
                    document: withDocument ? .some(try FlowDocumentCodec.decode(version.document)) : Optional<JSONValue>.none)
    }
}
