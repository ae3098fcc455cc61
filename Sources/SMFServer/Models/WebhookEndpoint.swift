import Fluent
import Foundation

/// Which platform mechanism authenticates deliveries to an endpoint.
enum WebhookKind: String, Sendable, Codable, CaseIterable {
    /// `X-Telegram-Bot-Api-Secret-Token`, one endpoint per bot credential.
    case telegram
    /// `X-Hub-Signature-256` + the verify-token handshake, one endpoint per Instagram credential.
    case meta
    /// `t=<unix>,v1=<hex>` HMAC over `t.body`, one endpoint per flow.
    case generic
}

/// An incoming-webhook address (`/hooks/<kind>/<token>`). Fluent models are
/// `@unchecked Sendable` by Fluent's design and not thread-safe (DESIGN
/// pitfall 7): one instance belongs to one task.
final class WebhookEndpoint: Model, @unchecked Sendable {
    static let schema = "webhook_endpoints"

    @ID(key: .id) var id: UUID?
    @Field(key: "workspace_id") var workspaceID: UUID
    @Field(key: "kind") var kind: String
    @Field(key: "token") var token: String
    @OptionalField(key: "credential_id") var credentialID: UUID?
    @OptionalField(key: "flow_id") var flowID: UUID?
    @OptionalField(key: "sealed_secret") var sealedSecret: String?
    @OptionalField(key: "key_id") var keyID: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// The trigger of a deployed flow (see `CreateFlowTrigger`). `@unchecked
/// Sendable` like every Fluent model (DESIGN pitfall 7): one instance
/// belongs to one task.
final class FlowTrigger: Model, @unchecked Sendable {
    static let schema = "flow_triggers"

    @ID(key: .id) var id: UUID?
    @Field(key: "flow_id") var flowID: UUID
    @Field(key: "workspace_id") var workspaceID: UUID
    @OptionalField(key: "endpoint_id") var endpointID: UUID?
    @Field(key: "trigger_type") var triggerType: String
    @Field(key: "flow_version") var flowVersion: Int
    @Field(key: "settings") var settings: String

    init() {}
}

/// One accepted delivery (see `CreateWebhookEvent`). `@unchecked Sendable`
/// like every Fluent model (DESIGN pitfall 7): one instance belongs to one task.
final class WebhookEvent: Model, @unchecked Sendable {
    static let schema = "webhook_events"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "endpoint_id") var endpointID: UUID?
    @Field(key: "workspace_id") var workspaceID: UUID
    @OptionalField(key: "dedupe_key") var dedupeKey: String?
    @Field(key: "source") var source: String
    @Field(key: "message") var message: String
    @Field(key: "received_ms") var receivedMilliseconds: Int64

    init() {}
}
