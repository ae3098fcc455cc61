import Synchronization
import Testing
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
}
