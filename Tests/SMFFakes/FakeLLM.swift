import Foundation
import Synchronization
import Vapor

/// A local OpenAI-compatible server: `POST /v1/chat/completions` and
/// `POST /v1/audio/transcriptions` (multipart), with OpenAI's envelopes.
///
/// Answers are deterministic: by default "Answer: <last user message>".
/// `stall()` holds every request until `release()` (the crash test kills a
/// worker while its calls are held).
public final class FakeLLM: Sendable {
    public struct ChatCall: Sendable, Equatable {
        public var apiKey: String
        public var model: String
        /// (role, content) pairs as received.
        public var messages: [Message]
        public var temperature: Double?
        public var maxTokens: Int?
        public var rawBody: String
        public var answer: String
    }

    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public struct TranscriptionCall: Sendable, Equatable {
        public var apiKey: String
        public var model: String?
        public var language: String?
        public var responseFormat: String?
        public var filename: String?
        /// The file part's `Content-Type`.
        public var mimeType: String?
        public var audio: [UInt8]
        public var text: String
    }

    /// An error answer to give instead of the normal one.
    public struct InjectedError: Sendable {
        public var status: Int
        public var retryAfter: Int?

        public init(status: Int, retryAfter: Int? = nil) {
            self.status = status
            self.retryAfter = retryAfter
        }
    }

    public let server: FakeHTTPServer
    let state: State

    /// `http://127.0.0.1:<port>` (the client appends `/v1/…`).
    public var baseURL: String { server.baseURL }
    public var port: Int { server.port }
    /// Answered chat completions.
    public var chatCalls: CallLog<ChatCall> { state.chatCalls }
    /// Answered transcriptions.
    public var transcriptionCalls: CallLog<TranscriptionCall> { state.transcriptionCalls }

    private init(state: State, server: FakeHTTPServer) {
        self.state = state
        self.server = server
    }

    /// Starts the fake on 127.0.0.1.
    /// - Parameters:
    ///   - apiKeys: keys it accepts; others get OpenAI's 401.
    ///   - answer: the completion for a conversation (default: "Answer: " + last user message).
    ///   - transcript: the text for an uploaded file (default: the bytes as UTF-8,
    ///     or "<n bytes of audio>").
    public static func start(
        apiKeys: Set<String>, port: Int = 0,
        answer: (@Sendable ([Message]) -> String)? = nil,
        transcript: (@Sendable ([UInt8]) -> String)? = nil,
        logger: Logger? = nil
    ) async throws -> FakeLLM {
        let state = State(apiKeys: apiKeys, answer: answer ?? FakeLLM.defaultAnswer,
                          transcript: transcript ?? FakeLLM.defaultTranscript)
        let server = try await FakeHTTPServer.start(port: port, logger: logger) { app in
            app.on(.POST, "v1", "chat", "completions", body: .collect(maxSize: "4mb")) { req async in
                await state.chat(req)
            }
            app.on(.POST, "v1", "audio", "transcriptions", body: .collect(maxSize: "32mb")) { req async in
                await state.transcription(req)
            }
            app.get("_fake", "stats") { _ in
                FakeWire.json(.ok, ["chat": state.chatCalls.count, "transcriptions": state.transcriptionCalls.count,
                                    "arrived": state.arrived.withLock { $0 }, "held": state.gate.held])
            }
        }
        return FakeLLM(state: state, server: server)
    }

    /// Releases held requests, then stops.
    public func stop() async {
        state.gate.release()
        await server.stop()
    }

    public static let defaultAnswer: @Sendable ([Message]) -> String = { messages in
        "Answer: " + (messages.last(where: { $0.role == "user" })?.content ?? "")
    }

    public static let defaultTranscript: @Sendable ([UInt8]) -> String = { bytes in
        if let text = String(validating: bytes, as: UTF8.self), !text.isEmpty { return text }
        return "<\(bytes.count) bytes of audio>"
    }

