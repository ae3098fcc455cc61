import Fluent
import Foundation
import SMFCore
import SMFSecurity
import SQLKit

/// The `flow.execute` job handler: loads a queued execution, its trigger
/// message, the flow version it was accepted for and the credentials that
/// version references; runs it with the engine; records every step as it
/// happens (live progress and crash checkpoints); and decides what the
/// queue does next:
/// - succeeded, or failed for a reason retrying cannot fix (a 4xx from a
///   platform, a missing credential): the execution is final, the job done;
/// - failed for a passing reason (timeout, 5xx, 429) with attempts left:
///   back to `queued`, the job retried after its backoff (or `retry_after`);
/// - the same on the last attempt: `dead`, replayable from the API.
struct ExecutionRunner: Sendable {
    let services: ExecutionServices
    let clock: AppClock

    func handle(_ job: ClaimedJob, _ context: JobContext) async throws {
        guard let executionID = ExecutionJob.executionID(from: job.payload) else {
            throw JobFailure.permanent("flow.execute payload without an execution id")
        }
        let db = context.database
        guard let execution = try await Execution.find(executionID, on: db) else {
            // Deleted with its workspace or flow: nothing left to run.
            return
        }
        if let status = ExecutionStatus(rawValue: execution.status), status == .succeeded || status == .failed {
            return  // Finished by an earlier lease whose completion was lost.
        }
        let message: JSONValue
        if let eventID = execution.eventID, let event = try await WebhookEvent.find(eventID, on: db) {
            message = (try? JSONValue(parsing: event.message)) ?? .object([:])
        } else {
            message = .object(["platform": "manual", "text": ""])
        }
        guard let version = try await FlowVersion.query(on: db).filter(\.$flowID == execution.flowID)
            .filter(\.$number == execution.flowVersion).first()
        else {
            try await finish(execution, status: .failed, error: "the flow version no longer exists", on: db)
            return
        }
        let document: FlowDocument
        let plan: ExecutionPlan
        do {
            document = try JSONDecoder().decode(FlowDocument.self, from: Data(version.document.utf8))
            plan = try ExecutionPlan(document: document)
        } catch {
            try await finish(execution, status: .failed, error: "the flow version cannot run", on: db)
            return
        }
        let credentials = await openCredentials(
            FlowValidator.credentialReferences(in: (try? FlowDocumentCodec.decode(version.document)) ?? .null),
            workspaceID: execution.workspaceID, on: db)
        var secrets: [String] = []
        for material in credentials.values {
            for name in material.secrets.fieldNames { if let value = material.secrets.reveal(name) { secrets.append(value) } }
        }

        var checkpoints = ExecutionCheckpoints.decode(execution.checkpoints)
        let resumedEffects = checkpoints.effectsStarted.subtracting(checkpoints.completed.keys)
        if !resumedEffects.isEmpty {
            context.logger.warning("repeating actions cut off by an interrupted attempt", metadata: [
                "execution_id": "\(executionID)", "nodes": "\(resumedEffects.sorted().joined(separator: ","))",
            ])
        }
        execution.status = ExecutionStatus.running.rawValue
        execution.attempts = context.attempt
        if execution.startedMilliseconds == nil { execution.startedMilliseconds = clock.milliseconds() }
        execution.revision += 1
        try await execution.save(on: db)

        let recorder = StepRecorder(executionID: executionID, database: db, checkpoints: checkpoints, context: context)
        let engine = FlowEngine(redactor: Redactor(secrets: secrets))
        let outcome = await engine.run(
            plan: plan, trigger: message,
            execution: ExecutionContext(executionID: executionID.uuidString, attempt: context.attempt),
            runner: ServerNodeRunner(services: services, credentials: credentials),
            observer: ExecutionObserver { event in try await recorder.record(event) },
            completed: checkpoints.completed)
        checkpoints = await recorder.checkpoints

        var steps = outcome.steps
        for index in steps.indices where resumedEffects.contains(steps[index].nodeID) {
            let note = "repeated after an interrupted attempt; the platform may have received it twice"
            steps[index].error = steps[index].error.map { "\($0); \(note)" } ?? note
        }
        let stepsText = try Self.encode(steps)
        let checkpointsText = try checkpoints.encoded()
        let responseText = try outcome.webhookResponse.map { try Self.encode($0) }
        // The side effects are done: the result is retried through a short
        // database outage while the lease holds (a lost result would run
        // the job, and its effects, again). Read and write are retried
        // together, so each try starts from the stored row.
        try await context.recording("execution result") {
            let fresh = try await Execution.find(executionID, on: db) ?? execution
            fresh.steps = stepsText
            fresh.checkpoints = checkpointsText
            if let responseText { fresh.response = responseText }
            switch outcome.status {
            case .succeeded:
                try await finish(fresh, status: .succeeded, error: nil, on: db)
            case .failed where outcome.isRetryable && !context.isLastAttempt:
                fresh.status = ExecutionStatus.queued.rawValue
                fresh.error = outcome.error
                fresh.revision += 1
                try await fresh.save(on: db)
            case .failed where outcome.isRetryable:
                try await finish(fresh, status: .dead, error: outcome.error, on: db)
            case .failed:
                try await finish(fresh, status: .failed, error: outcome.error, on: db)
            }
        }
        switch outcome.status {
        case .failed where outcome.isRetryable && !context.isLastAttempt:
            throw JobFailure.retry(outcome.error ?? "a step failed", after: outcome.retryAfter)
        case .failed where outcome.isRetryable:
            throw JobFailure.permanent(outcome.error ?? "a step failed on the last attempt")
        case .succeeded, .failed:
            return
        }
    }

