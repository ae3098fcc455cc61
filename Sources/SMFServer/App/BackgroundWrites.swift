import Synchronization
import Vapor

/// Work that runs after the response has gone — today the security events
/// of rate-limit violations and usage anomalies. Shutdown waits for it
/// (bounded) before the database closes, so such an event is neither lost
/// nor written into a database that is already gone (which crashed a test
/// run once). Work offered after shutdown began is refused and the caller
/// logs that it was dropped.
final class BackgroundWrites: Sendable {
    private struct State {
        var closed = false
        var nextID = 0
        var running: [Int: Task<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Starts `operation` unless shutdown has begun; false when refused.
    @discardableResult
    func run(_ operation: @escaping @Sendable () async -> Void) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            let id = state.nextID
            state.nextID += 1
            // The task removes itself when done; it cannot get there before
            // this insertion, because removing needs the lock held here.
            state.running[id] = Task { [weak self] in
                await operation()
                self?.finished(id)
            }
            return true
        }
    }

    /// Refuses new work and waits up to `timeout` for what is running.
    /// Polls rather than awaiting the tasks: awaiting a task's value cannot
    /// be cut short, and the bound matters more than the 20 ms.
    func drain(timeout: Duration) async {
        state.withLock { $0.closed = true }
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ !$0.running.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    private func finished(_ id: Int) {
        _ = state.withLock { $0.running.removeValue(forKey: id) }
    }
}

/// Drains `BackgroundWrites` when the application shuts down: lifecycle
/// handlers run before Vapor shuts the databases down.
struct BackgroundWritesShutdown: LifecycleHandler {
    let writes: BackgroundWrites

    func shutdownAsync(_ application: Application) async {
        await writes.drain(timeout: .seconds(5))
    }
}
