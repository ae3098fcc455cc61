import Foundation
import Synchronization
import Vapor

/// A local Telegram Bot API: `sendMessage`, `setWebhook` and `deleteWebhook`
/// at `/bot<token>/<method>`, with JSON, form and query parameters and the
/// `{"ok":…}` envelope Telegram answers with.
///
/// Start with `FakeTelegram.start(tokens:)`, point a `TelegramClient` at
/// `baseURL`, read `messages` / `webhookCalls`, `stop()` at the end.
public final class FakeTelegram: Sendable {
    /// One `sendMessage` the fake accepted.
    public struct SentMessage: Sendable, Equatable {
        public var token: String
        /// As given: a number in decimal, or `@channel`.
        public var chatID: String
        public var text: String
        public var parseMode: String?
        /// `application/json`, `application/x-www-form-urlencoded`, or "" (query).
        public var contentType: String
        /// The request body exactly as received.
        public var rawBody: String
        public var messageID: Int64
    }

    /// One `setWebhook` or `deleteWebhook` the fake accepted.
    public struct WebhookCall: Sendable, Equatable {
        public var token: String
        public var method: String
        public var url: String?
        public var secretToken: String?
        public var allowedUpdates: [String]?
        public var dropPendingUpdates: Bool?
        public var rawBody: String
    }

    public let server: FakeHTTPServer
    let state: State

    public var baseURL: String { server.baseURL }
    public var port: Int { server.port }
    /// Accepted `sendMessage` calls (the ones that reached the chat).
    public var messages: CallLog<SentMessage> { state.messages }
    /// Accepted `setWebhook` / `deleteWebhook` calls.
    public var webhookCalls: CallLog<WebhookCall> { state.webhookCalls }

    private init(state: State, server: FakeHTTPServer) {
        self.state = state
        self.server = server
    }

    /// Starts the fake on 127.0.0.1.
    /// - Parameters:
    ///   - tokens: bot tokens it accepts (`123456:ABC…`); others get 401.
    ///   - port: 0 for any free port.
    ///   - requireHTTPSWebhook: Telegram refuses `setWebhook` to a non-https URL.
    public static func start(
        tokens: Set<String>, port: Int = 0, requireHTTPSWebhook: Bool = true, logger: Logger? = nil
    ) async throws -> FakeTelegram {
        let state = State(tokens: tokens, requireHTTPSWebhook: requireHTTPSWebhook)
        let server = try await FakeHTTPServer.start(port: port, logger: logger) { app in
            for method in [HTTPMethod.GET, .POST] {
                app.on(method, ":bot", ":method", body: .collect(maxSize: "1mb")) { req in
                    state.handle(req)
                }
            }
            app.get("_fake", "stats") { _ in state.stats() }
        }
        return FakeTelegram(state: state, server: server)
    }

    public func stop() async {
        await server.stop()
    }

    /// Accepts another bot token from now on.
    public func addToken(_ token: String) {
        state.tokens.withLock { _ = $0.insert(token) }
    }

    /// The next `times` `sendMessage` calls get Telegram's 429 with
    /// `parameters.retry_after` (and are not delivered).
    public func injectRateLimit(times: Int, retryAfter: Int) {
        state.rateLimits.add(retryAfter, times: times)
    }

    /// Every `sendMessage` request, including refused and rate-limited ones.
    public var sendAttempts: Int { state.attempts.withLock { $0 } }

    /// How many times `text` was delivered to `chatID` ("exactly once" checks).
    public func deliveries(chatID: String, text: String) -> Int {
        messages.all.filter { $0.chatID == chatID && $0.text == text }.count
    }

