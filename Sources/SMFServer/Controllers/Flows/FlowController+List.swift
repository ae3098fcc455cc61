import Fluent
import SQLKit
import Foundation
import Vapor

extension FlowController {
    /// `GET /flows?limit&cursor&name&status`: newest first, keyset-paginated
    /// on (creation time, id). Deleted flows are listed only with
    /// `status=deleted`. Documents are not loaded: a page is one indexed query.
    @Sendable static func list(_ request: Request) async throws -> FlowPage {
        let grant = try request.grant()
        var query = try StrictQuery(request, allowed: ["limit", "cursor", "name", "status"])
        let limit = query.integer("limit", in: 1...100) ?? 50
        let status = query.choice("status", FlowStatus.self)
        let name = query.string("name", maxLength: nameLimit, problem: "Use at most \(nameLimit) characters.")
        var cursor: FlowCursor?
        if let raw = query.string("cursor", maxLength: 512, problem: "Use the next_cursor of a previous page.") {
            cursor = FlowCursor(raw)
            if cursor == nil { query.record("cursor", "Use the next_cursor of a previous page.") }
        }
        try query.finish()

        guard let sql = request.db as? any SQLDatabase else { throw SMFError.internalError }
        let rows = try await FlowListQuery.run(.init(
            workspaceID: grant.workspaceID, status: status, nameContains: name?.lowercased(), cursor: cursor,
            deletedAfter: FlowRetention.cutoff(now: request.application.smf.clock.now()), limit: limit), on: sql)
        let page = rows.prefix(limit)
        let next = rows.count > limit
            ? page.last.map { FlowCursor(createdMilliseconds: $0.created_ms, id: $0.id).encoded }
            : nil
        let items = page.map { row in
            FlowBody(id: row.id, name: row.name, description: row.description,
                     status: FlowStatus(rawValue: row.status) ?? .draft, latest_version: row.latest_version,
                     deployed_version: row.deployed_version, created_at: row.created_at, updated_at: row.updated_at,
                     deleted_at: row.deleted_at, etag: FlowETag.make(revision: row.revision))
        }
        return FlowPage(items: items, next_cursor: next)
    }
}