    private func finish(_ execution: Execution, status: ExecutionStatus, error: String?, on db: any Database) async throws {
        execution.status = status.rawValue
        execution.error = error.map { String($0.prefix(1024)) }
        execution.finishedMilliseconds = clock.milliseconds()
        execution.revision += 1
        try await execution.save(on: db)
    }

    /// Opens every credential the document references. One that is gone or
    /// does not open is left out: the node that needs it fails with a clear
    /// step error instead of the whole job failing opaquely.
    private func openCredentials(_ references: Set<String>, workspaceID: UUID, on db: any Database) async -> [UUID: CredentialMaterial] {
        guard let vault = services.vault else { return [:] }
        var opened: [UUID: CredentialMaterial] = [:]
        for reference in references {
            guard let id = UUID(uuidString: reference), opened[id] == nil else { continue }
            if let material = try? await vault.material(credentialID: id, workspaceID: workspaceID, on: db) {
                opened[id] = material
            }
        }
        return opened
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Writes progress as the engine reports it: the step list (live view) and
/// the checkpoints (crash recovery). An action's "started" is written and
/// committed before the engine calls the platform.
///
/// Every write is retried through a short database outage while the job's
/// lease holds (`JobContext.recording`): above all the checkpoint after an
/// action, whose loss would make the retried job repeat the action.
actor StepRecorder {
    let executionID: UUID
    let database: any Database
    let context: JobContext
    private(set) var checkpoints: ExecutionCheckpoints
    private var steps: [String: StepRecord] = [:]
    private var order: [String] = []

    init(executionID: UUID, database: any Database, checkpoints: ExecutionCheckpoints, context: JobContext) {
        self.executionID = executionID
        self.database = database
        self.checkpoints = checkpoints
        self.context = context
    }

    func record(_ event: StepEvent) async throws {
        switch event {
        case .started(let nodeID, let type, let category, let at):
            note(StepRecord(nodeID: nodeID, type: type, status: .running, startedAt: at))
            guard category == .action else { return }
            checkpoints.effectsStarted.insert(nodeID)
            try await save()
        case .finished(let record, let checkpoint):
            note(record)
            if let checkpoint { checkpoints.completed[record.nodeID] = checkpoint }
            // Skipped steps are cheap to recompute: no write for them alone.
            guard record.status != .skipped else { return }
            try await save()
        }
    }

    private func note(_ record: StepRecord) {
        if steps[record.nodeID] == nil { order.append(record.nodeID) }
        steps[record.nodeID] = record
    }

    private func save() async throws {
        guard let sql = database as? any SQLDatabase else { return }
        let list = order.compactMap { steps[$0] }
        let stepsText = try ExecutionRunner.encode(list)
        let checkpointsText = try checkpoints.encoded()
        let executionID = executionID
        try await context.recording("execution checkpoint") {
            try await sql.update(Execution.schema)
                .set("steps", to: SQLBind(stepsText))
                .set("checkpoints", to: SQLBind(checkpointsText))
                .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
                .where("id", .equal, SQLBind(executionID))
                .run()
        }
    }
}