    /// Delivery counts per (chat, text); any value above 1 is a duplicate.
    public func deliveryCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for message in messages.all { counts["\(message.chatID)\u{1F}\(message.text)", default: 0] += 1 }
        return counts
    }

    final class State: Sendable {
        let messages = CallLog<SentMessage>()
        let webhookCalls = CallLog<WebhookCall>()
        let tokens: Mutex<Set<String>>
        let attempts = Mutex(0)
        let nextMessageID = Mutex<Int64>(1)
        let rateLimits = Injections<Int>()
        let requireHTTPSWebhook: Bool

        init(tokens: Set<String>, requireHTTPSWebhook: Bool) {
            self.tokens = Mutex(tokens)
            self.requireHTTPSWebhook = requireHTTPSWebhook
        }

        func stats() -> Response {
            FakeWire.json(.ok, ["sendMessage": messages.count, "sendAttempts": attempts.withLock { $0 },
                                "webhookCalls": webhookCalls.count])
        }

        static func failure(_ code: Int, _ description: String, parameters: [String: Any]? = nil) -> Response {
            var body: [String: Any] = ["ok": false, "error_code": code, "description": description]
            if let parameters { body["parameters"] = parameters }
            return FakeWire.json(HTTPResponseStatus(statusCode: code), body)
        }

        func handle(_ req: Request) -> Response {
            let segment = req.parameters.get("bot") ?? ""
            let method = req.parameters.get("method") ?? ""
            guard segment.hasPrefix("bot") else { return Self.failure(404, "Not Found") }
            let token = String(segment.dropFirst(3))
            if method == "sendMessage" { attempts.withLock { $0 += 1 } }
            guard tokens.withLock({ $0.contains(token) }) else { return Self.failure(401, "Unauthorized") }
            let parameters = FakeWire.parameters(req)
            let contentType = req.headers.first(name: .contentType)?.split(separator: ";").first.map(String.init) ?? ""
            switch method {
            case "sendMessage":
                return sendMessage(token: token, parameters, contentType: contentType, raw: FakeWire.bodyString(req))
            case "setWebhook":
                return setWebhook(token: token, parameters, raw: FakeWire.bodyString(req))
            case "deleteWebhook":
                webhookCalls.append(WebhookCall(
                    token: token, method: "deleteWebhook", url: nil, secretToken: nil, allowedUpdates: nil,
                    dropPendingUpdates: FakeWire.bool(parameters["drop_pending_updates"]), rawBody: FakeWire.bodyString(req)))
                return FakeWire.json(.ok, ["ok": true, "result": true, "description": "Webhook was deleted"])
            default:
                return Self.failure(404, "Not Found")
            }
        }

        private func sendMessage(token: String, _ parameters: [String: Any], contentType: String, raw: String) -> Response {
            if let retryAfter = rateLimits.next() {
                return Self.failure(429, "Too Many Requests: retry after \(retryAfter)",
                                    parameters: ["retry_after": retryAfter])
            }
            guard let chatID = FakeWire.text(parameters["chat_id"]), !chatID.isEmpty else {
                return Self.failure(400, "Bad Request: chat_id is empty")
            }
            guard let text = FakeWire.text(parameters["text"]), !text.isEmpty else {
                return Self.failure(400, "Bad Request: message text is empty")
            }
            let parseMode = FakeWire.text(parameters["parse_mode"])
            if let parseMode, !["HTML", "MarkdownV2", "Markdown"].contains(parseMode) {
                return Self.failure(400, "Bad Request: unsupported parse_mode")
            }
            let messageID = nextMessageID.withLock { id -> Int64 in
                defer { id += 1 }
                return id
            }
            messages.append(SentMessage(
                token: token, chatID: chatID, text: text, parseMode: parseMode, contentType: contentType, rawBody: raw,
                messageID: messageID))
            let botID = Int64(token.split(separator: ":").first ?? "") ?? 1
            let numericChat = Int64(chatID) ?? -1_001_234_567_890
            let chat: [String: Any] = numericChat < 0
                ? ["id": numericChat, "title": "Fake channel", "type": "channel"]
                : ["id": numericChat, "first_name": "Fake", "type": "private"]
            let message: [String: Any] = [
                "message_id": messageID,
                "from": ["id": botID, "is_bot": true, "first_name": "Fake bot", "username": "fake_bot"],
                "chat": chat,
                "date": Int64(Date().timeIntervalSince1970),
                "text": text,
            ]
            return FakeWire.json(.ok, ["ok": true, "result": message])
        }

        private func setWebhook(token: String, _ parameters: [String: Any], raw: String) -> Response {
            let url = FakeWire.text(parameters["url"]) ?? ""
            if requireHTTPSWebhook, !url.isEmpty, !url.lowercased().hasPrefix("https://") {
                return Self.failure(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            }
            let secret = FakeWire.text(parameters["secret_token"])
            if let secret {
                let allowed = secret.utf8.allSatisfy {
                    ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                        || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                }
                if !allowed || secret.isEmpty || secret.utf8.count > 256 {
                    return Self.failure(400, "Bad Request: secret token contains unallowed characters")
                }
            }
            let allowedUpdates = FakeWire.jsonValue(parameters["allowed_updates"]) as? [String]
            webhookCalls.append(WebhookCall(
                token: token, method: "setWebhook", url: url, secretToken: secret, allowedUpdates: allowedUpdates,
                dropPendingUpdates: FakeWire.bool(parameters["drop_pending_updates"]), rawBody: raw))
            return FakeWire.json(.ok, ["ok": true, "result": true,
                                       "description": url.isEmpty ? "Webhook was deleted" : "Webhook was set"])
        }
    }
}

/// Builds updates the way Telegram POSTs them to a webhook (UTF-8 as is,
/// not escaped).
public enum TelegramUpdates {
    /// A private text message.
    public static func message(
        updateID: Int64, messageID: Int64 = 1, chatID: Int64, fromID: Int64? = nil, text: String,
        firstName: String = "Test", username: String = "test_user", date: Int64 = 1_700_000_000
    ) -> [UInt8] {
        let from: [String: Any] = ["id": fromID ?? chatID, "is_bot": false, "first_name": firstName,
                                   "username": username, "language_code": "en"]
        let update: [String: Any] = [
            "update_id": updateID,
            "message": [
                "message_id": messageID,
                "from": from,
                "chat": ["id": chatID, "first_name": firstName, "username": username, "type": "private"],
                "date": date,
                "text": text,
            ] as [String: Any],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: update, options: [.withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }
}
