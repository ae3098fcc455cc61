import Vapor

/// Refuses a declared body larger than the limit before reading any of it
/// (`SMF_MAX_BODY_BYTES`, 413). Bodies without a Content-Length (chunked) are
/// capped while they are collected: `configure` sets Vapor's
/// `defaultMaxBodySize` to the same limit, and routes may set a lower one
/// with `body: .collect(maxSize:)`.
struct BodyLimitMiddleware: AsyncMiddleware {
    let maxBytes: Int

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let declared = request.headers.first(name: .contentLength) {
            guard let length = Int(declared), length >= 0 else {
                throw SMFError.badRequest("The Content-Length header is not a number.", code: "bad-content-length")
            }
            if length > maxBytes { throw SMFError.payloadTooLarge(limit: maxBytes) }
        }
        return try await next.respond(to: request)
    }
}
