import Vapor

/// The server's own error type: the only error whose text reaches a client.
///
/// Anything else thrown inside a handler becomes a bare 500 with a generic
/// text, and its details go to the log under the request id (DESIGN pitfall 1,
/// STYLE 9). Texts here are written for API users and must never include
/// internals: no SQL, paths, library names or stack traces.
public struct SMFError: Error, Sendable {
    public let status: HTTPResponseStatus
    /// Stable, machine-readable slug; becomes the problem `type`.
    public let code: String
    public let title: String
    public let detail: String
    public var headers: HTTPHeaders
    /// Per-field problems (validation), rendered as the problem's `errors`.
    public var fieldErrors: [FieldError]

    public struct FieldError: Codable, Sendable, Equatable {
        /// JSON pointer into the request body, e.g. `/password`.
        public let pointer: String
        public let detail: String
        /// A stable slug for the rule that failed, where there is one
        /// (flow validation: `unknown-node-type`, `cycle`, …).
        public let code: String?

        public init(pointer: String, detail: String, code: String? = nil) {
            self.pointer = pointer
            self.detail = detail
            self.code = code
        }
    }

    public init(_ status: HTTPResponseStatus, code: String, title: String, detail: String,
                headers: HTTPHeaders = [:], fieldErrors: [FieldError] = []) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers
        self.fieldErrors = fieldErrors
    }
}

extension SMFError {
    public static func badRequest(_ detail: String, code: String = "bad-request") -> SMFError {
        SMFError(.badRequest, code: code, title: "Bad request", detail: detail)
    }

    public static let notFound = SMFError(
        .notFound, code: "not-found", title: "Not found", detail: "There is no resource at this path.")

    /// An authorized caller asked for a member, key or invitation that does
    /// not exist in the workspace. (Callers outside the workspace get
    /// `notFound` before any lookup.)
    public static let resourceNotFound = SMFError(
        .notFound, code: "resource-not-found", title: "Not found", detail: "There is no such item in this workspace.")

    public static func payloadTooLarge(limit: Int) -> SMFError {
        SMFError(.payloadTooLarge, code: "payload-too-large", title: "Payload too large",
                 detail: "The request body is larger than the \(limit) bytes this endpoint accepts.")
    }

    public static func jsonTooDeep(limit: Int) -> SMFError {
        SMFError(.badRequest, code: "json-too-deep", title: "Bad request",
                 detail: "The JSON document nests deeper than \(limit) levels.")
    }

    public static let originNotAllowed = SMFError(
        .forbidden, code: "origin-not-allowed", title: "Forbidden",
        detail: "Cross-origin requests from this origin are not allowed.")

    public static func notReady(_ detail: String) -> SMFError {
        SMFError(.serviceUnavailable, code: "not-ready", title: "Service unavailable", detail: detail)
    }

    public static func validation(_ errors: [FieldError]) -> SMFError {
        SMFError(.unprocessableEntity, code: "validation-failed", title: "Unprocessable content",
                 detail: "The request body has \(errors.count) invalid field(s).", fieldErrors: errors)
    }

    public static let unauthenticated = SMFError(
        .unauthorized, code: "unauthenticated", title: "Unauthorized",
        detail: "Sign in or send a valid bearer token.", headers: ["WWW-Authenticate": "Bearer"])

    /// A write without `If-Match` on a resource that has an `ETag`.
    public static let preconditionRequired = SMFError(
        .preconditionRequired, code: "precondition-required", title: "Precondition required",
        detail: "Send the If-Match header with the ETag of the version you edited.")

    /// `If-Match` named an older revision: someone else saved in between.
    public static let preconditionFailed = SMFError(
        .preconditionFailed, code: "precondition-failed", title: "Precondition failed",
        detail: "The resource changed since you read it; read it again and re-apply your change.")

    public static let forbidden = SMFError(
        .forbidden, code: "forbidden", title: "Forbidden", detail: "Your role does not allow this.")

    /// - Parameter seconds: how long the client must wait. Rounded up to
    /// whole seconds, ignoring sub-millisecond noise from dates that went
    /// through a database driver.
    public static func tooManyAttempts(retryAfter seconds: Double) -> SMFError {
        let whole = max(1, Int((seconds - 0.001).rounded(.up)))
        return SMFError(.tooManyRequests, code: "too-many-attempts", title: "Too many requests",
                        detail: "Too many attempts; wait before trying again.",
                        headers: ["Retry-After": String(whole)])
    }

    public static let internalError = SMFError(
        .internalServerError, code: "internal-error", title: "Internal server error",
        detail: "An unexpected error occurred. Quote the request id when reporting it.")
}
