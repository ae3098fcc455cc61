import Fluent
import SMFCore
import Vapor

/// `/api/v1/workspaces`: create, list mine, read, rename.
enum WorkspaceController {
    struct NameBody: StrictBody {
        let name: String
        static let fields: Set<String> = ["name"]

        func problems() -> [SMFError.FieldError] {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                return [.init(pointer: "/name", detail: "Use 1 to 100 characters, no control characters.")]
            }
            return []
        }
    }

    struct WorkspaceBody: Content {
        let id: UUID
        let name: String
        let role: String?
        let created_at: Date
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let userID = try request.userID()
        let body = try request.decodeStrict(NameBody.self)
        let now = request.application.smf.clock.now()
        let workspace = Workspace(name: body.name.trimmingCharacters(in: .whitespacesAndNewlines), now: now)
        try await request.db.transaction { db in
            try await workspace.save(on: db)
            try await Membership(workspaceID: try workspace.requireID(), userID: userID, role: WorkspaceRole.owner.rawValue, now: now).save(on: db)
        }
        let result = WorkspaceBody(id: try workspace.requireID(), name: workspace.name, role: WorkspaceRole.owner.rawValue, created_at: now)
        return try await result.encodeResponse(status: .created, for: request)
    }

    @Sendable static func listMine(_ request: Request) async throws -> [WorkspaceBody] {
        let userID = try request.userID()
        let result = try await Self.memberships(of: userID, on: request.db).map { membership, workspace in
            WorkspaceBody(id: membership.workspaceID, name: workspace.name, role: membership.role, created_at: workspace.createdAt)
        }
        return result.sorted { ($0.name, $0.id.uuidString) < ($1.name, $1.id.uuidString) }
    }

    @Sendable static func read(_ request: Request) async throws -> WorkspaceBody {
        let grant = try request.grant()
        guard let workspace = try await Workspace.find(grant.workspaceID, on: request.db) else { throw SMFError.notFound }
        return WorkspaceBody(id: grant.workspaceID, name: workspace.name, role: grant.role?.rawValue, created_at: workspace.createdAt)
    }

    @Sendable static func rename(_ request: Request) async throws -> WorkspaceBody {
        let grant = try request.grant()
        let body = try request.decodeStrict(NameBody.self)
        guard let workspace = try await Workspace.find(grant.workspaceID, on: request.db) else { throw SMFError.notFound }
        workspace.name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        try await workspace.save(on: request.db)
        return WorkspaceBody(id: grant.workspaceID, name: workspace.name, role: grant.role?.rawValue, created_at: workspace.createdAt)
    }

    /// The user's memberships with their workspaces: two queries however
    /// many workspaces there are (not one per membership).
    static func memberships(of userID: UUID, on database: any Database) async throws -> [(Membership, Workspace)] {
        let memberships = try await Membership.query(on: database).filter(\.$userID == userID).all()
        guard !memberships.isEmpty else { return [] }
        let workspaces = try await Workspace.query(on: database).filter(\.$id ~~ memberships.map(\.workspaceID)).all()
        let byID = Dictionary(workspaces.compactMap { workspace in workspace.id.map { ($0, workspace) } },
                              uniquingKeysWith: { first, _ in first })
        return memberships.compactMap { membership in byID[membership.workspaceID].map { (membership, $0) } }
    }
}
