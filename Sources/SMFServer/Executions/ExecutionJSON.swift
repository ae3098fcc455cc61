import Foundation
import SMFCore
import Vapor

/// What the API shows of an execution. Steps are stored already redacted
/// and truncated (the engine's `Redactor`, 4 KiB summaries), so they are
/// passed through as stored.
struct ExecutionBody: Content {
    let id: UUID
    let flow_id: UUID
    let flow_version: Int
    let event_id: UUID?
    let trigger_type: String
    let status: String
    let attempts: Int
    let created_at: Date
    let started_at: Date?
    let finished_at: Date?
    let duration_ms: Int64?
    let steps: JSONValue
    let error: String?
    let response: JSONValue?
    /// Bumps on every change; live progress sends it as the SSE event id.
    let revision: Int

    init(_ execution: Execution) throws {
        id = try execution.requireID()
        flow_id = execution.flowID
        flow_version = execution.flowVersion
        event_id = execution.eventID
        trigger_type = execution.triggerType
        status = execution.status
        attempts = execution.attempts
        created_at = Date(milliseconds: execution.createdMilliseconds)
        started_at = execution.startedMilliseconds.map(Date.init(milliseconds:))
        finished_at = execution.finishedMilliseconds.map(Date.init(milliseconds:))
        if let started = execution.startedMilliseconds, let finished = execution.finishedMilliseconds {
            duration_ms = finished - started
        } else {
            duration_ms = nil
        }
        steps = (try? JSONValue(parsing: execution.steps)) ?? .array([])
        error = execution.error
        response = execution.response.flatMap { try? JSONValue(parsing: $0) }
        revision = execution.revision
    }

    // Nullable fields are sent as null, not left out, like the rest of the API.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(flow_id, forKey: .flow_id)
        try container.encode(flow_version, forKey: .flow_version)
        try container.encode(event_id, forKey: .event_id)
        try container.encode(trigger_type, forKey: .trigger_type)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(started_at, forKey: .started_at)
        try container.encode(finished_at, forKey: .finished_at)
        try container.encode(duration_ms, forKey: .duration_ms)
        try container.encode(steps, forKey: .steps)
        try container.encode(error, forKey: .error)
        try container.encode(response, forKey: .response)
        try container.encode(revision, forKey: .revision)
    }
}

/// A list page: the executions and the cursor of the next page, absent on the last.
struct ExecutionPage: Content {
    let items: [ExecutionBody]
    let next_cursor: String?

    // null on the last page rather than absent, like every list of this API.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next_cursor, forKey: .next_cursor)
    }
}

extension Date {
    init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}
