import Fluent
import FluentSQL
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

        let builder = Flow.query(on: request.db).filter(\.$workspaceID == grant.workspaceID)
        if let status {
            builder.filter(\.$status == status.rawValue)
            if status == .deleted {
                builder.filter(\.$deletedAt > FlowRetention.cutoff(now: request.application.smf.clock.now()))
            }
        } else {
            builder.filter(\.$status != FlowStatus.deleted.rawValue)
        }
        if let name, !name.isEmpty {
            // A substring match in which % and _ are literal characters.
            let escaped = name.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            builder.filter(.sql(embed: "\(ident: "name_search") LIKE \(bind: "%" + escaped + "%") ESCAPE '\\'"))
        }
        if let cursor {
            builder.group(.or) { group in
                group.filter(\.$createdMilliseconds < cursor.createdMilliseconds)
                group.group(.and) {
                    $0.filter(\.$createdMilliseconds == cursor.createdMilliseconds).filter(\.$id < cursor.id)
                }
            }
        }
        let rows = try await builder.sort(\.$createdMilliseconds, .descending).sort(\.$id, .descending)
            .limit(limit + 1).all()
        let page = rows.prefix(limit)
        let next = rows.count > limit
            ? try page.last.map { FlowCursor(createdMilliseconds: $0.createdMilliseconds, id: try $0.requireID()).encoded }
            : nil
        return FlowPage(items: try page.map { try body(for: $0) }, next_cursor: next)
    }
}
