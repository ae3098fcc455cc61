import Foundation
import Synchronization
import Vapor

/// A Vapor application on 127.0.0.1 that a fake mounts its routes on.
///
/// Fakes only ever listen on loopback (no test touches the internet). Port 0
/// asks the kernel for a free port; `port` is the one bound.
public final class FakeHTTPServer: Sendable {
    let app: Application
    private let stopped = Mutex(false)
    /// The bound port.
    public let port: Int

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    /// Starts a server with `routes` mounted.
    /// - Parameters:
    ///   - port: 0 for any free port.
    ///   - logger: Vapor's own logging; a no-op by default so that request
    ///     paths (Telegram's carry the token) never reach a test's log capture.
    public static func start(
        port: Int = 0, logger: Logger? = nil, routes: (Application) -> Void
    ) async throws -> FakeHTTPServer {
        let environment = Environment(name: "testing", arguments: ["smflow-fakes"])
        let app = try await Application.make(
            environment, logger: logger ?? Logger(label: "smflow-fake") { _ in SwiftLogNoOpLogHandler() })
        do {
            // No route logging (paths carry tokens); errors still become 500s.
            app.middleware = Middlewares()
            app.middleware.use(ErrorMiddleware.default(environment: app.environment))
            app.routes.defaultMaxBodySize = "32mb"
            app.http.server.configuration.address = .hostname("127.0.0.1", port: port)
            app.http.server.configuration.reuseAddress = true
            routes(app)
            try await app.asyncBoot()
            try await app.server.start()
            guard let bound = app.http.server.shared.localAddress?.port else {
                throw FakeError.notBound
            }
            return FakeHTTPServer(app: app, port: bound)
        } catch {
            await app.server.shutdown()
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// Stops listening and releases the application. Safe to call twice.
    public func stop() async {
        guard stopped.withLock({ state in defer { state = true }; return !state }) else { return }
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    /// A test that failed before `stop()` must not crash the run on Vapor's
    /// "not shut down" assertion: shut the application down in the background.
    deinit {
        guard stopped.withLock({ !$0 }) else { return }
        let app = self.app
        Task {
            await app.server.shutdown()
            try? await app.asyncShutdown()
        }
    }
}

public enum FakeError: Error, Sendable {
    case notBound
    case waitTimedOut(expected: Int, got: Int)
}

/// Calls a fake received, in order, with a way to wait for a number of them
/// (the worker calls the fake some time after the webhook was accepted).
public final class CallLog<Call: Sendable>: Sendable {
    private let storage = Mutex<[Call]>([])

    public init() {}

    public var all: [Call] { storage.withLock { $0 } }
    public var count: Int { storage.withLock { $0.count } }
    public var last: Call? { storage.withLock { $0.last } }

    func append(_ call: Call) {
        storage.withLock { $0.append(call) }
    }

    public func removeAll() {
        storage.withLock { $0.removeAll() }
    }

    /// Returns once at least `count` calls arrived. `timeout` only keeps a
    /// broken test from hanging; it is not an assertion about speed.
    public func waitUntil(count expected: Int, timeout: Duration = .seconds(60)) async throws {
        try await FakeWait.until(timeout: timeout, expected: expected) { self.count }
    }
}

enum FakeWait {
    static func until(timeout: Duration, expected: Int, current: () -> Int) async throws {
        let deadline = ContinuousClock.now + timeout
        while current() < expected {
            if ContinuousClock.now >= deadline {
                throw FakeError.waitTimedOut(expected: expected, got: current())
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Small helpers the fakes share for reading requests and writing JSON.
enum FakeWire {
    /// A JSON answer with the given status.
    static func json(_ status: HTTPResponseStatus, _ object: Any, headers extra: HTTPHeaders = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        headers.add(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(data: data))
    }

    /// The request body's bytes ("" when none).
    static func bodyBytes(_ req: Request) -> [UInt8] {
        guard var buffer = req.body.data else { return [] }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    static func bodyString(_ req: Request) -> String {
        String(decoding: bodyBytes(req), as: UTF8.self)
    }

    /// Parameters from the query string, then from a JSON object or a
    /// urlencoded form body (the ways Telegram and Graph accept them).
    /// JSON values are kept as parsed (`String`, `NSNumber`, arrays…).
    static func parameters(_ req: Request) -> [String: Any] {
        var result: [String: Any] = [:]
        if let query = req.url.query {
            for (name, value) in formPairs(query) { result[name] = value }
        }
        let contentType = req.headers.first(name: .contentType)?.lowercased() ?? ""
        let body = bodyBytes(req)
        if contentType.hasPrefix("application/json") {
            if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                result.merge(object) { _, new in new }
            }
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            for (name, value) in formPairs(String(decoding: body, as: UTF8.self)) { result[name] = value }
        }
        return result
    }

    static func formPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            guard let name = parts.first else { return nil }
            return (decode(name), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// A parameter as text: strings as they are, numbers in decimal.
    static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    /// A JSON-valued parameter: already parsed (JSON body) or a JSON string
    /// (form body).
    static func jsonValue(_ value: Any?) -> Any? {
        if let string = value as? String {
            return try? JSONSerialization.jsonObject(with: Data(string.utf8), options: [.fragmentsAllowed])
        }
        return value
    }

    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let string as String: return string == "true" || string == "1"
        case let number as NSNumber: return number.boolValue
        default: return nil
        }
    }

    static func bearerToken(_ req: Request) -> String? {
        guard let header = req.headers.first(name: .authorization), header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst("Bearer ".count))
    }
}

/// A gate that holds requests until released (crash tests kill a worker
/// while its calls are held).
final class StallGate: Sendable {
    private struct State {
        var stalled = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var heldTotal = 0
    }
    private let state = Mutex(State())

    var isStalled: Bool { state.withLock { $0.stalled } }
    /// Requests currently held.
    var held: Int { state.withLock { $0.waiters.count } }

    func stall() { state.withLock { $0.stalled = true } }

    func release() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stalled = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at once when open; otherwise when `release` is called.
    func pass() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let passNow = state.withLock { state -> Bool in
                guard state.stalled else { return true }
                state.waiters.append(continuation)
                state.heldTotal += 1
                return false
            }
            if passNow { continuation.resume() }
        }
    }
}

/// Answers that a test asks a fake to give instead of the normal one, the
/// next `times` calls.
final class Injections<Value: Sendable>: Sendable {
    private let queue = Mutex<[Value]>([])

    func add(_ value: Value, times: Int) {
        queue.withLock { $0.append(contentsOf: Array(repeating: value, count: max(0, times))) }
    }

    func next() -> Value? {
        queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    var pending: Int { queue.withLock { $0.count } }
}
