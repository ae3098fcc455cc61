import Foundation
import Logging
import SMFSecurity
import SQLKit
import Synchronization
import Testing
import Vapor
@testable import SMFServer

/// Events written after the response are waited for at shutdown, and none
/// is started once shutdown began (it would meet a closed database).
@Suite struct BackgroundWritesTests {
    @Test func drain_waits_for_running_work_then_refuses_new_work() async {
        let writes = BackgroundWrites()
        let done = Mutex(0)
        for _ in 0..<5 {
            #expect(writes.run {
                try? await Task.sleep(for: .milliseconds(100))
                done.withLock { $0 += 1 }
            })
        }
        await writes.drain(timeout: .seconds(10))
        #expect(done.withLock { $0 } == 5, "all five finished before drain returned")
        #expect(writes.isClosed)
        #expect(!writes.run { done.withLock { $0 += 100 } })
        try? await Task.sleep(for: .milliseconds(50))
        #expect(done.withLock { $0 } == 5)
    }

    @Test func drain_is_bounded() async {
        let writes = BackgroundWrites()
        writes.run { try? await Task.sleep(for: .seconds(30)) }
        let start = ContinuousClock.now
        await writes.drain(timeout: .milliseconds(200))
        #expect(start.duration(to: .now) < .seconds(10))
    }

    /// What `serve` does on SIGTERM: a write still running when shutdown
    /// starts lands in the database, because the drain runs before Fluent
    /// closes its pools (when the drain was registered before the
    /// databases, it ran after them and the write failed).
    @Test func a_write_running_at_shutdown_reaches_the_database() async throws {
        let marker = UUID()
        let failed = Mutex(false)
        try await withServerLifeOnSQLiteFile("bg", whileRunning: { app in
            let started = app.smf.usage.background.run { [app] in
                try? await Task.sleep(for: .milliseconds(300))
                do {
                    guard let sql = app.db as? any SQLDatabase else { return }
                    try await sql.raw("""
                        INSERT INTO security_events (id, occurred_at, type, outcome, ip, user_agent, request_id, details)
                        VALUES (\(bind: marker), \(bind: Date()), \(bind: "test.background"), \(bind: "success"), \
                        \(bind: "127.0.0.1"), \(bind: "test"), \(bind: ""), \(bind: "{}"))
                        """).run()
                } catch {
                    failed.withLock { $0 = true }
                }
            }
            #expect(started)
        }, afterShutdown: { reader in
            #expect(!failed.withLock { $0 }, "the write met a closed database")
            let sql = try #require(reader.db as? any SQLDatabase)
            let count = try await sql.raw("SELECT COUNT(*) AS n FROM security_events WHERE id = \(bind: marker)")
                .first()?.decode(column: "n", as: Int.self)
            #expect(count == 1)
        })
    }
}