    /// From now on, requests wait (after being counted in `arrived`) until `release()`.
    public func stall() { state.gate.stall() }
    /// Lets every held request through and stops holding new ones.
    public func release() { state.gate.release() }
    /// Requests currently held by the stall gate.
    public var held: Int { state.gate.held }
    /// Requests that arrived (answered, refused or held).
    public var arrived: Int { state.arrived.withLock { $0 } }

    /// Waits until `count` requests are held by the gate.
    public func waitUntilHeld(count: Int, timeout: Duration = .seconds(60)) async throws {
        try await FakeWait.until(timeout: timeout, expected: count) { self.held }
    }

    /// The next `times` requests get `error` (500 "server_error", 429 with
    /// `Retry-After`, …).
    public func injectError(_ error: InjectedError, times: Int = 1) {
        state.errors.add(error, times: times)
    }

    final class State: Sendable {
        let chatCalls = CallLog<ChatCall>()
        let transcriptionCalls = CallLog<TranscriptionCall>()
        let apiKeys: Set<String>
        let answer: @Sendable ([Message]) -> String
        let transcript: @Sendable ([UInt8]) -> String
        let gate = StallGate()
        let errors = Injections<InjectedError>()
        let arrived = Mutex(0)
        let sequence = Mutex(0)

        init(apiKeys: Set<String>, answer: @escaping @Sendable ([Message]) -> String,
             transcript: @escaping @Sendable ([UInt8]) -> String) {
            self.apiKeys = apiKeys
            self.answer = answer
            self.transcript = transcript
        }

        static func failure(_ status: Int, message: String, type: String, code: String?,
                            headers: HTTPHeaders = [:]) -> Response {
            let error: [String: Any] = ["message": message, "type": type, "param": NSNull(),
                                        "code": code.map { $0 as Any } ?? NSNull()]
            return FakeWire.json(HTTPResponseStatus(statusCode: status), ["error": error], headers: headers)
        }

        /// Counts, holds while stalled, then checks the key the way OpenAI
        /// does (its 401 quotes the key masked: kept here, the client must
        /// not pass it on).
        private func admit(_ req: Request) async -> Result<String, RefusedResponse> {
            arrived.withLock { $0 += 1 }
            await gate.pass()
            guard let key = FakeWire.bearerToken(req), apiKeys.contains(key) else {
                let given = FakeWire.bearerToken(req) ?? ""
                let masked = given.count > 8 ? "\(given.prefix(3))****\(given.suffix(4))" : "****"
                return .failure(RefusedResponse(Self.failure(
                    401, message: "Incorrect API key provided: \(masked). You can find your API key at https://platform.openai.com/account/api-keys.",
                    type: "invalid_request_error", code: "invalid_api_key")))
            }
            if let injected = errors.next() {
                var headers: HTTPHeaders = [:]
                if let retryAfter = injected.retryAfter { headers.add(name: "Retry-After", value: String(retryAfter)) }
                let response = injected.status == 429
                    ? Self.failure(429, message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded",
                                   headers: headers)
                    : Self.failure(injected.status, message: "The server had an error while processing your request. Sorry about that!",
                                   type: "server_error", code: nil, headers: headers)
                return .failure(RefusedResponse(response))
            }
            return .success(key)
        }

        func chat(_ req: Request) async -> Response {
            let key: String
            switch await admit(req) {
            case .failure(let refused): return refused.response
            case .success(let value): key = value
            }
            let raw = FakeWire.bodyString(req)
            guard let body = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any],
                  let model = body["model"] as? String,
                  let rawMessages = body["messages"] as? [[String: Any]], !rawMessages.isEmpty
            else {
                return Self.failure(400, message: "'messages' is a required property", type: "invalid_request_error", code: nil)
            }
            let messages = rawMessages.map { message in
                Message(role: message["role"] as? String ?? "", content: Self.content(message["content"]))
            }
            let text = answer(messages)
            let id = sequence.withLock { value -> Int in
                value += 1
                return value
            }
            chatCalls.append(ChatCall(
                apiKey: key, model: model, messages: messages, temperature: (body["temperature"] as? NSNumber)?.doubleValue,
                maxTokens: (body["max_tokens"] as? NSNumber)?.intValue, rawBody: raw, answer: text))
            let promptTokens = messages.reduce(0) { $0 + Self.words($1.content) }
            let completionTokens = Self.words(text)
            let result: [String: Any] = [
                "id": "chatcmpl-fake\(id)",
                "object": "chat.completion",
                "created": Int64(Date().timeIntervalSince1970),
                "model": model,
                "choices": [[
                    "index": 0,
                    "message": ["role": "assistant", "content": text, "refusal": NSNull()] as [String: Any],
                    "logprobs": NSNull(),
                    "finish_reason": "stop",
                ] as [String: Any]],
                "usage": ["prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                          "total_tokens": promptTokens + completionTokens],
                "system_fingerprint": "fp_fake",
            ]
            return FakeWire.json(.ok, result)
        }

