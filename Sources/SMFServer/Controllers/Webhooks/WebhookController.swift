import Crypto
import Fluent
import Foundation
import NIOCore
import SMFCore
import SMFSecurity
import Vapor

/// `/hooks/…`: where Telegram, Meta and any HTTP sender deliver events.
/// No session or API key: each request is authenticated by its platform's
/// mechanism over the raw bytes before anything parses them, fails closed
/// when the secret it needs is missing, compares in constant time, and
/// never says what was expected. Accepting is one durable write (events,
/// executions, jobs) and a 200; the flows run afterwards on a worker.
///
/// Answers: 404 unknown endpoint (after the same HMAC work as a bad
/// signature, so timing does not tell the two apart), 403 bad or missing
/// signature, 400 malformed body, 413 oversized (body cap of the route).
enum WebhookController {
    @Sendable static func telegram(_ request: Request) async throws -> Response {
        let body = try rawBody(request)
        guard let endpoint = try await endpoint(.telegram, request: request) else {
            return try notFound(burning: body)
        }
        let services = request.application.execution
        let secret = services.endpointSecrets.open(endpoint)
        let verdict = TelegramSecretToken.verify(
            headerValues: request.headers[TelegramSecretToken.headerName],
            storedDigest: secret.map(TelegramSecretToken.digest))
        guard verdict.isVerified else { return try refuse(verdict, endpoint: endpoint, request: request) }
        let update = try parseJSON(body)
        let event: InboundEvent?
        do {
            event = try TelegramUpdateParser.parse(update)
        } catch {
            throw SMFError.badRequest("The body is not a Telegram update: \(error.reason).", code: "invalid-webhook-body")
        }
        return try await accept(event.map { [$0] } ?? [], endpoint: endpoint, request: request)
    }

