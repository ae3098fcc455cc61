import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SMFFakes
@testable import SMFServer
import Testing

/// The outbound clients against the local fakes (issue 8): exact wire bodies
/// as the fake received them, platform errors mapped, bounded responses,
/// deadlines, and no token or URL in any error or log line.
@Suite("Integration clients")
struct IntegrationClientTests {
    static let botToken = "123456:AAH-secret_Part-of-the-token"
    static let graphToken = "IGQVJ-graph-secret-token"
    static let igUserID = "17841400000000001"
    static let llmKey = "sk-test-secret-key-0123456789"

    /// A shared-style client (as the server makes it) for one test.
    func withHTTP(
        timeout: Duration = .seconds(30), maxResponseBytes: Int = IntegrationHTTP.defaultMaxResponseBytes,
        logs: LogCapture? = nil, _ body: (IntegrationHTTP) async throws -> Void
    ) async throws {
        // AsyncHTTPClient retries a refused connection until the connect
        // timeout: keep it short for the closed-port cases.
        let client = IntegrationHTTP.makeClient(connectTimeout: .seconds(1))
        let http = IntegrationHTTP(
            client: client, timeout: timeout, maxResponseBytes: maxResponseBytes,
            logger: logs?.makeLogger() ?? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        do {
            try await body(http)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func integrationError(_ body: () async throws -> Void) async -> IntegrationError? {
        do {
            try await body()
            return nil
        } catch let error as IntegrationError {
            return error
        } catch {
            Issue.record("unexpected error type \(type(of: error))")
            return nil
        }
    }

    func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: Telegram

    @Test func telegram_send_message_posts_json_and_parses_the_result() async throws {
        let fake = try await FakeTelegram.start(tokens: [Self.botToken])
        try await withHTTP { http in
            let client = TelegramClient(http: http, baseURL: fake.baseURL)
            let sent = try await client.sendMessage(
                token: Self.botToken, chatID: "42", text: "Grüße 👋 <b>bold</b>", parseMode: .html)
            #expect(sent.messageID == 1)
            #expect(sent.chatID == 42)

            let call = try #require(fake.messages.last)
            #expect(call.token == Self.botToken)
            #expect(call.chatID == "42")
            #expect(call.text == "Grüße 👋 <b>bold</b>")
            #expect(call.parseMode == "HTML")
            #expect(call.contentType == "application/json")
            // chat_id goes as a JSON number, as the Bot API documents it.
            #expect(call.rawBody.contains(#""chat_id":42"#))
            let body = try jsonObject(call.rawBody)
            #expect(Set(body.keys) == ["chat_id", "text", "parse_mode"])

            _ = try await client.sendMessage(token: Self.botToken, chatID: "@news_channel", text: "hi")
            #expect(fake.messages.last?.rawBody.contains(#""chat_id":"@news_channel""#) == true)
            #expect(fake.messages.last?.parseMode == nil)
        }
        await fake.stop()
    }

    @Test func telegram_429_becomes_rate_limited_with_retry_after() async throws {
        let fake = try await FakeTelegram.start(tokens: [Self.botToken])
        try await withHTTP { http in
            let client = TelegramClient(http: http, baseURL: fake.baseURL)
            fake.injectRateLimit(times: 2, retryAfter: 7)
            for _ in 0..<2 {
                let error = await integrationError {
                    _ = try await client.sendMessage(token: Self.botToken, chatID: "7", text: "once")
                }
                #expect(error == .rateLimited(retryAfter: .seconds(7)))
                #expect(error?.isRetryable == true)
            }
            #expect(fake.messages.count == 0)
            _ = try await client.sendMessage(token: Self.botToken, chatID: "7", text: "once")
            #expect(fake.deliveries(chatID: "7", text: "once") == 1)
            #expect(fake.sendAttempts == 3)
        }
        await fake.stop()
    }

    @Test func telegram_unknown_token_is_an_http_error_without_the_token() async throws {
        let fake = try await FakeTelegram.start(tokens: [Self.botToken])
        let wrong = "999999:AAH-wrong_secret_token"
        try await withHTTP { http in
            let client = TelegramClient(http: http, baseURL: fake.baseURL)
            let caught = await integrationError {
                _ = try await client.sendMessage(token: wrong, chatID: "1", text: "x")
            }
            let error = try #require(caught)
            #expect(error == .http(status: 401, platformCode: 401, description: "Unauthorized"))
            #expect(!error.isRetryable)
            #expect(!String(describing: error).contains("AAH"))
            #expect(!String(describing: error).contains(fake.baseURL))
        }
        await fake.stop()
    }

    @Test func telegram_token_that_would_change_the_path_is_not_sent() async throws {
        let fake = try await FakeTelegram.start(tokens: [Self.botToken])
        try await withHTTP { http in
            let client = TelegramClient(http: http, baseURL: fake.baseURL)
            for token in ["123:abc/../../bot123:abc", "123:abc?x=1", "", "abc:def", "123:ab c"] {
                let error = await integrationError {
                    _ = try await client.sendMessage(token: token, chatID: "1", text: "x")
                }
                #expect(error == .invalidRequest(reason: "the bot token is not a Telegram token"))
            }
            #expect(fake.sendAttempts == 0)
        }
        await fake.stop()
    }

    @Test func telegram_set_and_delete_webhook_send_the_parameters() async throws {
        let fake = try await FakeTelegram.start(tokens: [Self.botToken])
        try await withHTTP { http in
            let client = TelegramClient(http: http, baseURL: fake.baseURL)
            try await client.setWebhook(
                token: Self.botToken, url: "https://flows.example.com/hooks/telegram/ep_1",
                secretToken: "s3cr3t_-Token", allowedUpdates: ["message", "callback_query"])
            let set = try #require(fake.webhookCalls.last)
            #expect(set.method == "setWebhook")
            #expect(set.url == "https://flows.example.com/hooks/telegram/ep_1")
            #expect(set.secretToken == "s3cr3t_-Token")
            #expect(set.allowedUpdates == ["message", "callback_query"])
            #expect(set.dropPendingUpdates == false)

            // Telegram's own refusal (http URL) comes back as an HTTP error.
            let error = await integrationError {
                try await client.setWebhook(token: Self.botToken, url: "http://plain.example.com/x",
                                            secretToken: "abc", allowedUpdates: [])
            }
            #expect(error == .http(status: 400, platformCode: 400,
                                   description: "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"))

            try await client.deleteWebhook(token: Self.botToken)
            #expect(fake.webhookCalls.last?.method == "deleteWebhook")
            #expect(fake.webhookCalls.count == 2)
        }
        await fake.stop()
    }

    // MARK: Instagram Graph

    @Test func graph_private_reply_sends_the_send_api_body_with_a_bearer_token() async throws {
        let fake = try await FakeInstagramGraph.start(accounts: [Self.graphToken: Self.igUserID])
        try await withHTTP { http in
            let client = InstagramGraphClient(http: http, baseURL: fake.baseURL)
            let sent = try await client.privateReply(
                igUserID: Self.igUserID, commentID: "17858893269000001", text: "Merci ! Réponse en DM 💌",
                token: Self.graphToken)
            let call = try #require(fake.calls.last)
            #expect(call.kind == .privateReply)
            #expect(call.pathID == Self.igUserID)
            #expect(call.commentID == "17858893269000001")
            #expect(call.text == "Merci ! Réponse en DM 💌")
            #expect(call.tokenSource == .header)
            #expect(call.contentType.hasPrefix("application/json"))
            #expect(call.rawBody == #"{"message":{"text":"Merci ! Réponse en DM 💌"},"recipient":{"comment_id":"17858893269000001"}}"#)
            #expect(sent.messageID == call.resultID)

            // Meta allows one private reply per comment.
            let again = await integrationError {
                _ = try await client.privateReply(igUserID: Self.igUserID, commentID: "17858893269000001", text: "x",
                                                  token: Self.graphToken)
            }
            #expect(again == .http(status: 400, platformCode: 10900, description: "Activity already replied to"))
            #expect(again?.isRetryable == false)
        }
        await fake.stop()
    }

    @Test func graph_comment_reply_and_direct_message() async throws {
        let fake = try await FakeInstagramGraph.start(accounts: [Self.graphToken: Self.igUserID])
        try await withHTTP { http in
            let client = InstagramGraphClient(http: http, baseURL: fake.baseURL)
            let id = try await client.replyToComment(commentID: "17858893269000002", text: "Thanks!", token: Self.graphToken)
            let reply = try #require(fake.calls.last)
            #expect(reply.kind == .commentReply)
            #expect(reply.pathID == "17858893269000002")
            #expect(reply.rawBody == #"{"message":"Thanks!"}"#)
            #expect(id == reply.resultID)

            let dm = try await client.sendMessage(igUserID: Self.igUserID, recipientID: "6034000000000001", text: "Hi",
                                                  token: Self.graphToken)
            let call = try #require(fake.calls.last)
            #expect(call.kind == .directMessage)
            #expect(call.rawBody == #"{"message":{"text":"Hi"},"recipient":{"id":"6034000000000001"}}"#)
            #expect(dm.recipientID == "6034000000000001")
            #expect(fake.calls.all.allSatisfy { $0.tokenSource == .header })
        }
        await fake.stop()
    }

    @Test func graph_errors_are_mapped() async throws {
        let fake = try await FakeInstagramGraph.start(accounts: [Self.graphToken: Self.igUserID])
        try await withHTTP { http in
            let client = InstagramGraphClient(http: http, baseURL: fake.baseURL, defaultRateLimitBackoff: .seconds(90))
            func reply() async -> IntegrationError? {
                await integrationError {
                    _ = try await client.replyToComment(commentID: "1", text: "x", token: Self.graphToken)
                }
            }
            for code in [4, 17, 32, 613] {
                fake.injectError(.init(code: code, message: "(#\(code)) limit reached"))
                #expect(await reply() == .rateLimited(retryAfter: .seconds(90)))
            }
            fake.injectError(.serviceUnavailable)
            let unavailable = await reply()
            #expect(unavailable == .http(status: 500, platformCode: 2,
                                         description: "An unexpected error has occurred. Please retry your request later."))
            #expect(unavailable?.isRetryable == true)

            fake.injectError(.init(code: 100, subcode: 2018001, type: "OAuthException", message: "No matching user found"))
            #expect(await reply() == .http(status: 400, platformCode: 100,
                                           description: "No matching user found (subcode 2018001)"))

            let wrongToken = await integrationError {
                _ = try await client.replyToComment(commentID: "1", text: "x", token: "IGQVJ-not-a-known-token")
            }
            #expect(wrongToken == .http(status: 400, platformCode: 190,
                                        description: "Invalid OAuth access token - Cannot parse access token"))
            #expect(wrongToken?.isRetryable == false)

            let badID = await integrationError {
                _ = try await client.privateReply(igUserID: "../me", commentID: "1", text: "x", token: Self.graphToken)
            }
            #expect(badID == .invalidRequest(reason: "an Instagram id is not a plain id"))
            #expect(fake.calls.count == 0)
        }
        await fake.stop()
    }

    // MARK: OpenAI-compatible

    @Test func llm_chat_completion_returns_the_first_choice() async throws {
        let fake = try await FakeLLM.start(apiKeys: [Self.llmKey])
        try await withHTTP { http in
            let client = OpenAICompatibleClient(http: http)
            let result = try await client.chatCompletion(
                baseURL: fake.baseURL, apiKey: Self.llmKey, model: "gpt-4o-mini",
                messages: [.system("Be brief."), .user("Où est la gare ?")], temperature: 0.2, maxTokens: 64)
            #expect(result.content == "Answer: Où est la gare ?")
            #expect(result.model == "gpt-4o-mini")
            #expect(result.finishReason == "stop")
            #expect(result.promptTokens == 7)
            #expect(result.completionTokens == 6)

            let call = try #require(fake.chatCalls.last)
            #expect(call.apiKey == Self.llmKey)
            #expect(call.model == "gpt-4o-mini")
            #expect(call.messages == [.init(role: "system", content: "Be brief."), .init(role: "user", content: "Où est la gare ?")])
            #expect(call.temperature == 0.2)
            #expect(call.maxTokens == 64)

            // A base URL given with its /v1 (the usual form) reaches the same endpoint.
            let again = try await client.chatCompletion(
                baseURL: fake.baseURL + "/v1/", apiKey: Self.llmKey, model: "m", messages: [.user("second")])
            #expect(again.content == "Answer: second")
            #expect(fake.chatCalls.count == 2)
        }
        await fake.stop()
    }

    @Test func llm_wrong_key_error_carries_no_part_of_the_key() async throws {
        let fake = try await FakeLLM.start(apiKeys: [Self.llmKey])
        let wrong = "sk-wrong-secret-key-9876543210"
        try await withHTTP { http in
            let client = OpenAICompatibleClient(http: http)
            let caught = await integrationError {
                _ = try await client.chatCompletion(baseURL: fake.baseURL, apiKey: wrong, model: "m", messages: [.user("x")])
            }
            let error = try #require(caught)
            // The fake, like OpenAI, quotes the key masked ("sk-…3210"); none of it is kept.
            #expect(error == .http(status: 401, platformCode: nil, description: nil))
            #expect(!String(describing: error).contains("3210"))

            fake.injectError(.init(status: 429, retryAfter: 12))
            let limited = await integrationError {
                _ = try await client.chatCompletion(baseURL: fake.baseURL, apiKey: Self.llmKey, model: "m",
                                                    messages: [.user("x")])
            }
            #expect(limited == .rateLimited(retryAfter: .seconds(12)))

            fake.injectError(.init(status: 500))
            let failed = await integrationError {
                _ = try await client.chatCompletion(baseURL: fake.baseURL, apiKey: Self.llmKey, model: "m",
                                                    messages: [.user("x")])
            }
            #expect(failed?.isRetryable == true)
        }
        await fake.stop()
    }

    @Test func llm_transcription_uploads_multipart() async throws {
        let fake = try await FakeLLM.start(apiKeys: [Self.llmKey])
        try await withHTTP { http in
            let client = OpenAICompatibleClient(http: http)
            let audio: [UInt8] = Array("bonjour à tous".utf8) + [0x00, 0xFF, 0x0D, 0x0A, 0x2D, 0x2D]
            let text = try await client.transcribe(
                baseURL: fake.baseURL, apiKey: Self.llmKey, audio: ByteBuffer(bytes: audio),
                filename: "voice\"\r\nX-Injected: 1.ogg", mimeType: "audio/ogg", model: "whisper-1", language: "fr")
            #expect(text == "<\(audio.count) bytes of audio>")
            let call = try #require(fake.transcriptionCalls.last)
            #expect(call.audio == audio)
            #expect(call.model == "whisper-1")
            #expect(call.language == "fr")
            #expect(call.responseFormat == "json")
            #expect(call.mimeType == "audio/ogg")
            // Quotes and line breaks cannot forge part headers.
            #expect(call.filename == "voiceX-Injected: 1.ogg")

            let plain = try await client.transcribe(
                baseURL: fake.baseURL, apiKey: Self.llmKey, audio: ByteBuffer(string: "hello world"),
                filename: "a.mp3", mimeType: "audio/mpeg", model: "whisper-1")
            #expect(plain == "hello world")
            #expect(fake.transcriptionCalls.last?.language == nil)
        }
        await fake.stop()
    }

    // MARK: Bounds

    @Test func response_over_the_cap_is_refused() async throws {
        let telegram = try await FakeTelegram.start(tokens: [Self.botToken])
        let web = try await FakeWebServer.start()
        try await withHTTP(maxResponseBytes: 64) { http in
            // Declared length over the cap.
            let client = TelegramClient(http: http, baseURL: telegram.baseURL)
            let error = await integrationError {
                _ = try await client.sendMessage(token: Self.botToken, chatID: "1", text: "x")
            }
            #expect(error == .responseTooLarge)
            #expect(error?.isRetryable == false)
        }
        try await withHTTP(maxResponseBytes: 100_000) { http in
            // No declared length: reading stops at the cap.
            let error = await integrationError {
                _ = try await http.send(.init(method: .GET, url: web.baseURL + "/stream?bytes=5000000"),
                                        integration: "test", operation: "stream")
            }
            #expect(error == .responseTooLarge)
            let small = try await http.send(.init(method: .GET, url: web.baseURL + "/stream?bytes=99000"),
                                            integration: "test", operation: "stream")
            #expect(small.body.readableBytes == 99000)
        }
        await telegram.stop()
        await web.stop()
    }

    @Test func stalled_platform_times_out() async throws {
        let fake = try await FakeLLM.start(apiKeys: [Self.llmKey])
        fake.stall()
        try await withHTTP { http in
            let client = OpenAICompatibleClient(http: http)
            let error = await integrationError {
                _ = try await client.chatCompletion(baseURL: fake.baseURL, apiKey: Self.llmKey, model: "m",
                                                    messages: [.user("x")], timeout: .milliseconds(300))
            }
            #expect(error == .timeout)
            #expect(error?.isRetryable == true)
            #expect(fake.arrived == 1)
        }
        fake.release()
        #expect(fake.chatCalls.count <= 1)
        await fake.stop()
    }

    @Test func closed_port_is_a_transport_error() async throws {
        // Bind, note the port, stop: nothing listens there any more.
        let web = try await FakeWebServer.start()
        let url = web.baseURL
        await web.stop()
        try await withHTTP { http in
            let client = TelegramClient(http: http, baseURL: url)
            let caught = await integrationError {
                _ = try await client.sendMessage(token: Self.botToken, chatID: "1", text: "x")
            }
            let error = try #require(caught)
            guard case .transport = error else {
                Issue.record("expected a transport error, got \(error)")
                return
            }
            #expect(error.isRetryable)
            #expect(!String(describing: error).contains(Self.botToken))
            #expect(!String(describing: error).contains("127.0.0.1"))
        }
    }

    // MARK: Secrets

    /// Every failure path, logged: no token, key, URL or path in any line.
    @Test func no_token_or_url_in_errors_or_logs() async throws {
        let logs = LogCapture()
        let telegram = try await FakeTelegram.start(tokens: [Self.botToken])
        let graph = try await FakeInstagramGraph.start(accounts: [Self.graphToken: Self.igUserID])
        let llm = try await FakeLLM.start(apiKeys: [Self.llmKey])
        let closed = try await FakeWebServer.start()
        let closedURL = closed.baseURL
        await closed.stop()
        var descriptions: [String] = []
        try await withHTTP(logs: logs) { http in
            let tg = TelegramClient(http: http, baseURL: telegram.baseURL)
            let ig = InstagramGraphClient(http: http, baseURL: graph.baseURL)
            let ai = OpenAICompatibleClient(http: http)
            telegram.injectRateLimit(times: 1, retryAfter: 3)
            let attempts: [() async throws -> Void] = [
                { _ = try await tg.sendMessage(token: Self.botToken, chatID: "1", text: "x") },
                { _ = try await tg.sendMessage(token: Self.botToken, chatID: "1", text: "x") },
                { _ = try await tg.sendMessage(token: "123456:AAH-unknown_Token", chatID: "1", text: "x") },
                { try await tg.setWebhook(token: Self.botToken, url: "http://x", secretToken: "hook_secret", allowedUpdates: []) },
                { _ = try await TelegramClient(http: http, baseURL: closedURL).sendMessage(token: Self.botToken, chatID: "1", text: "x") },
                { _ = try await ig.replyToComment(commentID: "1", text: "x", token: "IGQVJ-unknown-graph-token") },
                { _ = try await ig.privateReply(igUserID: "999", commentID: "1", text: "x", token: Self.graphToken) },
                { _ = try await ai.chatCompletion(baseURL: llm.baseURL, apiKey: "sk-unknown-secret-1234567", model: "m", messages: [.user("x")]) },
                { _ = try await ai.chatCompletion(baseURL: closedURL, apiKey: Self.llmKey, model: "m", messages: [.user("x")]) },
            ]
            for attempt in attempts {
                if let error = await integrationError(attempt) {
                    descriptions.append(String(describing: error))
                }
            }
        }
        #expect(descriptions.count == 8)  // the second Telegram call succeeds
        let lines = logs.lines
        #expect(lines.contains { $0.contains("integration call failed") })
        let secrets = [Self.botToken, "AAH-", "AAH-unknown", Self.graphToken, "IGQVJ", Self.llmKey, "sk-unknown",
                       "1234567", "hook_secret", "/bot", "127.0.0.1", "http://", "Bearer"]
        for text in descriptions + lines {
            for secret in secrets {
                #expect(!text.contains(secret), "\(secret) leaked into: \(text)")
            }
        }
        await telegram.stop()
        await graph.stop()
        await llm.stop()
    }

    // MARK: Fakes' webhook builders

    @Test func meta_webhook_payload_is_escaped_and_signed_like_meta() throws {
        #expect(MetaWebhook.escape("é😀/\"") == #""\u00e9\ud83d\ude00\/\"""#)
        let body = MetaWebhook.payload([
            .comments(accountID: "1784", time: 1_700_000_000, [
                MetaWebhook.Comment(id: "c1", text: "Prix ? 💶 https://x.y/z", fromID: "u1"),
                MetaWebhook.Comment(id: "c2", text: "ok", fromID: "u2", parentID: "c1"),
            ]),
            .messages(accountID: "1784", time: 1_700_000_000_000, [
                MetaWebhook.Message(mid: "m1", senderID: "1784", recipientID: "u3", text: "echo", isEcho: true),
            ]),
        ])
        #expect(body.allSatisfy { $0 < 0x80 })
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""text":"Prix ? \ud83d\udcb6 https:\/\/x.y\/z""#))
        let object = try jsonObject(text)
        let entries = try #require(object["entry"] as? [[String: Any]])
        #expect(object["object"] as? String == "instagram")
        #expect(entries.count == 2)
        let changes = try #require(entries[0]["changes"] as? [[String: Any]])
        let value = try #require(changes[0]["value"] as? [String: Any])
        #expect(value["text"] as? String == "Prix ? 💶 https://x.y/z")
        // RFC 4231-style known answer for HMAC-SHA256.
        #expect(MetaWebhook.signature(body: Array("The quick brown fox jumps over the lazy dog".utf8), appSecret: "key")
            == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        let update = try jsonObject(String(decoding: TelegramUpdates.message(updateID: 5, chatID: 42, text: "/start"), as: UTF8.self))
        #expect(update["update_id"] as? Int == 5)
    }
}
