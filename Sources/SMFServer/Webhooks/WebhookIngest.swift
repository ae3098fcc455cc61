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
    /// `AppConfig.webhookIngestSingleStatement`.
    var singleStatement = true

    func accept(_ events: [InboundEvent], endpoint: WebhookEndpointRecord) async throws -> Outcome {
        // Read with the endpoint itself (`WebhookEndpointRecord.find`).
        let triggers = endpoint.triggers
        if singleStatement, events.count == 1, let event = events.first, let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" {
            return try await acceptInOneStatement(event, triggers: triggers, endpoint: endpoint, on: sql)
        }
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

    /// The common delivery (one event: every Telegram update, most Meta
    /// calls) on PostgreSQL as ONE statement: the event insert, and per
    /// wanted trigger a job and an execution, as data-modifying CTEs that
    /// select from the event insert's `RETURNING` — so a duplicate inserts
    /// nothing at all, and the statement is atomic without BEGIN/COMMIT.
    /// Same rows as the transaction below; 1 round trip instead of
    /// 2 + 2 per trigger + BEGIN/COMMIT, which dominated the ingest cost
    /// (benchmarks/RESULTS.md "Webhooks and executions": ~300 µs of server
    /// CPU per round trip). SQLite has no data-modifying CTEs and keeps the
    /// transaction.
    private func acceptInOneStatement(
        _ event: InboundEvent, triggers: [DeployedTrigger], endpoint: WebhookEndpointRecord, on sql: any SQLDatabase
    ) async throws -> Outcome {
        let wanted = triggers.filter { TriggerFilter.accepts(event, triggerType: $0.triggerType, settings: $0.settings) }
        let message = try FlowDocumentCodec.encode(event.message).text
        let created = now.milliseconds
        var query: SQLQueryString = """
            WITH e AS (
            INSERT INTO webhook_events (id, endpoint_id, workspace_id, dedupe_key, source, message, received_ms)
            VALUES (\(bind: UUID()), \(bind: endpoint.id), \(bind: endpoint.workspaceID), \(bind: event.dedupeKey), \
            \(bind: event.triggerType), \(bind: message), \(bind: created))
            ON CONFLICT (endpoint_id, dedupe_key) DO NOTHING RETURNING id)
            """
        var executions: [UUID] = []
        for (index, trigger) in wanted.enumerated() {
            let executionID = UUID()
            let jobID = UUID()
            let payload = ExecutionJob.payload(executionID: executionID)
            try JobQueue.validate(kind: ExecutionJob.kind, payload: payload, maxAttempts: maxAttempts)
            query += """
                , j\(unsafeRaw: String(index)) AS (
                INSERT INTO jobs (id, workspace_id, kind, payload, state, attempts, max_attempts, run_after_ms, created_ms, updated_ms)
                SELECT \(bind: jobID), \(bind: endpoint.workspaceID), \(bind: ExecutionJob.kind), \(bind: payload), \
                \(bind: JobState.queued.rawValue), \(bind: 0), \(bind: maxAttempts), \(bind: created), \(bind: created), \(bind: created) FROM e)
                , x\(unsafeRaw: String(index)) AS (
                INSERT INTO executions (id, workspace_id, flow_id, flow_version, event_id, trigger_type, job_id, status, attempts, \
                created_ms, steps, checkpoints, revision)
                SELECT \(bind: executionID), \(bind: endpoint.workspaceID), \(bind: trigger.flowID), \(bind: trigger.flowVersion), e.id, \
                \(bind: trigger.triggerType), \(bind: jobID), \(bind: ExecutionStatus.queued.rawValue), \(bind: 0), \(bind: created), \
                \(bind: "[]"), \(bind: "{}"), \(bind: 1) FROM e)
                """
            executions.append(executionID)
        }
        query += " SELECT COUNT(*) AS inserted FROM e"
        let inserted = try await sql.raw(query).first()?.decode(column: "inserted", as: Int.self) ?? 0
        var outcome = Outcome()
        guard inserted == 1 else {
            outcome.duplicates = 1
            return outcome
        }
        outcome.accepted = 1
        if wanted.isEmpty { outcome.unrouted = 1 }
        outcome.executions = executions
        return outcome
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
