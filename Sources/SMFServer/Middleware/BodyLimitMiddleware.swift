import Vapor

/// Refuses a declared body larger than the limit before reading any of it
/// (`SMF_MAX_BODY_BYTES`, 413). Bodies without a Content-Length (chunked) are
/// capped while they are collected: `configure` sets Vapor's
/// `defaultMaxBodySize` to the same limit, and routes may set a lower one
/// with `body: .collect(maxSize:)`.
struct BodyLimitMiddleware: Middleware {
    let maxBytes: Int

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if let declared = request.headers.first(name: .contentLength) {
            guard let length = Int(declared), length >= 0 else {
                return request.eventLoop.makeFailedFuture(
                    SMFError.badRequest("The Content-Length header is not a number.", code: "bad-content-length"))
            }
            if length > maxBytes { return request.eventLoop.makeFailedFuture(SMFError.payloadTooLarge(limit: maxBytes)) }
        }
        return next.respond(to: request)
    }
}
