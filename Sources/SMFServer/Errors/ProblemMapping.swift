import FluentKit
import Vapor

/// Turns every error into an RFC 9457 problem response (checklist keys
/// `app.error-messages`, `app.input-validation`).
///
/// Replaces Vapor's `ErrorMiddleware`, which decides what to hide by the
/// *build* (release or debug), not by `SMF_ENV`, and passes `Abort` and
/// `DecodingError` reasons to clients (DESIGN pitfall 1). Here:
/// - `SMFError` is rendered as written (its texts are made for clients);
/// - Vapor's own `AbortError`s keep their status, with our generic text;
/// - a `DecodingError` becomes 400 naming only the JSON pointer of the field;
/// - anything else is a 500 with a generic text in production. The full
///   error goes to the log, tied to the request id.
/// The request pipeline applies it to everything the routes throw, so the
/// headers, CORS and the access log always see a response.
struct ProblemMapping: Sendable {
    let isProduction: Bool
    let metrics: HTTPMetrics

    func response(for error: any Error, to request: Request) -> Response {
        ProblemDetails.response(for: problem(for: error, request: request), to: request)
    }

    func problem(for error: any Error, request: Request) -> SMFError {
        switch error {
        case let error as SMFError:
            if error.status.code >= 500 {
                request.logger.error("request failed", metadata: ["problem": .string(error.code)])
            }
            return error
        case let error as DecodingError:
            request.logger.debug("request body rejected", metadata: ["error": .string(String(describing: error))])
            return Self.problem(for: error)
        case let error as any AbortError:
            request.logger.debug("request rejected", metadata: ["status": .stringConvertible(error.status.code)])
            return Self.problem(forStatus: error.status, headers: error.headers)
        default:
            if error is any DatabaseError {
                metrics.databaseError()
            }
            request.logger.error("unhandled error", metadata: [
                "error": .string(String(reflecting: error)),
                "error_type": .string(String(reflecting: type(of: error))),
            ])
            if isProduction { return .internalError }
            // Development only: the error text helps the person at the keyboard.
            return SMFError(.internalServerError, code: "internal-error", title: "Internal server error",
                            detail: "\(String(describing: error)) (shown because SMF_ENV is not production)")
        }
    }

    /// A generic problem for one of Vapor's statuses: the status is kept,
    /// the reason text is ours.
    static func problem(forStatus status: HTTPResponseStatus, headers: HTTPHeaders) -> SMFError {
        // Only headers that tell the client what to do next are passed on.
        var kept = HTTPHeaders()
        for name in ["Allow", "Retry-After", "Location", "WWW-Authenticate"] {
            for value in headers[name] { kept.add(name: name, value: value) }
        }
        let (code, detail): (String, String) = switch status.code {
        case 400: ("bad-request", "The request could not be understood.")
        case 401: ("unauthorized", "Authentication is required.")
        case 403: ("forbidden", "You are not allowed to do this.")
        case 404: ("not-found", "There is no resource at this path.")
        case 405: ("method-not-allowed", "This method is not allowed on this resource.")
        case 406: ("not-acceptable", "No acceptable representation is available.")
        case 408: ("request-timeout", "The request took too long to arrive.")
        case 411: ("length-required", "The request needs a Content-Length header.")
        case 413: ("payload-too-large", "The request body is larger than this endpoint accepts.")
        case 414: ("uri-too-long", "The request URL is too long.")
        case 415: ("unsupported-media-type", "The request body's media type is not supported here; send application/json.")
        case 422: ("unprocessable-content", "The request body is not valid for this operation.")
        case 429: ("too-many-requests", "Too many requests; retry later.")
        case 431: ("headers-too-large", "The request headers are too large.")
        case 500..<600: ("server-error", "The server could not complete the request.")
        default: ("http-\(status.code)", "The request failed.")
        }
        return SMFError(status, code: code, title: status.reasonPhrase, detail: detail, headers: kept)
    }

    /// 400 naming the offending field as a JSON pointer, nothing more: the
    /// decoder's own messages name Swift types.
    static func problem(for error: DecodingError) -> SMFError {
        let path: [any CodingKey]
        let what: String
        switch error {
        case .typeMismatch(_, let context): (path, what) = (context.codingPath, "has the wrong type")
        case .valueNotFound(_, let context): (path, what) = (context.codingPath, "must not be null")
        case .keyNotFound(let key, let context): (path, what) = (context.codingPath + [key], "is required")
        case .dataCorrupted(let context): (path, what) = (context.codingPath, "is malformed")
        @unknown default: (path, what) = ([], "is malformed")
        }
        let pointer = "/" + path.map { key in
            (key.intValue.map(String.init) ?? key.stringValue)
                .replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }.joined(separator: "/")
        let subject = path.isEmpty ? "The JSON body" : "The field at \(String(pointer.prefix(200)))"
        return .badRequest("\(subject) \(what).", code: "invalid-body")
    }
}
