import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Decides whether this process can serve traffic: the database answers
/// within the time limit and every migration has been applied.
struct ReadinessProbe: Sendable {
    enum Outcome: Sendable, Equatable {
        case ready
        case databaseUnreachable
        case migrationsPending
    }

    let timeout: Duration
    let expectedMigrations: Set<String>

    func check(_ database: any Database) async -> Outcome {
        guard let sql = database as? any SQLDatabase else { return .databaseUnreachable }
        do {
            try await withTimeout(timeout) {
                try await sql.raw("SELECT 1").run()
            }
        } catch {
            return .databaseUnreachable
        }
        // Fluent creates its bookkeeping table only when it has a migration
        // to record; with none registered there is nothing to be pending.
        if expectedMigrations.isEmpty { return .ready }
        do {
            let rows = try await withTimeout(timeout) {
                try await sql.raw("SELECT name FROM _fluent_migrations").all()
            }
            let applied = Set(rows.compactMap { try? $0.decode(column: "name", as: String.self) })
            return expectedMigrations.isSubset(of: applied) ? .ready : .migrationsPending
        } catch {
            // The database answered SELECT 1, so a failure here means the
            // bookkeeping table is missing: `smflow migrate` has not run.
            return .migrationsPending
        }
    }
}

struct TimeoutError: Error {}

/// Runs `operation`, giving up after `timeout`.
///
/// Not a task group: a group waits for all its children, and a database call
/// stuck on a dead connection does not stop when cancelled, so the caller
/// would wait for it anyway. Here the caller is released at the deadline and
/// the operation finishes (or fails) on its own.
func withTimeout<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let resumed = NIOLockedValueBox(false)
        @Sendable func finish(_ result: Result<T, any Error>) {
            let first = resumed.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { continuation.resume(with: result) }
        }
        let work = Task {
            do { finish(.success(try await operation())) } catch { finish(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            work.cancel()
            finish(.failure(TimeoutError()))
        }
    }
}
