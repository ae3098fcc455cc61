import Fluent
import SQLKit

// 001 — identity and access (issue 3): users, sessions, workspaces,
// memberships, invitations, API keys, security events, sign-in throttles.
// Shipped migrations are never edited; later changes get new ones.

struct CreateUser: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .id()
            .field("email_canonical", .string, .required)
            .field("email", .string, .required)
            .field("password_hash", .string, .required)
            .field("is_disabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("password_changed_at", .datetime, .required)
            .unique(on: "email_canonical")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).delete()
    }
}

struct CreateSession: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Session.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("csrf_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("user_agent", .string, .required)
            .field("ip", .string, .required)
            .unique(on: "token_hash")
            .create()
        try await (database as? any SQLDatabase)?.create(index: "sessions_user_id_idx").on(Session.schema).column("user_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Session.schema).delete()
    }
}

struct CreateWorkspace: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Workspace.schema)
            .id()
            .field("name", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema(Membership.schema)
            .id()
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("role", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "workspace_id", "user_id")
            .create()
        try await (database as? any SQLDatabase)?.create(index: "memberships_user_id_idx").on(Membership.schema).column("user_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Membership.schema).delete()
        try await database.schema(Workspace.schema).delete()
    }
}

struct CreateInvitation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Invitation.schema)
            .id()
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("email_canonical", .string, .required)
            .field("role", .string, .required)
            .field("token_hash", .string, .required)
            .field("invited_by", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("accepted_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Invitation.schema).delete()
    }
}

struct CreateAPIKey: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(APIKey.schema)
            .id()
            .field("workspace_id", .uuid, .required, .references(Workspace.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("key_hash", .string, .required)
            .field("hint", .string, .required)
            .field("scopes", .string, .required)
            .field("is_test", .bool, .required)
            .field("created_by", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "key_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(APIKey.schema).delete()
    }
}

struct CreateSecurityEvent: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(SecurityEvent.schema)
            .id()
            .field("occurred_at", .datetime, .required)
            .field("type", .string, .required)
            .field("outcome", .string, .required)
            .field("user_id", .uuid)
            .field("api_key_id", .uuid)
            .field("workspace_id", .uuid)
            .field("ip", .string, .required)
            .field("user_agent", .string, .required)
            .field("request_id", .string, .required)
            .field("details", .string, .required)
            .create()
        let sql = database as? any SQLDatabase
        try await sql?.create(index: "security_events_workspace_time_idx").on(SecurityEvent.schema)
            .column("workspace_id").column("occurred_at").run()
        try await sql?.create(index: "security_events_type_time_idx").on(SecurityEvent.schema)
            .column("type").column("occurred_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(SecurityEvent.schema).delete()
    }
}

struct CreateLoginThrottle: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(LoginThrottle.schema)
            .field("key", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("window_start", .datetime, .required)
            .field("blocked_until", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LoginThrottle.schema).delete()
    }
}
