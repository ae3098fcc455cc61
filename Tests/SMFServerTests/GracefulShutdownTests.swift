import AsyncHTTPClient
import NIOCore
import SMFSecurity
import Testing
import VaporTesting
@testable import SMFServer

/// SIGTERM handling stops the listener and waits for in-flight requests,
/// bounded by SMF_SHUTDOWN_TIMEOUT (`ServerRunner` calls the same
/// `app.server.shutdown()` these tests call).
@Suite struct GracefulShutdownTests {
    func slowRoute(_ delay: Duration) -> (Application) -> Void {
        { app in
            app.get("test", "slow") { _ async throws -> String in
                try await Task.sleep(for: delay)
                return "finished"
            }
        }
    }

    @Test func in_flight_request_finishes_during_shutdown() async throws {
        try await withTestApp({ $0.shutdownTimeoutSeconds = 10; $0.port = 0 }, routes: slowRoute(.milliseconds(800))) { app in
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            async let response = client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/test/slow"), timeout: .seconds(10))
            try await Task.sleep(for: .milliseconds(200))
            await app.server.shutdown()
            let finished = try await response
            #expect(finished.status == .ok)
            #expect(String(buffer: try await finished.body.collect(upTo: 1024)) == "finished")
            try await client.shutdown()
        }
    }

    @Test func shutdown_is_bounded_by_the_timeout() async throws {
        try await withTestApp({ $0.shutdownTimeoutSeconds = 1; $0.port = 0 }, routes: slowRoute(.seconds(30))) { app in
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let request = Task { try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/test/slow"), timeout: .seconds(40)) }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            await app.server.shutdown()
            // 1 s drain limit, generous slack for a loaded machine.
            #expect(started.duration(to: .now) < .seconds(10))
            request.cancel()
            try await client.shutdown()
        }
    }

    /// The count shutdown waits on before it closes the database pools: a
    /// handler still running when they close would crash inside Fluent.
    @Test func shutdown_waits_for_running_handlers_before_closing_the_database() async throws {
        try await withTestApp({ $0.port = 0 }, routes: slowRoute(.milliseconds(600))) { app in
            let metrics = app.smf.metrics
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let request = Task { try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/test/slow"), timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(metrics.requestsInFlight == 1)
            // Too short a wait reports the handler that is still running…
            #expect(await ServerRunner.waitForHandlers(metrics, timeout: .milliseconds(50)) == 1)
            // …a long enough one returns as soon as it has answered.
            #expect(await ServerRunner.waitForHandlers(metrics, timeout: .seconds(8)) == 0)
            #expect(try await request.value.status == .ok)
            await app.server.shutdown()
            try await client.shutdown()
        }
    }
}
