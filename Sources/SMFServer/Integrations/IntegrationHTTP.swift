import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// What can go wrong when the server calls a platform (Telegram, Instagram
/// Graph, an LLM) or a user's URL.
///
/// No case carries the URL, a header or the request body: Telegram puts the
/// bot token in the path, and an error's text ends up in logs and execution
/// records (issue 8: secrets never in logs, errors or execution records).
/// Platform descriptions are truncated and scrubbed of the credential used.
public enum IntegrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The overall deadline (or the connect timeout) passed.
    case timeout
    /// The connection failed or broke; `reason` is a fixed phrase or an error
    /// type name, never anything the peer or the caller supplied.
    case transport(reason: String)
    /// The platform answered with an error.
    case http(status: Int, platformCode: Int?, description: String?)
    /// The platform asked us to slow down for this long.
    case rateLimited(retryAfter: Duration)
    /// The response body was longer than the cap; reading stopped there.
    case responseTooLarge
    /// A success status with a body we could not understand.
    case malformedResponse
    /// The request was refused before anything was sent (e.g. a token or an
    /// id that would change the request path). `reason` is a fixed phrase.
    case invalidRequest(reason: String)
    /// A redirect chain longer than allowed (the `http.request` node).
    case tooManyRedirects

    /// Whether trying again later can succeed: server-side failures, rate
    /// limits and network trouble, but not the platform refusing the request.
    public var isRetryable: Bool {
        switch self {
        case .timeout, .transport, .rateLimited:
            return true
        case .http(let status, _, _):
            return status >= 500 || status == 429 || status == 408
        case .responseTooLarge, .malformedResponse, .invalidRequest, .tooManyRedirects:
            return false
        }
    }

    public var description: String {
        switch self {
        case .timeout:
            return "The call timed out."
        case .transport(let reason):
            return "The connection failed: \(reason)."
        case .http(let status, let code, let text):
            var result = "The platform answered HTTP \(status)"
            if let code { result += " (code \(code))" }
            if let text, !text.isEmpty { result += ": \(text)" }
            return result
        case .rateLimited(let retryAfter):
            return "The platform is rate limiting; retry after \(retryAfter.components.seconds) s."
        case .responseTooLarge:
            return "The response was larger than allowed."
        case .malformedResponse:
            return "The response could not be understood."
        case .invalidRequest(let reason):
            return "The request was not sent: \(reason)."
        case .tooManyRedirects:
            return "Too many redirects."
        }
    }

    /// Longest platform description kept (issue 8 brief: 300 characters).
    public static let maxDescriptionLength = 300

    /// A platform's error text made safe to keep: the given secrets removed
    /// (some platforms echo the token or key back), control characters
    /// dropped, and cut to `maxDescriptionLength`.
    static func sanitizedDescription(_ text: String?, removing secrets: [String]) -> String? {
        guard var text, !text.isEmpty else { return nil }
        for secret in secrets where !secret.isEmpty {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
        }
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter {
            !CharacterSet.controlCharacters.contains($0)
        }))
        if cleaned.count > maxDescriptionLength {
            return String(cleaned.prefix(maxDescriptionLength))
        }
        return cleaned
    }
}

/// A request to a platform, built by one of the clients.
public struct IntegrationRequest: Sendable {
    public var method: HTTPMethod
    /// Never logged nor put in an error: it may carry a token (Telegram).
    public var url: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A platform's answer with its whole (bounded) body.
public struct IntegrationResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The one way the integrations talk HTTP: an overall deadline that covers
/// connecting, the head and the whole body; a hard cap on the body; errors
/// mapped to `IntegrationError` without the URL.
///
/// The `HTTPClient` is shared (one connection pool for the process); make it
/// with `makeClient` so that redirects are off and connecting has its own
/// timeout (AsyncHTTPClient only configures those per client).
public struct IntegrationHTTP: Sendable {
    public let client: HTTPClient
    /// Deadline for one call, from sending to the last body byte.
    public var timeout: Duration
    /// Bodies longer than this fail with `.responseTooLarge`.
    public var maxResponseBytes: Int
    /// Where the outcome of each call is logged (integration, operation,
    /// status, duration; never the URL or headers).
    public var logger: Logger

    public static let defaultMaxResponseBytes = 1 << 20

    public init(
        client: HTTPClient,
        timeout: Duration = .seconds(30),
        maxResponseBytes: Int = IntegrationHTTP.defaultMaxResponseBytes,
        logger: Logger = Logger(label: "smflow.integrations")
    ) {
        self.client = client
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.logger = logger
    }

    /// A client for the integrations: redirects disabled (a platform API never
    /// needs one, and a user-supplied LLM base URL must not be bounced to an
    /// internal address), a connect timeout, no decompression (no zip bombs).
    /// The caller shuts it down.
    public static func makeClient(
        eventLoopGroup: any EventLoopGroup = HTTPClient.defaultEventLoopGroup,
        connectTimeout: Duration = .seconds(10)
    ) -> HTTPClient {
        HTTPClient(eventLoopGroup: eventLoopGroup, configuration: clientConfiguration(connectTimeout: connectTimeout))
    }