    /// `GET /hooks/meta/:token`: the subscription handshake. 200 with the
    /// challenge as text/plain only when the verify token matches; else 403.
    @Sendable static func metaHandshake(_ request: Request) async throws -> Response {
        var query = try StrictQuery(request, allowed: ["hub.mode", "hub.verify_token", "hub.challenge"])
        let mode = query.string("hub.mode", maxLength: 32, problem: "Too long.")
        let token = query.string("hub.verify_token", maxLength: 256, problem: "Too long.")
        let challenge = query.string("hub.challenge", maxLength: 256, problem: "Too long.")
        try query.finish()
        guard let endpoint = try await endpoint(.meta, request: request) else {
            return try notFound(burning: ByteBuffer())
        }
        let account = request.application.execution.endpointSecrets.instagramAccount(endpoint)
        switch MetaVerifyHandshake.respond(mode: mode, verifyToken: token, challenge: challenge,
                                           storedVerifyToken: account?.verifyToken) {
        case .accept(let echo):
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .contentType, value: "text/plain; charset=utf-8")
            return Response(status: .ok, headers: headers, body: .init(string: echo))
        case .refuse(let reason):
            return try refuse(.refused(reason), endpoint: endpoint, request: request)
        }
    }

    /// `POST /hooks/meta/:token`: `X-Hub-Signature-256` over the raw bytes
    /// (Meta escapes non-ASCII as \uXXXX; re-serialising would change them),
    /// then the entries are split into events; the account's own comments
    /// and message echoes are dropped.
    @Sendable static func meta(_ request: Request) async throws -> Response {
        let body = try rawBody(request)
        guard let endpoint = try await endpoint(.meta, request: request) else {
            return try notFound(burning: body)
        }
        let account = request.application.execution.endpointSecrets.instagramAccount(endpoint)
        let verdict = MetaSignature.verify(
            body: body.readableBytesView, headerValues: request.headers[MetaSignature.headerName],
            appSecret: account?.appSecret)
        guard verdict.isVerified else { return try refuse(verdict, endpoint: endpoint, request: request) }
        let events: [InboundEvent]
        do {
            events = try MetaPayloadParser.parse(try parseJSON(body), accountID: account?.igUserID)
        } catch let error as InboundPayloadError {
            throw SMFError.badRequest("The body is not a Meta webhook: \(error.reason).", code: "invalid-webhook-body")
        }
        return try await accept(events, endpoint: endpoint, request: request)
    }

    /// The optional event id a generic sender gives for de-duplication.
    static let eventIDHeader = "SMF-Event-Id"

    /// `POST /hooks/generic/:token`: `SMF-Signature: t=<unix>,v1=<hex>` =
    /// HMAC-SHA256(secret, "<t>." + body), within 5 minutes of our clock
    /// (a replay later than that is refused; one sooner is de-duplicated
    /// when the sender gives `SMF-Event-Id`).
    @Sendable static func generic(_ request: Request) async throws -> Response {
        let body = try rawBody(request)
        guard let endpoint = try await endpoint(.generic, request: request) else {
            return try notFound(burning: body)
        }
        let secret = request.application.execution.endpointSecrets.open(endpoint)
        let verdict = GenericWebhookSignature.verify(
            body: body.readableBytesView, headerValues: request.headers[GenericWebhookSignature.headerName],
            secrets: secret.map { [$0] } ?? [], now: request.application.smf.clock.now())
        guard verdict.isVerified else { return try refuse(verdict, endpoint: endpoint, request: request) }
        let eventIDs = request.headers[eventIDHeader]
        guard eventIDs.count <= 1, eventIDs.allSatisfy(isWellFormedEventID) else {
            throw SMFError.badRequest("\(eventIDHeader) must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, given once.",
                                      code: "invalid-event-id")
        }
        let event: InboundEvent
        switch request.headers.contentType {
        case .some(let type) where type.type == "application" && (type.subType == "json" || type.subType.hasSuffix("+json")):
            event = GenericPayloadParser.parse(body: try parseJSON(body), rawText: nil, eventID: eventIDs.first)
        case .some(let type) where type.type == "text":
            guard let text = body.getString(at: body.readerIndex, length: body.readableBytes),
                  text.utf8.count == body.readableBytes else {
                throw SMFError.badRequest("The text body is not valid UTF-8.", code: "invalid-webhook-body")
            }
            event = GenericPayloadParser.parse(body: nil, rawText: text, eventID: eventIDs.first)
        default:
            throw SMFError(.unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported Media Type",
                           detail: "Send the body as application/json or text/plain.")
        }
        return try await accept([event], endpoint: endpoint, request: request)
    }

    // MARK: - Shared steps

    private static func endpoint(_ kind: WebhookKind, request: Request) async throws -> WebhookEndpointRecord? {
        guard let token = request.parameters.get("token") else { return nil }
        return try await WebhookEndpointRecord.find(kind: kind, token: token, on: request.db)
    }

    /// The collected body. The route's collect limit stops a larger one on
    /// the wire; this check keeps the rule where the handler can see it.
    private static func rawBody(_ request: Request) throws -> ByteBuffer {
        let body = request.body.data ?? ByteBuffer()
        let limit = request.application.smf.config.webhookMaxBodyBytes
        guard body.readableBytes <= limit else { throw SMFError.payloadTooLarge(limit: limit) }
        return body
    }

    /// Depth-limited strict parse; the error names the byte offset only.
    static func parseJSON(_ body: ByteBuffer) throws -> JSONValue {
        guard body.readableBytes > 0 else { throw SMFError.badRequest("The body is empty.", code: "invalid-webhook-body") }
        do {
            return try JSONValue(parsing: Data(body.readableBytesView), maxDepth: 32)
        } catch {
            throw SMFError.badRequest("The JSON body is malformed near byte \(error.offset).", code: "invalid-webhook-body")
        }
    }

    static func isWellFormedEventID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy {
            $0 == 45 || $0 == 46 || $0 == 58 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
        }
    }

    /// An unknown endpoint costs what a signature check costs before the
    /// 404, so response times do not tell guessed tokens from real ones.
    private static func notFound(burning body: ByteBuffer) throws -> Response {
        var mac = HMAC<SHA256>(key: SymmetricKey(size: .bits256))
        mac.update(data: body.readableBytesView)
        _ = mac.finalize()
        throw SMFError.notFound
    }

    private static func refuse(_ verdict: WebhookVerification, endpoint: WebhookEndpointRecord, request: Request) throws -> Response {
        // The reason is for operators; the client learns only "refused".
        request.logger.notice("webhook refused", metadata: [
            "endpoint_id": "\(endpoint.id)", "kind": "\(endpoint.kind.rawValue)", "reason": "\(verdict)",
        ])
        request.application.execution.metrics.refused(kind: endpoint.kind)
        throw SMFError(.forbidden, code: "webhook-refused", title: "Forbidden",
                       detail: "The delivery could not be authenticated.")
    }

    private static func accept(_ events: [InboundEvent], endpoint: WebhookEndpointRecord, request: Request) async throws -> Response {
        let services = request.application.execution
        let outcome = try await WebhookIngest(
            database: request.db, queue: services.queue, now: request.application.smf.clock.now(),
            maxAttempts: services.worker.maxAttempts,
            singleStatement: request.application.smf.config.webhookIngestSingleStatement
        ).accept(events, endpoint: endpoint)
        services.metrics.accepted(kind: endpoint.kind, outcome: outcome)
        struct Answer: Content {
            let accepted: Int
            let duplicates: Int
        }
        return try await Answer(accepted: outcome.accepted, duplicates: outcome.duplicates).encodeResponse(for: request)
    }
}
