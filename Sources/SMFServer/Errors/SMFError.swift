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

    public init(_ status: HTTPResponseStatus, code: String, title: String, detail: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers
    }
}

extension SMFError {
    public static func badRequest(_ detail: String, code: String = "bad-request") -> SMFError {
        SMFError(.badRequest, code: code, title: "Bad request", detail: detail)
    }

    public static let notFound = SMFError(
        .notFound, code: "not-found", title: "Not found", detail: "There is no resource at this path.")

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

    public static let internalError = SMFError(
        .internalServerError, code: "internal-error", title: "Internal server error",
        detail: "An unexpected error occurred. Quote the request id when reporting it.")
}
