import Foundation
import SQLKit

/// The flow list's one query, in SQL rather than through Fluent's model
/// layer: a page of 50 flows cost ~6 ms of server CPU through Fluent
/// (model instantiation and property-wrapper decoding per row, measured by
/// scripts/bench-flow-list), which capped the list at ~140 req/s. Same
/// statement on PostgreSQL and SQLite; every value is a bind.
struct FlowListQuery {
    struct Filter {
        var workspaceID: UUID
        var status: FlowStatus?
        /// Lower-cased; matched as a substring with `%` and `_` literal.
        var nameContains: String?
        var cursor: FlowCursor?
        var deletedAfter: Date
        var limit: Int
    }

    /// The columns a list item shows (no document, no search column).
    struct Row: Decodable {
        let id: UUID
        let name: String
        let description: String?
        let status: String
        let latest_version: Int
        let deployed_version: Int?
        let revision: Int
        let created_ms: Int64
        let created_at: Date
        let updated_at: Date
        let deleted_at: Date?
    }

    static func run(_ filter: Filter, on sql: any SQLDatabase) async throws -> [Row] {
        var query: SQLQueryString = """
            SELECT id, name, description, status, latest_version, deployed_version, revision, created_ms,
                   created_at, updated_at, deleted_at
            FROM flows WHERE workspace_id = \(bind: filter.workspaceID)
            """
        if let status = filter.status {
            query += " AND status = \(bind: status.rawValue)"
            if status == .deleted { query += " AND deleted_at > \(bind: filter.deletedAfter)" }
        } else {
            query += " AND status <> \(bind: FlowStatus.deleted.rawValue)"
        }
        if let name = filter.nameContains, !name.isEmpty {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            query += " AND name_search LIKE \(bind: "%" + escaped + "%") ESCAPE '\\'"
        }
        if let cursor = filter.cursor {
            // A row comparison, which PostgreSQL answers from the index
            // (an OR of the two conditions made it scan from the start).
            query += " AND (created_ms, id) < (\(bind: cursor.createdMilliseconds), \(bind: cursor.id))"
        }
        query += " ORDER BY created_ms DESC, id DESC LIMIT \(literal: filter.limit + 1)"
        return try await sql.raw(query).all(decoding: Row.self)
    }
}