    static func clientConfiguration(connectTimeout: Duration, dnsOverride: [String: String] = [:]) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connectTimeout.nanoseconds)),
            decompression: .disabled
        )
        configuration.dnsOverride = dnsOverride
        return configuration
    }

    /// Sends `request` and returns the answer whatever its status; the
    /// clients read the platform's error envelope themselves.
    /// - Parameters:
    ///   - integration: a fixed label for logs (`telegram`, `instagram`, `llm`).
    ///   - operation: a fixed label for logs (`sendMessage`, …).
    ///   - timeout: overrides `self.timeout` for this call.
    public func send(
        _ request: IntegrationRequest, integration: String, operation: String, timeout: Duration? = nil
    ) async throws(IntegrationError) -> IntegrationResponse {
        let started = ContinuousClock.now
        do {
            let response = try await Self.perform(
                client: client, request: request, timeout: timeout ?? self.timeout, maxResponseBytes: maxResponseBytes)
            logger.debug("integration call answered", metadata: [
                "integration": .string(integration), "operation": .string(operation),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .stringConvertible(Self.milliseconds(since: started)),
            ])
            return response
        } catch {
            logger.warning("integration call failed", metadata: [
                "integration": .string(integration), "operation": .string(operation),
                "error": .string(error.description),
                "duration_ms": .stringConvertible(Self.milliseconds(since: started)),
            ])
            throw error
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// Runs one request under an overall deadline. AsyncHTTPClient's own
    /// deadline stops at the response head, so a peer trickling the body
    /// forever would hold a worker: the race with a timer covers the body too.
    static func perform(
        client: HTTPClient, request: IntegrationRequest, timeout: Duration, maxResponseBytes: Int
    ) async throws(IntegrationError) -> IntegrationResponse {
        do {
            return try await withThrowingTaskGroup(of: IntegrationResponse.self) { group in
                group.addTask {
                    try await executeBounded(client: client, request: request, timeout: timeout, maxResponseBytes: maxResponseBytes)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw IntegrationError.timeout
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw IntegrationError.timeout }
                return first
            }
        } catch {
            throw map(error)
        }
    }

    static func executeBounded(
        client: HTTPClient, request: IntegrationRequest, timeout: Duration, maxResponseBytes: Int
    ) async throws -> IntegrationResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method
        outgoing.headers = request.headers
        if let body = request.body {
            outgoing.body = .bytes(body)
        }
        let response = try await client.execute(outgoing, timeout: .nanoseconds(timeout.nanoseconds))
        let body = try await readBounded(response.body, declaredLength: response.headers.first(name: "content-length"),
                                         maxBytes: maxResponseBytes)
        return IntegrationResponse(status: response.status, headers: response.headers, body: body)
    }

    /// Reads at most `maxBytes`; stops (and so cancels the transfer) as soon
    /// as the declared or received length is over.
    static func readBounded(_ body: HTTPClientResponse.Body, declaredLength: String?, maxBytes: Int) async throws -> ByteBuffer {
        if let declaredLength, let length = Int(declaredLength), length > maxBytes {
            throw IntegrationError.responseTooLarge
        }
        var collected = ByteBuffer()
        for try await var chunk in body {
            if collected.readableBytes + chunk.readableBytes > maxBytes {
                throw IntegrationError.responseTooLarge
            }
            collected.writeBuffer(&chunk)
        }
        return collected
    }

    /// Maps anything thrown below to an `IntegrationError` whose text is ours.
    static func map(_ error: any Error) -> IntegrationError {
        if let error = error as? IntegrationError {
            return error
        }
        if let error = error as? HTTPClientError {
            let timeouts: [HTTPClientError] = [
                .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout,
            ]
            if timeouts.contains(error) {
                return .timeout
            }
            if [HTTPClientError.invalidURL, .emptyHost, .emptyScheme].contains(error)
                || error.shortDescription == "Unsupported scheme" {
                return .invalidRequest(reason: "the address is not a valid http(s) URL")
            }
            // `shortDescription` carries no associated values (AHC's contract).
            return .transport(reason: error.shortDescription)
        }
        if error is CancellationError {
            return .transport(reason: "cancelled")
        }
        // NIO's connection errors name host and port; keep only the type.
        return .transport(reason: "connection failed (\(String(describing: type(of: error))))")
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (NIO's `TimeAmount` wants an Int64).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}

/// JSON helpers shared by the clients.
enum IntegrationJSON {
    static func encode(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own plain structs cannot fail; an empty body would be
        // refused by the platform, never sent wrongly.
        let data = (try? encoder.encode(value)) ?? Data()
        return ByteBuffer(bytes: data)
    }

    static func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    static var jsonHeaders: HTTPHeaders {
        ["Content-Type": "application/json", "Accept": "application/json"]
    }
}

extension HTTPHeaders {
    /// A `Retry-After` in seconds (the HTTP-date form is not used by the
    /// platforms we call).
    var retryAfterSeconds: Int64? {
        first(name: "retry-after").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.map { Swift.max(0, $0) }
    }
}

/// Checks for values that go into a request path.
enum IntegrationText {
    /// Only `A-Za-z0-9_` (and `-` when allowed), 1–256 bytes: nothing that
    /// could add a path segment, a query or a fragment.
    static func isPathSafe(_ text: some StringProtocol, allowingDash: Bool = false) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 256 else { return false }
        return bytes.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "_") || (allowingDash && byte == UInt8(ascii: "-"))
        }
    }
}
