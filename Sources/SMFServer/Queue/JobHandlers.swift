import FluentKit
import Logging

/// What a handler gets besides its job.
public struct JobContext: Sendable {
    /// Carries `job_id`, `job_kind` and `attempt` as metadata. Never log
    /// the payload or anything loaded with it that is secret.
    public let logger: Logger
    /// The application's database (the shared pool).
    public let database: any Database
    /// 1 on the first run.
    public let attempt: Int
    public let maxAttempts: Int
    /// The worker holding the lease.
    public let owner: String
    /// This attempt's lease as the worker sees it (renewed by the heartbeat).
    public let lease: JobLease
    /// Retries a write that records a side effect while `lease` holds.
    public let retry: LeaseBoundRetry

    /// Runs `write` — a database write that follows a side effect —
    /// retrying it with bounded backoff while the lease is ours, so a short
    /// database outage does not make the job (and the effect) run again.
    public func recording<T>(
        _ what: String, isolation: isolated (any Actor)? = #isolation, _ write: () async throws -> T
    ) async throws -> T {
        try await retry.run(what, logger: logger, write)
    }

    /// No retry follows a failure of this attempt.
    public var isLastAttempt: Bool { attempt >= maxAttempts }
}

/// A handler's way to say how it failed. Any other error is treated as a
/// retryable failure whose stored message is only the error's type name:
/// an arbitrary error's text may hold a secret or a payload, so it is
/// never written to `last_error` or the log.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    /// Stored as the job's `last_error` (cut to 1 KiB) and logged: it must
    /// already be redacted.
    public let message: String
    public let retryable: Bool
    /// The earliest retry (e.g. a 429's `retry_after`).
    public let retryAfter: Duration?

    public init(message: String, retryable: Bool, retryAfter: Duration? = nil) {
        self.message = message
        self.retryable = retryable
        self.retryAfter = retryAfter
    }

    /// Try again later (after the backoff, and not before `after`).
    public static func retry(_ message: String, after: Duration? = nil) -> JobFailure {
        JobFailure(message: message, retryable: true, retryAfter: after)
    }

    /// Retrying cannot help (bad input, flow deleted, credential refused):
    /// straight to the dead letters.
    public static func permanent(_ message: String) -> JobFailure {
        JobFailure(message: message, retryable: false)
    }

    public var description: String { message }

    /// The failure to record for any error a handler threw.
    static func from(_ error: any Error) -> JobFailure {
        if let failure = error as? JobFailure { return failure }
        return .retry("unexpected error: \(String(reflecting: type(of: error)))")
    }
}

/// The handlers a worker runs, by job kind (`flow.execute`). Registered in
/// one place by the integrator; a job whose kind has no handler goes to the
/// dead letters with a clear error instead of cycling through retries.
public struct JobHandlers: Sendable, ExpressibleByDictionaryLiteral {
    public typealias Handler = @Sendable (ClaimedJob, JobContext) async throws -> Void

    private var table: [String: Handler]

    public init() { table = [:] }

    public init(dictionaryLiteral elements: (String, Handler)...) {
        table = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    /// Adds (or replaces) the handler for `kind`.
    public mutating func register(_ kind: String, _ handler: @escaping Handler) {
        table[kind] = handler
    }

    public subscript(kind: String) -> Handler? { table[kind] }

    public var kinds: [String] { table.keys.sorted() }
}
