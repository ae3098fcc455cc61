import Fluent
import Foundation
import SMFCore
import Vapor

extension FlowController {
    /// `POST /flows/:flowID/deploy {version}`: makes that version the live
    /// one. Rollback is deploying an older number. The version is validated
    /// again for deployment: credentials must now be set and still exist.
    @Sendable static func deploy(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let expected = try FlowETag.expectedRevision(request)
        let body = try request.decodeStrict(DeployBody.self)
        let current = try await load(request, grant: grant)
        try requireLive(current)
        guard current.revision == expected else { throw SMFError.preconditionFailed }
        guard body.version <= current.latestVersion else {
            throw SMFError.validation([.init(pointer: "/version", detail: "This flow has no such version.")])
        }
        let version = try await loadVersion(current, number: body.version, on: request.db)
        let document = try FlowDocumentCodec.decode(version.document)
        let checked = try await FlowChecker(workspaceID: grant.workspaceID, database: request.db)
            .requireValid(document, purpose: .deploy)
        let now = request.application.smf.clock.now()
        // The trigger's webhook endpoint exists (and Telegram knows it)
        // before the deploy commits; a failure here leaves the flow as it was.
        var trigger = try TriggerRegistration(
            services: request.application.execution, workspaceID: grant.workspaceID, flowID: try current.requireID(),
            version: body.version, document: try JSONDecoder().decode(FlowDocument.self, from: Data(version.document.utf8)),
            logger: request.logger)
        try await trigger.prepare(on: request.db, now: now)
        let prepared = trigger
        let telegramBefore = try await TelegramWebhookRelease.endpoints(ofFlow: try current.requireID(), on: request.db)
        let flow = try await mutate(current, expected: expected, request: request) { flow, db in
            try requireLive(flow)
            flow.deployedVersion = body.version
            flow.status = FlowStatus.deployed.rawValue
            flow.updatedAt = now
            try await flow.save(on: db)
            try await prepared.commit(on: db)
        }
        // A trigger moved to another bot leaves the old bot's endpoint unused.
        var leftBehind = telegramBefore
        if let kept = prepared.endpoint?.id { leftBehind.remove(kept) }
        await TelegramWebhookRelease(services: request.application.execution, logger: request.logger)
            .release(leftBehind, workspaceID: grant.workspaceID, on: request.db)
        await request.application.smf.events.record(
            .flowDeployed, .success, on: request, userID: grant.caller.userID, apiKeyID: grant.caller.apiKeyID,
            workspaceID: grant.workspaceID,
            details: ["flow_id": try flow.requireID().uuidString, "version": String(body.version),
                      "previous_version": current.deployedVersion.map(String.init) ?? "none"])
        let latest = flow.latestVersion == body.version
            ? document : try FlowDocumentCodec.decode(try await loadVersion(flow, number: flow.latestVersion, on: request.db).document)
        var answer = try Self.body(for: flow, document: latest)
        answer.warnings = checked.validation.warnings.map(FlowChecker.apiProblem)
        answer.webhook = trigger.info
        return try await respond(answer, flow: flow, request: request)
    }

    /// `POST /flows/:flowID/undeploy`: no version is live any more.
    @Sendable static func undeploy(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let expected = try FlowETag.expectedRevision(request)
        try requireEmptyBody(request)
        let current = try await load(request, grant: grant)
        try requireLive(current)
        guard current.revision == expected else { throw SMFError.preconditionFailed }
        let now = request.application.smf.clock.now()
        let telegramBefore = try await TelegramWebhookRelease.endpoints(ofFlow: try current.requireID(), on: request.db)
        let flow = try await mutate(current, expected: expected, request: request) { flow, db in
            try requireLive(flow)
            flow.deployedVersion = nil
            flow.status = FlowStatus.draft.rawValue
            flow.updatedAt = now
            try await flow.save(on: db)
            try await TriggerRegistration.remove(flowID: try flow.requireID(), on: db)
        }
        await TelegramWebhookRelease(services: request.application.execution, logger: request.logger)
            .release(telegramBefore, workspaceID: grant.workspaceID, on: request.db)
        if let previous = current.deployedVersion {
            await request.application.smf.events.record(
                .flowUndeployed, .success, on: request, userID: grant.caller.userID, apiKeyID: grant.caller.apiKeyID,
                workspaceID: grant.workspaceID,
                details: ["flow_id": try flow.requireID().uuidString, "version": String(previous)])
        }
        let version = try await loadVersion(flow, number: flow.latestVersion, on: request.db)
        return try await respond(try Self.body(for: flow, document: try FlowDocumentCodec.decode(version.document)),
                                 flow: flow, request: request)
    }
}
