import Fluent
import SQLKit

// 003 — flows, their immutable versions, and the credential identities flows
// reference (issue 7). The credential secrets come with issue 8's migration.

struct CreateCredential: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Credential.schema)
            .id()
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as? any SQLDatabase)?.create(index: "credentials_workspace_id_idx")
            .on(Credential.schema).column("workspace_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Credential.schema).delete()
    }
}

struct CreateFlow: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Flow.schema)
            .id()
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("name_search", .string, .required)
            .field("description", .string)
            .field("status", .string, .required)
            .field("latest_version", .int, .required)
            .field("deployed_version", .int)
            .field("revision", .int, .required)
            .field("created_ms", .int64, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("deleted_at", .datetime)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        // The list's keyset order, with and without the status filter.
        try await sql.create(index: "flows_workspace_order_idx").on(Flow.schema)
            .column("workspace_id").column("created_ms").column("id").run()
        try await sql.create(index: "flows_workspace_status_order_idx").on(Flow.schema)
            .column("workspace_id").column("status").column("created_ms").column("id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Flow.schema).delete()
    }
}

struct CreateFlowVersion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(FlowVersion.schema)
            .id()
            .field("flow_id", .uuid, .required, .references(Flow.schema, "id", onDelete: .cascade))
            .field("number", .int, .required)
            .field("document", .string, .required)
            .field("document_sha256", .string, .required)
            .field("comment", .string)
            .field("author_user_id", .uuid)
            .field("author_api_key_id", .uuid)
            .field("created_at", .datetime, .required)
            // Two editors saving at once cannot both create version n.
            .unique(on: "flow_id", "number")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(FlowVersion.schema).delete()
    }
}
