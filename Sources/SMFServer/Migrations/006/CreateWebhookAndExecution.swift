import Fluent
import SQLKit

// 006 — webhook endpoints, the triggers of deployed flows, received events
// and executions (issue 8). The jobs that run executions are migration 005.

/// Where a platform delivers events. Telegram and Meta endpoints belong to a
/// credential (one bot or one Instagram account has one callback URL, shared
/// by every flow it triggers); generic webhooks belong to one flow.
struct CreateWebhookEndpoint: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(WebhookEndpoint.schema)
            .id()
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("kind", .string, .required)
            // The unguessable path segment of /hooks/<kind>/<token>.
            .field("token", .string, .required)
            .field("credential_id", .uuid, .references(Credential.schema, "id", onDelete: .cascade))
            .field("flow_id", .uuid, .references(Flow.schema, "id", onDelete: .cascade))
            // Telegram: the secret token given to setWebhook (kept so a redeploy can
            // register it again); generic: the HMAC signing secret. Sealed like credentials.
            .field("sealed_secret", .string)
            .field("key_id", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "token")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "webhook_endpoints_credential_idx").on(WebhookEndpoint.schema)
            .column("credential_id").run()
        try await sql.create(index: "webhook_endpoints_flow_idx").on(WebhookEndpoint.schema)
            .column("flow_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(WebhookEndpoint.schema).delete()
    }
}

/// The trigger of each deployed flow, kept at deploy time so that accepting
/// a webhook is one indexed lookup instead of decoding flow documents.
struct CreateFlowTrigger: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(FlowTrigger.schema)
            .id()
            .field("flow_id", .uuid, .required, .references(Flow.schema, "id", onDelete: .cascade))
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("endpoint_id", .uuid, .references(WebhookEndpoint.schema, "id", onDelete: .cascade))
            .field("trigger_type", .string, .required)
            .field("flow_version", .int, .required)
            // The trigger node's settings (filters such as update types), JSON.
            .field("settings", .string, .required)
            .unique(on: "flow_id")
            .create()
        try await (database as? any SQLDatabase)?.create(index: "flow_triggers_endpoint_idx")
            .on(FlowTrigger.schema).column("endpoint_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(FlowTrigger.schema).delete()
    }
}

/// One accepted delivery. The unique (endpoint, dedupe key) pair is the
/// de-duplication: a platform's retry of the same update/comment/message
/// inserts nothing.
struct CreateWebhookEvent: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(WebhookEvent.schema)
            .id()
            .field("endpoint_id", .uuid, .references(WebhookEndpoint.schema, "id", onDelete: .cascade))
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("dedupe_key", .string)
            .field("source", .string, .required)
            // The normalised message (JSON), the input of the flows it triggers.
            .field("message", .string, .required)
            .field("received_ms", .int64, .required)
            .unique(on: "endpoint_id", "dedupe_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(WebhookEvent.schema).delete()
    }
}

/// One run of one flow version: its status and per-node steps.
struct CreateExecution: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Execution.schema)
            .id()
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("flow_id", .uuid, .required, .references(Flow.schema, "id", onDelete: .cascade))
            .field("flow_version", .int, .required)
            .field("event_id", .uuid, .references(WebhookEvent.schema, "id", onDelete: .setNull))
            .field("trigger_type", .string, .required)
            // The job that runs it (jobs are deleted when done; a dead one is replayed by this id).
            .field("job_id", .uuid)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("created_ms", .int64, .required)
            .field("started_ms", .int64)
            .field("finished_ms", .int64)
            // Steps so far (JSON array of step records, summaries redacted and truncated).
            .field("steps", .string, .required)
            // Finished steps' outputs, so a retried execution does not run them again,
            // and the actions whose effect was started (JSON, see ExecutionCheckpoints).
            .field("checkpoints", .string, .required)
            .field("error", .string)
            // What a webhook.respond node answered (JSON), if any.
            .field("response", .string)
            // Bumped on every update: live progress streams what changed.
            .field("revision", .int, .required)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "executions_workspace_order_idx").on(Execution.schema)
            .column("workspace_id").column("created_ms").column("id").run()
        try await sql.create(index: "executions_flow_order_idx").on(Execution.schema)
            .column("workspace_id").column("flow_id").column("created_ms").column("id").run()
        try await sql.create(index: "executions_status_order_idx").on(Execution.schema)
            .column("workspace_id").column("status").column("created_ms").column("id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Execution.schema).delete()
    }
}
