import Fluent
import Foundation
import SMFCore
import SQLKit
import Vapor

/// `/api/v1/workspaces/:workspaceID/flows`: flows, their immutable numbered
/// versions, and which version is live (issue 7). Every query is scoped to
/// the caller's workspace; a flow of another workspace is the same 404 as
/// one that does not exist. Writes need `If-Match` (`FlowETag`).
///
/// Split by job: this file holds create/read/update/delete/restore and the
/// shared helpers; `+List`, `+Deploy`, `+Versions`, `+Transfer` the rest.
enum FlowController {
    @Sendable static func create(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let body = try SaveBody(request)
        let checked = try await FlowChecker(workspaceID: grant.workspaceID, database: request.db)
            .requireValid(body.document, purpose: .save)
        let flow = try await insert(name: body.name, description: body.description, comment: body.comment,
                                    encoded: checked.encoded, grant: grant, request: request)
        var answer = try Self.body(for: flow, document: body.document)
        answer.warnings = checked.validation.warnings.map(FlowChecker.apiProblem)
        return try await created(answer, flow: flow, request: request)
    }

    @Sendable static func read(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let flow = try await load(request, grant: grant)
        let version = try await loadVersion(flow, number: flow.latestVersion, on: request.db)
        let answer = try Self.body(for: flow, document: try FlowDocumentCodec.decode(version.document))
        return try await respond(answer, flow: flow, request: request)
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let expected = try FlowETag.expectedRevision(request)
        let body = try SaveBody(request)
        let current = try await load(request, grant: grant)
        try requireLive(current)
        guard current.revision == expected else { throw SMFError.preconditionFailed }
        let checked = try await FlowChecker(workspaceID: grant.workspaceID, database: request.db)
            .requireValid(body.document, purpose: .save)
        let now = request.application.smf.clock.now()
        let flow = try await mutate(current, expected: expected, request: request) { flow, db in
            try requireLive(flow)
            flow.latestVersion += 1
            flow.name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            flow.nameSearch = flow.name.lowercased()
            flow.flowDescription = body.description
            flow.updatedAt = now
            try await flow.save(on: db)
            try await makeVersion(of: flow, comment: body.comment, encoded: checked.encoded, grant: grant, now: now).create(on: db)
        }
        var answer = try Self.body(for: flow, document: body.document)
        answer.warnings = checked.validation.warnings.map(FlowChecker.apiProblem)
        return try await respond(answer, flow: flow, request: request)
    }

    /// Soft delete: the flow goes offline at once and can be restored for 30 days.
    @Sendable static func delete(_ request: Request) async throws -> HTTPStatus {
        let grant = try request.grant()
        let expected = try FlowETag.expectedRevision(request)
        let current = try await load(request, grant: grant)
        try requireLive(current)
        guard current.revision == expected else { throw SMFError.preconditionFailed }
        let now = request.application.smf.clock.now()
        let wasDeployed = current.deployedVersion
        let telegramBefore = try await TelegramWebhookRelease.endpoints(ofFlow: try current.requireID(), on: request.db)
        _ = try await mutate(current, expected: expected, request: request) { flow, db in
            try requireLive(flow)
            flow.deletedAt = now
            flow.deployedVersion = nil
            flow.status = FlowStatus.deleted.rawValue
            flow.updatedAt = now
            try await flow.save(on: db)
            try await TriggerRegistration.remove(flowID: try flow.requireID(), on: db)
        }
        await TelegramWebhookRelease(services: request.application.execution, logger: request.logger)
            .release(telegramBefore, workspaceID: grant.workspaceID, on: request.db)
        if let wasDeployed {
            await request.application.smf.events.record(
                .flowUndeployed, .success, on: request, userID: grant.caller.userID, apiKeyID: grant.caller.apiKeyID,
                workspaceID: grant.workspaceID,
                details: ["flow_id": current.id?.uuidString ?? "", "version": String(wasDeployed), "reason": "deleted"])
        }
        return .noContent
    }

    @Sendable static func restore(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let expected = try FlowETag.expectedRevision(request)
        try requireEmptyBody(request)
        let current = try await load(request, grant: grant)
        guard current.deletedAt != nil else { throw notDeleted }
        guard current.revision == expected else { throw SMFError.preconditionFailed }
        let now = request.application.smf.clock.now()
        let flow = try await mutate(current, expected: expected, request: request) { flow, db in
            guard flow.deletedAt != nil else { throw notDeleted }
            flow.deletedAt = nil
            flow.status = FlowStatus.draft.rawValue
            flow.updatedAt = now
            try await flow.save(on: db)
        }
        let version = try await loadVersion(flow, number: flow.latestVersion, on: request.db)
        return try await respond(try Self.body(for: flow, document: try FlowDocumentCodec.decode(version.document)),
                                 flow: flow, request: request)
    }
}

// MARK: - Shared helpers

extension FlowController {
    static let flowDeleted = SMFError(
        .conflict, code: "flow-deleted", title: "Conflict", detail: "The flow is deleted; restore it first.")
    static let notDeleted = SMFError(
        .conflict, code: "flow-not-deleted", title: "Conflict", detail: "Only a deleted flow can be restored.")

