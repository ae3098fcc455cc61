import Fluent
import SQLKit
import Foundation
import Vapor

extension FlowController {
    /// `GET /flows?limit&cursor&name&status`: newest first, keyset-paginated
    /// on (creation time, id). Deleted flows are listed only with
    /// `status=deleted`. Documents are not loaded: a page is one indexed query.
    @Sendable static func list(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        var query = try StrictQuery(request, allowed: ["limit", "cursor", "name", "status"])
        let limit = query.integer("limit", in: 1...100) ?? 50
        let status = query.choice("status", FlowStatus.self)
        let name = query.string("name", maxLength: nameLimit, problem: "Use at most \(nameLimit) characters.")
        var cursor: KeysetCursor?
        if let raw = query.string("cursor", maxLength: 512, problem: "Use the next_cursor of a previous page.") {
            cursor = KeysetCursor(raw, list: .flows)
            if cursor == nil { query.record("cursor", "Use the next_cursor of a previous page.") }
        }
        try query.finish()

        guard let sql = request.db as? any SQLDatabase else { throw SMFError.internalError }
        let rows = try await FlowListQuery.run(.init(
            workspaceID: grant.workspaceID, status: status, nameContains: name?.lowercased(), cursor: cursor,
            deletedAfter: FlowRetention.cutoff(now: request.application.smf.clock.now()), limit: limit), on: sql)
        let page = rows.prefix(limit)
        let next = rows.count > limit
            ? page.last.map { KeysetCursor(.flows, createdMilliseconds: $0.created_ms, id: $0.id).encoded }
            : nil
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(buffer: FlowListJSON.page(page, nextCursor: next)))
    }
}