        func transcription(_ req: Request) async -> Response {
            let key: String
            switch await admit(req) {
            case .failure(let refused): return refused.response
            case .success(let value): key = value
            }
            guard let contentType = req.headers.contentType, contentType.type == "multipart",
                  let boundary = contentType.parameters["boundary"],
                  let parts = try? Self.multipartParts(FakeWire.bodyBytes(req), boundary: boundary),
                  let file = parts.first(where: { $0.name == "file" })
            else {
                return Self.failure(400, message: "Could not parse multipart form", type: "invalid_request_error", code: nil)
            }
            func field(_ name: String) -> String? {
                parts.first(where: { $0.name == name }).map { String(decoding: $0.body, as: UTF8.self) }
            }
            guard let model = field("model") else {
                return Self.failure(400, message: "you must provide a model parameter", type: "invalid_request_error", code: nil)
            }
            let text = transcript(file.body)
            transcriptionCalls.append(TranscriptionCall(
                apiKey: key, model: model, language: field("language"), responseFormat: field("response_format"),
                filename: file.filename, mimeType: file.contentType, audio: file.body, text: text))
            return FakeWire.json(.ok, ["text": text])
        }

        static func content(_ value: Any?) -> String {
            if let text = value as? String { return text }
            // The array form: [{"type":"text","text":"…"}, …]
            if let parts = value as? [[String: Any]] {
                return parts.compactMap { $0["text"] as? String }.joined()
            }
            return ""
        }

        static func words(_ text: String) -> Int {
            text.split(whereSeparator: \.isWhitespace).count
        }

        struct Part {
            var name: String?
            var filename: String?
            var contentType: String?
            var body: [UInt8]
        }

        /// Splits a multipart/form-data body (MultipartKit's parser).
        static func multipartParts(_ bytes: [UInt8], boundary: String) throws -> [Part] {
            let parser = MultipartParser(boundary: boundary)
            // The parser calls back synchronously inside `execute`.
            final class Collector {
                var parts: [Part] = []
                var headers: [(String, String)] = []
                var body: [UInt8] = []
            }
            let collector = Collector()
            parser.onHeader = { name, value in collector.headers.append((name, value)) }
            parser.onBody = { buffer in collector.body += buffer.readBytes(length: buffer.readableBytes) ?? [] }
            parser.onPartComplete = {
                var part = Part(body: collector.body)
                for (name, value) in collector.headers {
                    switch name.lowercased() {
                    case "content-disposition":
                        part.name = Self.dispositionParameter("name", in: value)
                        part.filename = Self.dispositionParameter("filename", in: value)
                    case "content-type":
                        part.contentType = value
                    default:
                        break
                    }
                }
                collector.parts.append(part)
                collector.headers = []
                collector.body = []
            }
            try parser.execute(bytes)
            return collector.parts
        }

        static func dispositionParameter(_ name: String, in value: String) -> String? {
            for piece in value.split(separator: ";") {
                let trimmed = piece.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix(name + "=") else { continue }
                var result = String(trimmed.dropFirst(name.count + 1))
                if result.hasPrefix("\""), result.hasSuffix("\""), result.count >= 2 {
                    result = String(result.dropFirst().dropLast())
                }
                return result
            }
            return nil
        }
    }

    struct RefusedResponse: Error {
        let response: Response
        init(_ response: Response) { self.response = response }
    }
}
