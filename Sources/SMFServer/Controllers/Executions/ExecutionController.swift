import Fluent
import Foundation
import SMFCore
import Vapor

/// `/api/v1/workspaces/:workspaceID/executions`: what flows did (issue 8).
/// Scoped to the caller's workspace like flows: another workspace's
/// execution is the same 404 as a missing one. Live progress is
/// `+Events`; running a flow by hand is `FlowController.test`.
enum ExecutionController {
    /// `GET /executions?limit&cursor&flow_id&status&since&until`: newest
    /// first, keyset-paginated on (creation time, id).
    @Sendable static func list(_ request: Request) async throws -> ExecutionPage {
        let grant = try request.grant()
        var query = try StrictQuery(request, allowed: ["limit", "cursor", "flow_id", "status", "since", "until"])
        let limit = query.integer("limit", in: 1...100) ?? 50
        let status = query.choice("status", ExecutionStatus.self)
        let flowID = query.uuid("flow_id")
        let since = query.timestamp("since")
        let until = query.timestamp("until")
        var cursor: KeysetCursor?
        if let raw = query.string("cursor", maxLength: 512, problem: "Use the next_cursor of a previous page.") {
            cursor = KeysetCursor(raw, list: .executions)
            if cursor == nil { query.record("cursor", "Use the next_cursor of a previous page.") }
        }
        try query.finish()

        let rows = Execution.query(on: request.db).filter(\.$workspaceID == grant.workspaceID)
        if let flowID { rows.filter(\.$flowID == flowID) }
        if let status { rows.filter(\.$status == status.rawValue) }
        if let since { rows.filter(\.$createdMilliseconds >= since.milliseconds) }
        if let until { rows.filter(\.$createdMilliseconds < until.milliseconds) }
        if let cursor {
            rows.group(.or) { either in
                either.filter(\.$createdMilliseconds < cursor.createdMilliseconds)
                either.group(.and) { same in
                    same.filter(\.$createdMilliseconds == cursor.createdMilliseconds)
                    same.filter(\.$id < cursor.id)
                }
            }
        }
        let found = try await rows.sort(\.$createdMilliseconds, .descending).sort(\.$id, .descending)
            .limit(limit + 1).all()
        let page = found.prefix(limit)
        let next = found.count > limit
            ? try page.last.map { KeysetCursor(.executions, createdMilliseconds: $0.createdMilliseconds, id: try $0.requireID()).encoded }
            : nil
        return ExecutionPage(items: try page.map(ExecutionBody.init), next_cursor: next)
    }

    @Sendable static func read(_ request: Request) async throws -> ExecutionBody {
        try ExecutionBody(try await load(request, grant: try request.grant()))
    }

    /// `POST /executions/:executionID/replay`: a dead execution's job goes
    /// back to the queue with fresh attempts (after the cause is fixed).
    @Sendable static func replay(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        try FlowController.requireEmptyBody(request)
        let execution = try await load(request, grant: grant)
        // `dead`, or stuck `running` when the last lease expired in a crash
        // (the queue then dead-letters the job without the handler knowing).
        let replayable: Set<String> = [ExecutionStatus.dead.rawValue, ExecutionStatus.running.rawValue]
        guard replayable.contains(execution.status), let jobID = execution.jobID else {
            throw SMFError(.conflict, code: "not-dead", title: "Not a dead letter",
                           detail: "Only an execution whose job ran out of attempts can be replayed.")
        }
        // One transaction: a worker that claims the job at once already
        // finds the execution queued (never overwritten back afterwards).
        let clock = request.application.smf.clock
        let replayed = try await request.db.transaction { db in
            guard try await JobQueue(database: db, clock: clock).replay(id: jobID, workspaceID: grant.workspaceID) else {
                return false
            }
            execution.status = ExecutionStatus.queued.rawValue
            execution.error = nil
            execution.revision += 1
            try await execution.save(on: db)
            return true
        }
        guard replayed else {
            throw SMFError(.conflict, code: "not-dead", title: "Not a dead letter",
                           detail: "The execution's job is no longer dead.")
        }
        return try await ExecutionBody(execution).encodeResponse(status: .accepted, for: request)
    }

    static func load(_ request: Request, grant: WorkspaceGrant) async throws -> Execution {
        guard let id = request.parameters.get("executionID", as: UUID.self),
              let execution = try await Execution.query(on: request.db).filter(\.$id == id)
                .filter(\.$workspaceID == grant.workspaceID).first()
        else { throw SMFError.resourceNotFound }
        return execution
    }
}
