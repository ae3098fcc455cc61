import Vapor

/// An RFC 9457 problem document, the body of every error response.
struct ProblemDetails: Codable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var instance: String
    var request_id: String
    var errors: [SMFError.FieldError]?

    /// Problem types are URNs: stable identifiers that need no web page.
    static func typeURI(_ code: String) -> String { "urn:smflow:problem:\(code)" }

    static let contentType = HTTPMediaType(type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])

    /// Builds the response for `error` to `request`. Used by the error
    /// middleware and by the few middlewares that answer before it (CORS
    /// preflight).
    static func response(for error: SMFError, to request: Request) -> Response {
        // The path is echoed back only as far as a sane URL goes.
        let path = String(request.url.path.prefix(256))
        let problem = ProblemDetails(
            type: typeURI(error.code), title: error.title, status: Int(error.status.code),
            detail: error.detail, instance: path, request_id: request.requestID,
            errors: error.fieldErrors.isEmpty ? nil : error.fieldErrors)
        var headers = error.headers
        headers.contentType = contentType
        let body: ByteBuffer
        do {
            body = ByteBuffer(data: try JSONEncoder.sorted.encode(problem))
        } catch {
            // Encoding five strings and an Int cannot fail; keep a valid body anyway.
            body = ByteBuffer(string: #"{"title":"Internal server error","status":500}"#)
        }
        return Response(status: error.status, headers: headers, body: .init(buffer: body))
    }
}
