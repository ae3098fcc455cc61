import Fluent
import Foundation

/// Where an execution is in its life.
enum ExecutionStatus: String, Sendable, Codable, CaseIterable {
    /// Accepted; its job waits for a worker.
    case queued
    case running
    case succeeded
    case failed
    /// Its job ran out of attempts (see the dead letters).
    case dead

    var isFinal: Bool { self == .succeeded || self == .failed || self == .dead }
}

/// One run of one flow version. Fluent models are `@unchecked Sendable` by
/// Fluent's design and not thread-safe (DESIGN pitfall 7): one instance
/// belongs to one task.
final class Execution: Model, @unchecked Sendable {
    static let schema = "executions"

    @ID(key: .id) var id: UUID?
    @Field(key: "workspace_id") var workspaceID: UUID
    @Field(key: "flow_id") var flowID: UUID
    @Field(key: "flow_version") var flowVersion: Int
    @OptionalField(key: "event_id") var eventID: UUID?
    @Field(key: "trigger_type") var triggerType: String
    @OptionalField(key: "job_id") var jobID: UUID?
    @Field(key: "status") var status: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "created_ms") var createdMilliseconds: Int64
    @OptionalField(key: "started_ms") var startedMilliseconds: Int64?
    @OptionalField(key: "finished_ms") var finishedMilliseconds: Int64?
    @Field(key: "steps") var steps: String
    @Field(key: "checkpoints") var checkpoints: String
    @OptionalField(key: "error") var error: String?
    @OptionalField(key: "response") var response: String?
    @Field(key: "revision") var revision: Int

    init() {}
}