    /// The flow named by `:flowID` in the caller's workspace, deleted ones
    /// included while they are restorable; anything else is 404.
    static func load(_ request: Request, grant: WorkspaceGrant) async throws -> Flow {
        guard let id = request.parameters.get("flowID", as: UUID.self),
              let flow = try await Flow.query(on: request.db).filter(\.$id == id)
                .filter(\.$workspaceID == grant.workspaceID).first(),
              !FlowRetention.isGone(flow, now: request.application.smf.clock.now())
        else { throw SMFError.resourceNotFound }
        return flow
    }

    static func loadVersion(_ flow: Flow, number: Int, on database: any Database) async throws -> FlowVersion {
        guard let version = try await FlowVersion.query(on: database).filter(\.$flowID == flow.requireID())
            .filter(\.$number == number).first()
        else { throw SMFError.resourceNotFound }
        return version
    }

    static func requireLive(_ flow: Flow) throws {
        if flow.deletedAt != nil { throw flowDeleted }
    }

    /// Bodies are optional on restore/undeploy; when one is sent it must be `{}`.
    static func requireEmptyBody(_ request: Request) throws {
        guard let buffer = request.body.data, buffer.readableBytes > 0 else { return }
        let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        guard object?.isEmpty == true else {
            throw SMFError.validation([.init(pointer: "", detail: "Send no body, or an empty JSON object.")])
        }
    }

    /// Applies `change` to the flow only if nobody wrote it since revision
    /// `expected`: one conditional `UPDATE … WHERE revision = expected`
    /// claims the row (and on PostgreSQL locks it until commit), then the
    /// change runs in the same transaction. A concurrent writer's claim
    /// finds the revision moved and gets 412.
    static func mutate(
        _ flow: Flow, expected: Int, request: Request,
        _ change: @escaping @Sendable (Flow, any Database) async throws -> Void
    ) async throws -> Flow {
        let flowID = try flow.requireID()
        let workspaceID = flow.workspaceID
        return try await request.db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw SMFError.internalError }
            let claimed = try await sql.raw("""
                UPDATE flows SET revision = revision + 1
                WHERE id = \(bind: flowID) AND workspace_id = \(bind: workspaceID) AND revision = \(bind: expected)
                RETURNING revision
                """).first()
            guard claimed != nil, let fresh = try await Flow.find(flowID, on: db) else {
                throw SMFError.preconditionFailed
            }
            try await change(fresh, db)
            return fresh
        }
    }

    static func insert(
        name: String, description: String?, comment: String?, encoded: FlowDocumentCodec.Encoded,
        grant: WorkspaceGrant, request: Request
    ) async throws -> Flow {
        let context = request.application.smf
        let now = context.clock.now()
        let flow = Flow()
        flow.id = UUID()
        flow.workspaceID = grant.workspaceID
        flow.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        flow.nameSearch = flow.name.lowercased()
        flow.flowDescription = description
        flow.status = FlowStatus.draft.rawValue
        flow.latestVersion = 1
        flow.deployedVersion = nil
        flow.revision = 1
        flow.createdMilliseconds = context.clock.milliseconds()
        flow.createdAt = now
        flow.updatedAt = now
        let version = try makeVersion(of: flow, comment: comment, encoded: encoded, grant: grant, now: now)
        try await request.db.transaction { db in
            try await flow.create(on: db)
            try await version.create(on: db)
        }
        return flow
    }

    static func makeVersion(
        of flow: Flow, comment: String?, encoded: FlowDocumentCodec.Encoded, grant: WorkspaceGrant, now: Date
    ) throws -> FlowVersion {
        let version = FlowVersion()
        version.flowID = try flow.requireID()
        version.number = flow.latestVersion
        version.document = encoded.text
        version.documentSHA256 = encoded.sha256
        version.comment = comment.flatMap { $0.isEmpty ? nil : $0 }
        version.authorUserID = grant.caller.userID
        version.authorAPIKeyID = grant.caller.apiKeyID
        version.createdAt = now
        return version
    }

    static func respond(_ body: FlowBody, flow: Flow, request: Request, status: HTTPStatus = .ok) async throws -> Response {
        let response = try await body.encodeResponse(status: status, for: request)
        response.headers.replaceOrAdd(name: .eTag, value: FlowETag.make(revision: flow.revision))
        return response
    }

    static func created(_ body: FlowBody, flow: Flow, request: Request) async throws -> Response {
        let response = try await respond(body, flow: flow, request: request, status: .created)
        let workspace = flow.workspaceID.uuidString.lowercased()
        let id = try flow.requireID().uuidString.lowercased()
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/workspaces/\(workspace)/flows/\(id)")
        return response
    }
}

extension Caller {
    /// The API key making the call, if any (flow versions record their author).
    var apiKeyID: UUID? {
        if case .apiKey(let id, _, _) = credential { return id }
        return nil
    }
}
