import Foundation
import NIOCore
import SMFCore
import SMFSecurity
import Vapor

/// Runs the node types that leave the process, over the integrations
/// (Telegram, Instagram Graph, OpenAI-compatible) and the SSRF-guarded
/// fetcher. Credentials were opened once for the execution; their secrets
/// are handed to the clients and never to a step record (the engine's
/// `Redactor` knows them too, as a second line).
struct ServerNodeRunner: ExternalNodeRunner {
    let services: ExecutionServices
    /// Credential id → opened material, for the credentials the flow references.
    let credentials: [UUID: CredentialMaterial]

    func run(_ request: NodeRequest) async throws -> NodeResult {
        do {
            switch request.type.id {
            case "llm.chat": return try await chat(request)
            case "http.request": return try await fetch(request)
            case "transcribe.audio": return try await transcribe(request)
            case "telegram.send_message": return try await telegramSend(request)
            case "instagram.private_reply", "instagram.reply_comment", "instagram.send_message":
                return try await instagram(request)
            default:
                throw NodeFailure.permanent("no runner for node type \(request.type.id)")
            }
        } catch let error as IntegrationError {
            throw NodeFailure(error.description, retryable: error.isRetryable, retryAfter: error.retryAfter)
        } catch let refusal as OutboundRefusal {
            throw NodeFailure.permanent("refused outbound request: \(refusal)")
        }
    }

    // MARK: - Processors

    private func chat(_ request: NodeRequest) async throws -> NodeResult {
        let credential = try material(request, kind: .llmOpenAICompatible)
        let (baseURL, apiKey) = try llmEndpoint(credential)
        let input = request.inputs["input"]?.compactMap(\.textValue).joined(separator: "\n") ?? ""
        var messages: [OpenAICompatibleClient.ChatMessage] = []
        if let system = request.rendered("system_prompt"), !system.isEmpty {
            messages.append(.init(role: "system", content: system))
        }
        messages.append(.init(role: "user", content: input))
        // Vetted and pinned in one step (PinnedLLMConnector: no second DNS answer).
        let answer = try await services.llmConnector.withClient(baseURL: baseURL) { llm in
            try await llm.chatCompletion(
                baseURL: baseURL, apiKey: apiKey, model: request.settings["model"]?.stringValue ?? "",
                messages: messages, temperature: request.settings["temperature"]?.doubleValue ?? 0.7,
                maxTokens: request.settings["max_tokens"]?.integerValue.map { Int($0) } ?? 1024,
                timeout: timeout(request, default: 30))
        }
        return NodeResult(outputs: ["output": .text(answer.content)])
    }

    private func fetch(_ request: NodeRequest) async throws -> NodeResult {
        guard let url = request.rendered("url", escape: Self.percentEncoded), let method = request.settings["method"]?.stringValue else {
            throw NodeFailure.permanent("http.request needs method and url")
        }
        var headers = HTTPHeaders()
        var sensitive: Set<String> = []
        if case .array(let items)? = request.settings["headers"] {
            for item in items {
                if let name = item["name"]?.stringValue, let value = item["value"]?.stringValue {
                    headers.add(name: name, value: request.templates.render(value))
                }
            }
        }
        if let id = request.settings["credential"]?.stringValue, let credentialID = UUID(uuidString: id),
           let credential = credentials[credentialID], credential.kind == .httpHeader,
           let name = credential.publicFields["header_name"], let value = credential.secrets.reveal("header_value") {
            headers.replaceOrAdd(name: name, value: value)
            sensitive.insert(name.lowercased())
        }
        let body = request.rendered("body").map { ByteBuffer(string: $0) }
        var fetcher = services.fetcher
        fetcher.timeout = timeout(request, default: 30)
        let response = try await fetcher.fetch(.init(
            method: HTTPMethod(rawValue: method), url: url, headers: headers, body: body, sensitiveHeaderNames: sensitive))
        let text = response.body.getString(at: response.body.readerIndex, length: response.body.readableBytes) ?? ""
        let parsed = (try? JSONValue(parsing: text, maxDepth: 32)) ?? .string(text)
        return NodeResult(outputs: ["response": .json(.object([
            "status": .integer(Int64(response.status.code)), "body": parsed,
        ]))])
    }

