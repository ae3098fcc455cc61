import Fluent
import Foundation

/// A workspace's flow: its name, which version is newest and which is live.
/// The graphs themselves are the immutable `FlowVersion` rows. Fluent models
/// are `@unchecked Sendable` by Fluent's design and not thread-safe (DESIGN
/// pitfall 7): one instance belongs to one task.
final class Flow: Model, @unchecked Sendable {
    static let schema = "flows"

    @ID(key: .id) var id: UUID?
    @Field(key: "workspace_id") var workspaceID: UUID
    @Field(key: "name") var name: String
    /// `name` lower-cased, for the case-insensitive name filter.
    @Field(key: "name_search") var nameSearch: String
    @OptionalField(key: "description") var flowDescription: String?
    /// `draft`, `deployed` or `deleted` (`FlowStatus`), kept in step with
    /// `deployedVersion` and `deletedAt` by every write.
    @Field(key: "status") var status: String
    @Field(key: "latest_version") var latestVersion: Int
    @OptionalField(key: "deployed_version") var deployedVersion: Int?
    /// Bumped by every write; the `ETag` is made from it (`FlowETag`).
    @Field(key: "revision") var revision: Int
    /// Creation time in whole milliseconds: the exact, portable sort key of
    /// the list's cursor (dates lose precision differently per driver).
    @Field(key: "created_ms") var createdMilliseconds: Int64
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "deleted_at") var deletedAt: Date?

    init() {}
}

/// The lifecycle a flow is in, as the API shows it.
enum FlowStatus: String, Codable, Sendable, CaseIterable {
    case draft, deployed, deleted
}

/// One saved version of a flow's graph; never changed after it is written.
final class FlowVersion: Model, @unchecked Sendable {
    static let schema = "flow_versions"

    @ID(key: .id) var id: UUID?
    @Field(key: "flow_id") var flowID: UUID
    /// 1, 2, 3 … per flow.
    @Field(key: "number") var number: Int
    /// The document as canonical JSON (sorted keys).
    @Field(key: "document") var document: String
    @Field(key: "document_sha256") var documentSHA256: String
    @OptionalField(key: "comment") var comment: String?
    @OptionalField(key: "author_user_id") var authorUserID: UUID?
    @OptionalField(key: "author_api_key_id") var authorAPIKeyID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
