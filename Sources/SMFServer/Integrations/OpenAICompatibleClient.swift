import Foundation
import NIOCore
import NIOHTTP1

/// Any server speaking OpenAI's chat-completions and transcription API
/// (OpenAI itself, vLLM, llama.cpp, Ollama, …).
///
/// The base URL comes from a user's credential: the integrator must vet it
/// like any user URL (the shared client follows no redirects). The key goes in
/// `Authorization: Bearer`; OpenAI echoes part of a wrong key in its 401
/// text, so that text is dropped.
public struct OpenAICompatibleClient: Sendable {
    public let http: IntegrationHTTP

    public init(http: IntegrationHTTP) {
        self.http = http
    }

    /// One chat message.
    public struct ChatMessage: Sendable, Codable, Equatable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
        public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
        public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
    }

    /// The first choice's text and the token usage the server reported.
    public struct ChatCompletion: Sendable, Equatable {
        public var content: String
        public var model: String?
        public var finishReason: String?
        public var promptTokens: Int?
        public var completionTokens: Int?
    }

    /// `POST {base}/v1/chat/completions`.
    /// - Parameters:
    ///   - baseURL: the server's root, with or without a trailing `/v1`.
    ///   - timeout: overrides the client's deadline (LLMs can be slow).
    public func chatCompletion(
        baseURL: String, apiKey: String, model: String, messages: [ChatMessage],
        temperature: Double? = nil, maxTokens: Int? = nil, timeout: Duration? = nil
    ) async throws(IntegrationError) -> ChatCompletion {
        struct Body: Encodable {
            var model: String
            var messages: [ChatMessage]
            var temperature: Double?
            var max_tokens: Int?
        }
        let body = Body(model: model, messages: messages, temperature: temperature, max_tokens: maxTokens)
        var headers = try authorization(apiKey)
        headers.add(contentsOf: IntegrationJSON.jsonHeaders)
        let request = IntegrationRequest(
            method: .POST, url: Self.endpoint(baseURL, "chat/completions"), headers: headers,
            body: IntegrationJSON.encode(body))
        let response = try await http.send(request, integration: "llm", operation: "chatCompletion", timeout: timeout)
        try check(response, apiKey: apiKey)

        struct Result: Decodable {
            struct Choice: Decodable {
                struct Message: Decodable { var content: String? }
                var message: Message?
                var finish_reason: String?
            }
            struct Usage: Decodable {
                var prompt_tokens: Int?
                var completion_tokens: Int?
            }
            var model: String?
            var choices: [Choice]
            var usage: Usage?
        }
        guard let result = IntegrationJSON.decode(Result.self, from: response.body),
              let first = result.choices.first, let content = first.message?.content
        else {
            throw .malformedResponse
        }
        return ChatCompletion(
            content: content, model: result.model, finishReason: first.finish_reason,
            promptTokens: result.usage?.prompt_tokens, completionTokens: result.usage?.completion_tokens)
    }

    /// `POST {base}/v1/audio/transcriptions` (multipart/form-data); returns
    /// the transcript.
    public func transcribe(
        baseURL: String, apiKey: String, audio: ByteBuffer, filename: String, mimeType: String,
        model: String, language: String? = nil, timeout: Duration? = nil
    ) async throws(IntegrationError) -> String {
        let boundary = "smflow-" + (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        var fields = [("model", model), ("response_format", "json")]
        if let language { fields.append(("language", language)) }
        let body = Self.multipartBody(
            boundary: boundary, fields: fields, fileField: "file", filename: filename, mimeType: mimeType, file: audio)
        var headers = try authorization(apiKey)
        headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        headers.add(name: "Accept", value: "application/json")
        let request = IntegrationRequest(
            method: .POST, url: Self.endpoint(baseURL, "audio/transcriptions"), headers: headers, body: body)
        let response = try await http.send(request, integration: "llm", operation: "transcribe", timeout: timeout)
        try check(response, apiKey: apiKey)
        struct Result: Decodable { var text: String }
        guard let result = IntegrationJSON.decode(Result.self, from: response.body) else { throw .malformedResponse }
        return result.text
    }

    /// `{base}/v1/{path}`, accepting a base that already ends in `/v1`
    /// (the form most OpenAI-compatible servers document).
    static func endpoint(_ baseURL: String, _ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if !base.hasSuffix("/v1") { base += "/v1" }
        return "\(base)/\(path)"
    }

    private func authorization(_ apiKey: String) throws(IntegrationError) -> HTTPHeaders {
        guard !apiKey.isEmpty, !apiKey.contains(where: { $0.isNewline || $0 == " " }) else {
            throw .invalidRequest(reason: "the API key is not usable")
        }
        return ["Authorization": "Bearer \(apiKey)"]
    }

    /// OpenAI's error envelope `{"error":{"message","type","code"}}`; 429 with
    /// `Retry-After`.
    private func check(_ response: IntegrationResponse, apiKey: String) throws(IntegrationError) {
        let status = Int(response.status.code)
        if (200..<300).contains(status) { return }
        if status == 429 {
            throw .rateLimited(retryAfter: .seconds(response.headers.retryAfterSeconds ?? 1))
        }
        struct Envelope: Decodable {
            struct APIError: Decodable { var message: String? }
            var error: APIError
        }
        // A 401/403 text may quote a masked key; keep none of it.
        let text = (status == 401 || status == 403)
            ? nil : IntegrationJSON.decode(Envelope.self, from: response.body)?.error.message
        throw .http(status: status, platformCode: nil,
                    description: IntegrationError.sanitizedDescription(text, removing: [apiKey]))
    }

    /// A multipart/form-data body (RFC 7578). Names and the file name are
    /// ours or sanitised: quotes and line breaks would forge part headers.
    static func multipartBody(
        boundary: String, fields: [(String, String)], fileField: String, filename: String, mimeType: String,
        file: ByteBuffer
    ) -> ByteBuffer {
        func clean(_ text: String) -> String {
            String(text.unicodeScalars.filter { $0 != "\"" && $0 != "\\" && !CharacterSet.newlines.contains($0)
                && !CharacterSet.controlCharacters.contains($0) }.map(Character.init))
        }
        var buffer = ByteBuffer()
        for (name, value) in fields {
            buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(clean(name))\"\r\n\r\n")
            buffer.writeString(value)
            buffer.writeString("\r\n")
        }
        let safeName = clean(filename).isEmpty ? "audio" : clean(filename)
        let safeType = clean(mimeType).isEmpty ? "application/octet-stream" : clean(mimeType)
        buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(clean(fileField))\"; filename=\"\(safeName)\"\r\n")
        buffer.writeString("Content-Type: \(safeType)\r\n\r\n")
        var audio = file
        buffer.writeBuffer(&audio)
        buffer.writeString("\r\n--\(boundary)--\r\n")
        return buffer
    }
}
