import Foundation
import NIOCore
import NIOHTTP1

/// Instagram messaging and comment replies over Meta's Graph API.
///
/// The access token travels in `Authorization: Bearer`, never in the query
/// string, where proxies and access logs would keep it. Ids that go into the
/// path are checked to be plain ids first.
public struct InstagramGraphClient: Sendable {
    public let http: IntegrationHTTP
    /// `https://graph.facebook.com/v21.0` in production; a fake in tests.
    public let baseURL: String
    /// How long to wait after a Graph rate-limit error that names no delay
    /// (Graph counts calls over a rolling hour and says nothing more).
    public var defaultRateLimitBackoff: Duration

    public static let defaultBaseURL = "https://graph.facebook.com/v21.0"

    /// Graph error codes that mean "too many calls" (application, user, page
    /// and custom limits, and Instagram's own per-account limit).
    public static let rateLimitCodes: Set<Int> = [4, 17, 32, 613, 80002]

    public init(
        http: IntegrationHTTP, baseURL: String = InstagramGraphClient.defaultBaseURL,
        defaultRateLimitBackoff: Duration = .seconds(60)
    ) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.defaultRateLimitBackoff = defaultRateLimitBackoff
    }

    /// What the Send API answers.
    public struct SentMessage: Sendable, Equatable {
        public var recipientID: String?
        public var messageID: String
    }

    /// A private reply: a DM to the author of a comment
    /// (`POST /{ig-user-id}/messages` with `recipient.comment_id`).
    public func privateReply(
        igUserID: String, commentID: String, text: String, token: String
    ) async throws(IntegrationError) -> SentMessage {
        try checkID(commentID)
        return try await sendMessage(igUserID: igUserID, recipient: ["comment_id": commentID], text: text, token: token,
                                     operation: "privateReply")
    }

    /// A direct message to an Instagram-scoped user id
    /// (`POST /{ig-user-id}/messages` with `recipient.id`).
    public func sendMessage(
        igUserID: String, recipientID: String, text: String, token: String
    ) async throws(IntegrationError) -> SentMessage {
        try checkID(recipientID)
        return try await sendMessage(igUserID: igUserID, recipient: ["id": recipientID], text: text, token: token,
                                     operation: "sendMessage")
    }

    /// A public reply under a comment (`POST /{comment-id}/replies`); returns
    /// the new comment's id.
    public func replyToComment(commentID: String, text: String, token: String) async throws(IntegrationError) -> String {
        try checkID(commentID)
        struct Body: Encodable { var message: String }
        struct Result: Decodable { var id: String }
        let result = try await call(path: "/\(commentID)/replies", body: IntegrationJSON.encode(Body(message: text)),
                                    token: token, operation: "replyToComment", as: Result.self)
        return result.id
    }

    private func sendMessage(
        igUserID: String, recipient: [String: String], text: String, token: String, operation: String
    ) async throws(IntegrationError) -> SentMessage {
        try checkID(igUserID)
        struct Body: Encodable {
            struct Message: Encodable { var text: String }
            var recipient: [String: String]
            var message: Message
        }
        struct Result: Decodable {
            var recipient_id: String?
            var message_id: String
        }
        let body = Body(recipient: recipient, message: .init(text: text))
        let result = try await call(path: "/\(igUserID)/messages", body: IntegrationJSON.encode(body), token: token,
                                    operation: operation, as: Result.self)
        return SentMessage(recipientID: result.recipient_id, messageID: result.message_id)
    }

    private func checkID(_ id: String) throws(IntegrationError) {
        guard IntegrationText.isPathSafe(id) else {
            throw .invalidRequest(reason: "an Instagram id is not a plain id")
        }
    }

    /// POST JSON with the bearer token; a non-2xx answer is Graph's envelope
    /// `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`.
    private func call<Result: Decodable & Sendable>(
        path: String, body: ByteBuffer, token: String, operation: String, as: Result.Type
    ) async throws(IntegrationError) -> Result {
        guard !token.isEmpty, !token.contains(where: { $0.isNewline || $0 == " " }) else {
            throw .invalidRequest(reason: "the access token is not usable")
        }
        var headers = IntegrationJSON.jsonHeaders
        headers.add(name: "Authorization", value: "Bearer \(token)")
        let request = IntegrationRequest(method: .POST, url: baseURL + path, headers: headers, body: body)
        let response = try await http.send(request, integration: "instagram", operation: operation)
        let status = Int(response.status.code)
        if (200..<300).contains(status) {
            guard let result = IntegrationJSON.decode(Result.self, from: response.body) else { throw .malformedResponse }
            return result
        }
        let graphError = IntegrationJSON.decode(GraphErrorEnvelope.self, from: response.body)?.error
        if status == 429 || graphError?.code.map(Self.rateLimitCodes.contains) == true {
            let wait = response.headers.retryAfterSeconds.map { Duration.seconds($0) } ?? defaultRateLimitBackoff
            throw .rateLimited(retryAfter: wait)
        }
        var text = graphError?.message
        if let subcode = graphError?.error_subcode {
            text = "\(text ?? "") (subcode \(subcode))"
        }
        throw .http(status: status, platformCode: graphError?.code,
                    description: IntegrationError.sanitizedDescription(text, removing: [token]))
    }
}

/// Graph's error answer.
private struct GraphErrorEnvelope: Decodable {
    struct GraphError: Decodable {
        var message: String?
        var type: String?
        var code: Int?
        var error_subcode: Int?
    }
    var error: GraphError
}
