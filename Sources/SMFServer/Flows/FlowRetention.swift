import NIOCore
import Fluent
import Foundation
import Vapor

/// Deleted flows stay restorable for 30 days, then they are removed with
/// their versions (the foreign key cascades). Reads treat a flow past the
/// window as gone even before the purge has run.
enum FlowRetention {
    static let restorableFor: TimeInterval = 30 * 24 * 3600

    static func cutoff(now: Date) -> Date { now.addingTimeInterval(-restorableFor) }

    static func isGone(_ flow: Flow, now: Date) -> Bool {
        flow.deletedAt.map { $0 <= cutoff(now: now) } ?? false
    }

    /// Removes flows deleted more than 30 days before `now`; returns how many.
    @discardableResult
    static func purge(on database: any Database, now: Date) async throws -> Int {
        let expired = try await Flow.query(on: database).filter(\.$deletedAt <= cutoff(now: now)).all(\.$id)
        guard !expired.isEmpty else { return 0 }
        // Versions first: SQLite enforces the cascade only with foreign keys on.
        try await FlowVersion.query(on: database).filter(\.$flowID ~~ expired).delete()
        try await Flow.query(on: database).filter(\.$id ~~ expired).delete()
        return expired.count
    }
}

/// Runs the purge an hour after start and hourly after that, while serving.
struct FlowRetentionLifecycle: LifecycleHandler {
    func didBootAsync(_ application: Application) async throws {
        let app = application
        let task = application.eventLoopGroup.next().scheduleRepeatedAsyncTask(
            initialDelay: .minutes(1), delay: .hours(1)
        ) { _ in
            app.eventLoopGroup.next().makeFutureWithTask {
                do {
                    let removed = try await FlowRetention.purge(on: app.db, now: app.smf.clock.now())
                    if removed > 0 {
                        app.logger.info("purged deleted flows", metadata: ["count": .stringConvertible(removed)])
                    }
                } catch {
                    app.logger.warning("flow purge failed", metadata: ["error_type": .string(String(reflecting: type(of: error)))])
                }
            }
        }
        application.storage[TaskKey.self] = task
    }

    func shutdown(_ application: Application) {
        application.storage[TaskKey.self]?.cancel()
    }

    private struct TaskKey: StorageKey { typealias Value = RepeatedTask }
}
