import Fluent
import Foundation
import SMFCore
import Vapor

extension FlowController {
    /// Largest manual message: a test payload, not a file upload.
    static let testMessageLimit = 16 * 1024

    /// `POST /flows/:flowID/test {"message": {…}, "version": n?}`: runs a
    /// version (default: the newest, deployed or not) with a hand-made
    /// trigger message. The run is queued like a webhook's: 202 with the
    /// execution, whose progress `GET /executions/:id/events` streams.
    /// The version must pass deploy validation (credentials set and present):
    /// a test performs the flow's real actions.
    @Sendable static func test(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        var body = try JSONObjectBody(request, fields: ["message", "version"])
        let message = body.value("message")
        let version = body.optionalInteger("version")
        var problems: [SMFError.FieldError] = []
        if let message {
            if case .object(let members) = message {
                if let bytes = try? FlowDocumentCodec.encode(message).byteCount, bytes > testMessageLimit {
                    problems.append(.init(pointer: "/message", detail: "Use at most \(testMessageLimit) bytes."))
                }
                if let text = members["text"], text.stringValue == nil {
                    problems.append(.init(pointer: "/message/text", detail: "Use a string."))
                }
            } else {
                problems.append(.init(pointer: "/message", detail: "Use a JSON object, e.g. {\"text\": \"hello\"}."))
            }
        }
        if let version, !(1...1_000_000_000).contains(version) {
            problems.append(.init(pointer: "/version", detail: "Use a version number from 1."))
        }
        try body.finish(problems)
        guard case .object(var members)? = message else { throw SMFError.internalError }

        let flow = try await load(request, grant: grant)
        try requireLive(flow)
        let number = version ?? flow.latestVersion
        guard number <= flow.latestVersion else {
            throw SMFError.validation([.init(pointer: "/version", detail: "This flow has no such version.")])
        }
        let stored = try await loadVersion(flow, number: number, on: request.db)
        let document = try FlowDocumentCodec.decode(stored.document)
        _ = try await FlowChecker(workspaceID: grant.workspaceID, database: request.db).requireValid(document, purpose: .deploy)

        if members["platform"] == nil { members["platform"] = "manual" }
        if members["text"] == nil { members["text"] = "" }
        let context = request.application.smf
        let now = context.clock.now()
        let flowID = try flow.requireID()
        let encodedMessage = try FlowDocumentCodec.encode(JSONValue.object(members)).text
        let executionID = try await request.db.transaction { db in
            let event = WebhookEvent()
            event.id = UUID()
            event.workspaceID = grant.workspaceID
            event.source = "manual"
            event.message = encodedMessage
            event.receivedMilliseconds = now.milliseconds
            try await event.create(on: db)
            return try await WebhookIngest.enqueueExecution(
                workspaceID: grant.workspaceID, flowID: flowID, flowVersion: number, triggerType: "manual",
                eventID: event.id, now: now, maxAttempts: context.config.jobMaxAttempts,
                queue: request.application.execution.queue, on: db)
        }
        guard let execution = try await Execution.find(executionID, on: request.db) else { throw SMFError.internalError }
        let response = try await ExecutionBody(execution).encodeResponse(status: .accepted, for: request)
        response.headers.replaceOrAdd(
            name: .location, value: "/api/v1/workspaces/\(grant.workspaceID.uuidString)/executions/\(executionID.uuidString)")
        return response
    }
}

extension JSONObjectBody {
    /// Absent and null are both "not given".
    mutating func optionalInteger(_ key: String) -> Int? {
        guard let value = optionalValue(key) else { return nil }
        guard case .integer(let number) = value, let result = Int(exactly: number) else {
            record(.init(pointer: "/\(key)", detail: "Use a whole number or null."))
            return nil
        }
        return result
    }
}
