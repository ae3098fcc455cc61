import Fluent
import Foundation
import SMFCore
import SQLKit

/// Accepting a delivery: one transaction that stores each new event, and
/// for every deployed flow whose trigger wants it, a queued execution and
/// the job that will run it. When it commits, the platform gets its 200;
/// the flows run afterwards on a worker. A platform's retry of an event
/// already stored inserts nothing (unique endpoint + dedupe key).
struct WebhookIngest {
    struct Outcome: Sendable, Equatable {
        var accepted = 0
        var duplicates = 0
        /// Events no deployed trigger wanted (acknowledged, nothing runs).
        var unrouted = 0
        var executions: [UUID] = []
    }

    let database: any Database
    let queue: JobQueue
    let now: Date
    let maxAttempts: Int

    func accept(_ events: [InboundEvent], endpoint: WebhookEndpointRecord) async throws -> Outcome {
        let triggers = try await DeployedTrigger.forEndpoint(endpoint.id, on: database)
        return try await database.transaction { db in
            var outcome = Outcome()
            for event in events {
                let wanted = triggers.filter {
                    TriggerFilter.accepts(event, triggerType: $0.triggerType, settings: $0.settings)
                }
                guard let eventID = try await insertEvent(event, endpoint: endpoint, on: db) else {
                    outcome.duplicates += 1
                    continue
                }
                if wanted.isEmpty { outcome.unrouted += 1 }
                outcome.accepted += 1
                for trigger in wanted {
                    outcome.executions.append(try await Self.enqueueExecution(
                        workspaceID: endpoint.workspaceID, flowID: trigger.flowID, flowVersion: trigger.flowVersion,
                        triggerType: trigger.triggerType, eventID: eventID, now: now, maxAttempts: maxAttempts,
                        queue: queue, on: db))
                }
            }
            return outcome
        }
    }

    /// Inserts the event unless (endpoint, dedupe key) exists; nil for a duplicate.
    private func insertEvent(_ event: InboundEvent, endpoint: WebhookEndpointRecord, on db: any Database) async throws -> UUID? {
        guard let sql = db as? any SQLDatabase else { throw SMFError.internalError }
        let id = UUID()
        let message = try FlowDocumentCodec.encode(event.message).text
        let inserted = try await sql.insert(into: WebhookEvent.schema)
            .columns("id", "endpoint_id", "workspace_id", "dedupe_key", "source", "message", "received_ms")
            .values(SQLBind(id), SQLBind(endpoint.id), SQLBind(endpoint.workspaceID), SQLBind(event.dedupeKey),
                    SQLBind(event.triggerType), SQLBind(message), SQLBind(now.milliseconds))
            .ignoringConflicts(with: ["endpoint_id", "dedupe_key"])
            .returning("id")
            .all()
        return inserted.isEmpty ? nil : id
    }

    /// A queued execution and its `flow.execute` job, in the caller's transaction.
    static func enqueueExecution(
        workspaceID: UUID, flowID: UUID, flowVersion: Int, triggerType: String, eventID: UUID?, now: Date,
        maxAttempts: Int, queue: JobQueue, on db: any Database
    ) async throws -> UUID {
        guard let sql = db as? any SQLDatabase else { throw SMFError.internalError }
        let executionID = UUID()
        let jobID = try await queue.enqueue(
            kind: ExecutionJob.kind, payload: ExecutionJob.payload(executionID: executionID), workspaceID: workspaceID,
            runAfter: now, maxAttempts: maxAttempts, on: db)
        try await sql.insert(into: Execution.schema)
            .columns("id", "workspace_id", "flow_id", "flow_version", "event_id", "trigger_type", "job_id", "status",
                     "attempts", "created_ms", "steps", "checkpoints", "revision")
            .values(SQLBind(executionID), SQLBind(workspaceID), SQLBind(flowID), SQLBind(flowVersion), SQLBind(eventID),
                    SQLBind(triggerType), SQLBind(jobID), SQLBind(ExecutionStatus.queued.rawValue), SQLBind(0),
                    SQLBind(now.milliseconds), SQLBind("[]"), SQLBind("{}"), SQLBind(1))
            .run()
        return executionID
    }
}
