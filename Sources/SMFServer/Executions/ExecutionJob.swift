import Foundation

/// The `flow.execute` job: runs one queued execution. Its payload holds the
/// execution id only — never message contents or secrets (jobs are listed
/// as dead letters and logged by id).
enum ExecutionJob {
    static let kind = "flow.execute"

    static func payload(executionID: UUID) -> String {
        #"{"execution_id":"\#(executionID.uuidString)"}"#
    }

    static func executionID(from payload: String) -> UUID? {
        struct Payload: Decodable { let execution_id: UUID }
        return try? JSONDecoder().decode(Payload.self, from: Data(payload.utf8)).execution_id
    }
}
