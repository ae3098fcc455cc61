import Foundation
import NIOCore
import NIOHTTP1

/// Telegram's Bot API: the calls a flow and a deployment make.
///
/// The token is part of the path (`/bot<token>/method`), so it is checked
/// against Telegram's token shape before use (a `/` or `?` in it would send
/// the request elsewhere) and it is scrubbed from any error text.
public struct TelegramClient: Sendable {
    public let http: IntegrationHTTP
    /// `https://api.telegram.org` in production; a fake's address in tests.
    public let baseURL: String

    public static let defaultBaseURL = "https://api.telegram.org"

    public init(http: IntegrationHTTP, baseURL: String = TelegramClient.defaultBaseURL) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// How Telegram should read the text (`parse_mode`).
    public enum ParseMode: String, Sendable, Codable {
        case html = "HTML"
        case markdownV2 = "MarkdownV2"
        case markdown = "Markdown"
    }

    /// The part of Telegram's `Message` a flow needs.
    public struct SentMessage: Sendable, Equatable {
        public var messageID: Int64
        public var chatID: Int64?
        public var date: Int64?
    }

    /// `sendMessage`. `chatID` is a numeric id (sent as a number) or an
    /// `@channelusername` (sent as a string).
    public func sendMessage(
        token: String, chatID: String, text: String, parseMode: ParseMode? = nil
    ) async throws(IntegrationError) -> SentMessage {
        struct Body: Encodable {
            var chat_id: ChatID
            var text: String
            var parse_mode: String?
        }
        let body = Body(chat_id: ChatID(chatID), text: text, parse_mode: parseMode?.rawValue)
        struct Result: Decodable {
            struct Chat: Decodable { var id: Int64? }
            var message_id: Int64
            var chat: Chat?
            var date: Int64?
        }
        let result = try await call(token: token, method: "sendMessage", body: IntegrationJSON.encode(body), as: Result.self)
        return SentMessage(messageID: result.message_id, chatID: result.chat?.id, date: result.date)
    }

    /// `setWebhook` with the secret Telegram echoes in
    /// `X-Telegram-Bot-Api-Secret-Token` on every update.
    public func setWebhook(
        token: String, url: String, secretToken: String, allowedUpdates: [String], dropPendingUpdates: Bool = false
    ) async throws(IntegrationError) {
        struct Body: Encodable {
            var url: String
            var secret_token: String
            var allowed_updates: [String]
            var drop_pending_updates: Bool
        }
        let body = Body(url: url, secret_token: secretToken, allowed_updates: allowedUpdates,
                        drop_pending_updates: dropPendingUpdates)
        _ = try await call(token: token, method: "setWebhook", body: IntegrationJSON.encode(body), as: Bool.self,
                           alsoRedacting: [secretToken])
    }

    /// `deleteWebhook` (undeploying a flow with a `telegram.update` trigger).
    public func deleteWebhook(token: String, dropPendingUpdates: Bool = false) async throws(IntegrationError) {
        struct Body: Encodable { var drop_pending_updates: Bool }
        _ = try await call(token: token, method: "deleteWebhook",
                           body: IntegrationJSON.encode(Body(drop_pending_updates: dropPendingUpdates)), as: Bool.self)
    }

    /// Telegram's token: the bot id, a colon, and a base64url-ish secret.
    static func isWellFormed(token: String) -> Bool {
        guard let colon = token.firstIndex(of: ":"), token.utf8.count <= 256 else { return false }
        let id = token[..<colon]
        let secret = token[token.index(after: colon)...]
        return !id.isEmpty && id.utf8.allSatisfy { (0x30...0x39).contains($0) }
            && IntegrationText.isPathSafe(secret, allowingDash: true)
    }

    /// One Bot API call: POST JSON, then Telegram's envelope
    /// `{"ok":true,"result":…}` or `{"ok":false,"error_code":…,"description":…,"parameters":{"retry_after":…}}`.
    func call<Result: Decodable & Sendable>(
        token: String, method: String, body: ByteBuffer, as: Result.Type, alsoRedacting extra: [String] = []
    ) async throws(IntegrationError) -> Result {
        guard Self.isWellFormed(token: token) else {
            throw .invalidRequest(reason: "the bot token is not a Telegram token")
        }
        let request = IntegrationRequest(
            method: .POST, url: "\(baseURL)/bot\(token)/\(method)", headers: IntegrationJSON.jsonHeaders, body: body)
        let response = try await http.send(request, integration: "telegram", operation: method)

        let envelope = IntegrationJSON.decode(TelegramEnvelope<Result>.self, from: response.body)
        if let envelope, envelope.ok, (200..<300).contains(response.status.code) {
            guard let result = envelope.result else { throw .malformedResponse }
            return result
        }
        let status = Int(response.status.code)
        if status == 429 || envelope?.error_code == 429 {
            let seconds = envelope?.parameters?.retry_after ?? response.headers.retryAfterSeconds ?? 1
            throw .rateLimited(retryAfter: .seconds(max(0, seconds)))
        }
        if (200..<300).contains(status) {
            throw .malformedResponse
        }
        throw .http(
            status: status, platformCode: envelope?.error_code,
            description: IntegrationError.sanitizedDescription(envelope?.description, removing: [token] + extra))
    }

    /// `chat_id` is "Integer or String" in the Bot API.
    struct ChatID: Encodable {
        let raw: String
        init(_ raw: String) { self.raw = raw }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let number = Int64(raw) {
                try container.encode(number)
            } else {
                try container.encode(raw)
            }
        }
    }
}

/// The Bot API's answer to every method.
private struct TelegramEnvelope<Result: Decodable>: Decodable {
    struct Parameters: Decodable { var retry_after: Int64? }
    var ok: Bool
    var result: Result?
    var error_code: Int?
    var description: String?
    var parameters: Parameters?
}
