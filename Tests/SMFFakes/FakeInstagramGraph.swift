import Foundation
import Synchronization
import Vapor

/// A local Instagram Graph API: private replies and DMs
/// (`POST /{version}/{ig-user-id}/messages`) and public comment replies
/// (`POST /{version}/{comment-id}/replies`), with Graph's error envelope.
///
/// Requests must carry `Authorization: Bearer <token>` of a known account
/// (a token in the query string is accepted, as Graph does, but recorded as
/// such so tests can insist on the header).
public final class FakeInstagramGraph: Sendable {
    public enum Kind: String, Sendable, Equatable {
        case privateReply
        case directMessage
        case commentReply
    }

    public enum TokenSource: String, Sendable, Equatable {
        case header
        case query
    }

    /// One call the fake accepted.
    public struct Call: Sendable, Equatable {
        public var kind: Kind
        /// The path's id: the IG user id (messages) or the comment id (replies).
        public var pathID: String
        /// `recipient.comment_id` (private reply) or the replied comment.
        public var commentID: String?
        /// `recipient.id` (DM).
        public var recipientID: String?
        public var text: String
        public var token: String
        public var tokenSource: TokenSource
        public var contentType: String
        public var rawBody: String
        /// The id the fake answered with (`message_id` or the new comment id).
        public var resultID: String
    }

    /// A Graph error to answer with instead of the normal answer.
    public struct GraphError: Sendable {
        public var httpStatus: Int
        public var code: Int
        public var subcode: Int?
        public var type: String
        public var message: String

        public init(httpStatus: Int = 400, code: Int, subcode: Int? = nil, type: String = "OAuthException",
                    message: String) {
            self.httpStatus = httpStatus
            self.code = code
            self.subcode = subcode
            self.type = type
            self.message = message
        }

        /// Graph's application-level rate limit (code 4).
        public static let applicationRateLimit = GraphError(code: 4, message: "(#4) Application request limit reached")
        /// Graph's transient server error (code 2).
        public static let serviceUnavailable = GraphError(
            httpStatus: 500, code: 2, type: "OAuthException", message: "An unexpected error has occurred. Please retry your request later.")
    }

    public let server: FakeHTTPServer
    let state: State

    /// `http://127.0.0.1:<port>/v21.0`, the form of Graph's base URL.
    public var baseURL: String { server.baseURL + "/v21.0" }
    public var port: Int { server.port }
    /// Accepted calls, in order.
    public var calls: CallLog<Call> { state.calls }

    private init(state: State, server: FakeHTTPServer) {
        self.state = state
        self.server = server
    }

    /// Starts the fake on 127.0.0.1.
    /// - Parameters:
    ///   - accounts: access token → the IG user id it belongs to.
    ///   - enforceSinglePrivateReply: a comment can get one private reply
    ///     (a second one is refused, as Meta does).
    public static func start(
        accounts: [String: String], port: Int = 0, enforceSinglePrivateReply: Bool = true, logger: Logger? = nil
    ) async throws -> FakeInstagramGraph {
        let state = State(accounts: accounts, enforceSinglePrivateReply: enforceSinglePrivateReply)
        let server = try await FakeHTTPServer.start(port: port, logger: logger) { app in
            app.on(.POST, ":version", ":id", "messages", body: .collect(maxSize: "1mb")) { req in
                state.messages(req)
            }
            app.on(.POST, ":version", ":id", "replies", body: .collect(maxSize: "1mb")) { req in
                state.replies(req)
            }
            app.get("_fake", "stats") { _ in
                FakeWire.json(.ok, ["calls": state.calls.count, "attempts": state.attempts.withLock { $0 }])
            }
        }
        return FakeInstagramGraph(state: state, server: server)
    }

    public func stop() async {
        await server.stop()
    }

    /// The next `times` calls are answered with `error`.
    public func injectError(_ error: GraphError, times: Int = 1) {
        state.errors.add(error, times: times)
    }

    /// Every request, including refused ones.
    public var attempts: Int { state.attempts.withLock { $0 } }

    /// How many accepted calls of `kind` concern `commentID` (private and
    /// public replies) — "exactly once" checks.
    public func count(_ kind: Kind, commentID: String) -> Int {
        calls.all.filter { $0.kind == kind && $0.commentID == commentID }.count
    }

    final class State: Sendable {
        let calls = CallLog<Call>()
        let accounts: [String: String]
        let enforceSinglePrivateReply: Bool
        let errors = Injections<GraphError>()
        let attempts = Mutex(0)
        let sequence = Mutex(0)

        init(accounts: [String: String], enforceSinglePrivateReply: Bool) {
            self.accounts = accounts
            self.enforceSinglePrivateReply = enforceSinglePrivateReply
        }

