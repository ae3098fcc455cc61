import Fluent
import Foundation
import SMFCore
import Vapor

extension FlowController {
    /// `GET /flows/:flowID/versions?limit&cursor`: newest first.
    @Sendable static func listVersions(_ request: Request) async throws -> VersionPage {
        let grant = try request.grant()
        var query = try StrictQuery(request, allowed: ["limit", "cursor"])
        let limit = query.integer("limit", in: 1...100) ?? 50
        var cursor: FlowVersionCursor?
        if let raw = query.string("cursor", maxLength: 512, problem: "Use the next_cursor of a previous page.") {
            cursor = FlowVersionCursor(raw)
            if cursor == nil { query.record("cursor", "Use the next_cursor of a previous page.") }
        }
        try query.finish()
        let flow = try await load(request, grant: grant)
        let builder = FlowVersion.query(on: request.db).filter(\.$flowID == (try flow.requireID()))
        if let cursor { builder.filter(\.$number < cursor.number) }
        // The document column is left out: a page of 100 versions of a
        // 256 KiB flow would otherwise read 25 MB.
        let rows = try await builder.sort(\.$number, .descending).limit(limit + 1)
            .field(\.$id).field(\.$flowID).field(\.$number).field(\.$documentSHA256).field(\.$comment)
            .field(\.$authorUserID).field(\.$authorAPIKeyID).field(\.$createdAt).all()
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { FlowVersionCursor(number: $0.number).encoded } : nil
        return VersionPage(items: try page.map { try body(for: $0, withDocument: false) }, next_cursor: next)
    }

    /// `GET /flows/:flowID/versions/:version`.
    @Sendable static func readVersion(_ request: Request) async throws -> VersionBody {
        let grant = try request.grant()
        let flow = try await load(request, grant: grant)
        guard let number = request.parameters.get("version", as: Int.self), number > 0 else {
            throw SMFError.resourceNotFound
        }
        return try body(for: try await loadVersion(flow, number: number, on: request.db), withDocument: true)
    }

    /// `GET /flows/:flowID/diff?from&to`: what changed between two versions
    /// (nodes added, removed or changed — which settings, moved — and edges).
    @Sendable static func diff(_ request: Request) async throws -> DiffBody {
        let grant = try request.grant()
        var query = try StrictQuery(request, allowed: ["from", "to"])
        let from = query.requiredInteger("from", in: 1...1_000_000_000)
        let to = query.requiredInteger("to", in: 1...1_000_000_000)
        try query.finish()
        guard let from, let to else { throw SMFError.internalError }
        let flow = try await load(request, grant: grant)
        let old = try await document(of: flow, number: from, on: request.db)
        let new = try await document(of: flow, number: to, on: request.db)
        return DiffBody(from: from, to: to, diff: FlowDiff.between(old, new))
    }

    private static func document(of flow: Flow, number: Int, on database: any Database) async throws -> FlowDocument {
        let version = try await loadVersion(flow, number: number, on: database)
        return try JSONDecoder().decode(FlowDocument.self, from: Data(version.document.utf8))
    }
}