    private func transcribe(_ request: NodeRequest) async throws -> NodeResult {
        let credential = try material(request, kind: .llmOpenAICompatible)
        let (baseURL, apiKey) = try llmEndpoint(credential)
        // Refuse a private base URL before the media is downloaded; the
        // upload itself is vetted again and pinned below.
        _ = try await services.outbound.vet(baseURL)
        guard case .media(let media)? = request.inputs["audio"]?.first else {
            throw NodeFailure.permanent("transcribe.audio got no media")
        }
        guard let url = media.url else {
            // Telegram voice notes arrive as file ids; fetching them needs the
            // bot's getFile and is not implemented yet.
            throw NodeFailure.permanent("only media with a URL can be transcribed")
        }
        var fetcher = services.fetcher
        fetcher.maxResponseBytes = 25 << 20
        let audio = try await fetcher.fetch(.init(method: .GET, url: url))
        let text = try await services.llmConnector.withClient(baseURL: baseURL) { llm in
            try await llm.transcribe(
                baseURL: baseURL, apiKey: apiKey, audio: audio.body, filename: "audio", mimeType: media.mimeType,
                model: request.settings["model"]?.stringValue ?? "whisper-1",
                language: request.settings["language"]?.stringValue, timeout: timeout(request, default: 60))
        }
        return NodeResult(outputs: ["text": .text(text)])
    }

    // MARK: - Actions

    private func telegramSend(_ request: NodeRequest) async throws -> NodeResult {
        let credential = try material(request, kind: .telegramBot)
        guard let token = credential.secrets.reveal("bot_token") else { throw NodeFailure.permanent("the bot credential has no token") }
        guard let chat = request.message["chat"]?["id"], let chatID = chat.integerValue.map(String.init) ?? chat.stringValue else {
            throw NodeFailure.permanent("the trigger message has no Telegram chat to answer")
        }
        let text = request.rendered("text") ?? ""
        // "plain" (the default) sends no parse_mode: Telegram then formats nothing.
        let mode = request.settings["parse_mode"]?.stringValue.flatMap(TelegramClient.ParseMode.init(rawValue:))
        let sent = try await services.telegram.sendMessage(token: token, chatID: chatID, text: text, parseMode: mode)
        return NodeResult(outputs: ["sent": .json(.object(["message_id": .integer(sent.messageID)]))])
    }

    private func instagram(_ request: NodeRequest) async throws -> NodeResult {
        let credential = try material(request, kind: .instagramAccount)
        guard let token = credential.secrets.reveal("access_token") else {
            throw NodeFailure.permanent("the Instagram credential has no access token")
        }
        let text = request.rendered("text") ?? ""
        let igUserID = credential.publicFields["ig_user_id"] ?? request.message["account_id"]?.stringValue ?? ""
        switch request.type.id {
        case "instagram.private_reply":
            guard let comment = request.message["comment_id"]?.stringValue else {
                throw NodeFailure.permanent("the trigger message is not an Instagram comment")
            }
            let sent = try await services.instagram.privateReply(igUserID: igUserID, commentID: comment, text: text, token: token)
            return NodeResult(outputs: ["sent": .json(.object(["message_id": .string(sent.messageID)]))])
        case "instagram.reply_comment":
            guard let comment = request.message["comment_id"]?.stringValue else {
                throw NodeFailure.permanent("the trigger message is not an Instagram comment")
            }
            let id = try await services.instagram.replyToComment(commentID: comment, text: text, token: token)
            return NodeResult(outputs: ["sent": .json(.object(["comment_id": .string(id)]))])
        default:
            guard let recipient = request.message["from"]?["id"]?.stringValue else {
                throw NodeFailure.permanent("the trigger message has no Instagram sender to answer")
            }
            let sent = try await services.instagram.sendMessage(igUserID: igUserID, recipientID: recipient, text: text, token: token)
            return NodeResult(outputs: ["sent": .json(.object(["message_id": .string(sent.messageID)]))])
        }
    }

    // MARK: - Helpers

    private func material(_ request: NodeRequest, kind: CredentialKind) throws -> CredentialMaterial {
        guard let id = request.settings["credential"]?.stringValue.flatMap(UUID.init(uuidString:)),
              let credential = credentials[id], credential.kind == kind
        else { throw NodeFailure.permanent("the node's \(kind.rawValue) credential is missing or could not be opened") }
        return credential
    }

    private func llmEndpoint(_ credential: CredentialMaterial) throws -> (String, String) {
        guard let base = credential.publicFields["base_url"], let key = credential.secrets.reveal("api_key") else {
            throw NodeFailure.permanent("the LLM credential needs base_url and api_key")
        }
        return (base, key)
    }

    private func timeout(_ request: NodeRequest, default seconds: Int64) -> Duration {
        .seconds(request.settings["timeout_seconds"]?.integerValue ?? seconds)
    }

    /// Values substituted into a URL template are percent-encoded, so a
    /// message cannot add path segments, a query or another host.
    static func percentEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlUnreservedSMF) ?? ""
    }
}

extension CharacterSet {
    /// RFC 3986 unreserved characters.
    static let urlUnreservedSMF = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

extension IntegrationError {
    /// How long the platform asked us to wait (Telegram 429 `retry_after`).
    var retryAfter: Duration? {
        if case .rateLimited(let after) = self { return after }
        return nil
    }
}