        static func failure(_ error: GraphError) -> Response {
            var body: [String: Any] = ["message": error.message, "type": error.type, "code": error.code,
                                       "fbtrace_id": "AFakeTraceId"]
            if let subcode = error.subcode { body["error_subcode"] = subcode }
            var headers: HTTPHeaders = [:]
            // Graph says how it counts through this header, not through Retry-After.
            if [4, 17, 32, 613].contains(error.code) {
                headers.add(name: "X-App-Usage", value: #"{"call_count":100,"total_time":20,"total_cputime":20}"#)
            }
            return FakeWire.json(HTTPResponseStatus(statusCode: error.httpStatus), ["error": body], headers: headers)
        }

        /// The token and where it came from, or Graph's refusal.
        private func authenticate(_ req: Request) -> Result<(String, TokenSource), GraphErrorResponse> {
            attempts.withLock { $0 += 1 }
            let token: String
            let source: TokenSource
            if let bearer = FakeWire.bearerToken(req) {
                token = bearer
                source = .header
            } else if let query = try? req.query.get(String.self, at: "access_token") {
                token = query
                source = .query
            } else {
                return .failure(GraphErrorResponse(GraphError(
                    code: 2500, message: "An active access token must be used to query information about the current user.")))
            }
            guard accounts[token] != nil else {
                return .failure(GraphErrorResponse(GraphError(
                    code: 190, message: "Invalid OAuth access token - Cannot parse access token")))
            }
            if let injected = errors.next() {
                return .failure(GraphErrorResponse(injected))
            }
            return .success((token, source))
        }

        private func nextID(_ prefix: String) -> String {
            let n = sequence.withLock { value -> Int in
                value += 1
                return value
            }
            return "\(prefix)\(n)"
        }

        func messages(_ req: Request) -> Response {
            let (token, source): (String, TokenSource)
            switch authenticate(req) {
            case .failure(let refusal): return Self.failure(refusal.error)
            case .success(let pair): (token, source) = pair
            }
            let igUserID = req.parameters.get("id") ?? ""
            guard accounts[token] == igUserID else {
                return Self.failure(GraphError(
                    code: 100, subcode: 33, type: "GraphMethodException",
                    message: "Unsupported post request. Object with ID '\(igUserID)' does not exist, cannot be loaded due to missing permissions, or does not support this operation."))
            }
            let parameters = FakeWire.parameters(req)
            let recipient = FakeWire.jsonValue(parameters["recipient"]) as? [String: Any]
            let message = FakeWire.jsonValue(parameters["message"]) as? [String: Any]
            guard let recipient else {
                return Self.failure(GraphError(code: 100, message: "(#100) The parameter recipient is required"))
            }
            guard let text = FakeWire.text(message?["text"]), !text.isEmpty else {
                return Self.failure(GraphError(code: 100, message: "(#100) The parameter message is required"))
            }
            let commentID = FakeWire.text(recipient["comment_id"])
            let recipientID = FakeWire.text(recipient["id"])
            guard commentID != nil || recipientID != nil else {
                return Self.failure(GraphError(code: 100, message: "(#100) Param recipient must be non-empty."))
            }
            if let commentID, enforceSinglePrivateReply,
               calls.all.contains(where: { $0.kind == .privateReply && $0.commentID == commentID }) {
                return Self.failure(GraphError(code: 10900, type: "OAuthException", message: "Activity already replied to"))
            }
            let messageID = nextID("aWdfZAG1faXRlbTox")
            let answerRecipient = recipientID ?? "9000000000000001"
            calls.append(Call(
                kind: commentID != nil ? .privateReply : .directMessage, pathID: igUserID, commentID: commentID,
                recipientID: recipientID, text: text, token: token, tokenSource: source,
                contentType: req.headers.first(name: .contentType) ?? "", rawBody: FakeWire.bodyString(req),
                resultID: messageID))
            return FakeWire.json(.ok, ["recipient_id": answerRecipient, "message_id": messageID])
        }

        func replies(_ req: Request) -> Response {
            let (token, source): (String, TokenSource)
            switch authenticate(req) {
            case .failure(let refusal): return Self.failure(refusal.error)
            case .success(let pair): (token, source) = pair
            }
            let commentID = req.parameters.get("id") ?? ""
            let parameters = FakeWire.parameters(req)
            guard let text = FakeWire.text(parameters["message"]), !text.isEmpty else {
                return Self.failure(GraphError(code: 100, message: "(#100) The parameter message is required"))
            }
            let id = nextID("1790000000")
            calls.append(Call(
                kind: .commentReply, pathID: commentID, commentID: commentID, recipientID: nil, text: text,
                token: token, tokenSource: source, contentType: req.headers.first(name: .contentType) ?? "",
                rawBody: FakeWire.bodyString(req), resultID: id))
            return FakeWire.json(.ok, ["id": id])
        }
    }

    struct GraphErrorResponse: Error {
        let error: GraphError
        init(_ error: GraphError) { self.error = error }
    }
}
