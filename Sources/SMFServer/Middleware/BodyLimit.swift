import Vapor

/// Refuses a declared body larger than the limit before reading any of it
/// (`SMF_MAX_BODY_BYTES`, 413). Bodies without a Content-Length (chunked) are
/// capped while they are collected: `configure` sets Vapor's
/// `defaultMaxBodySize` to the same limit, and routes may set a lower one
/// with `body: .collect(maxSize:)`.
struct BodyLimit: Sendable {
    let maxBytes: Int

    /// The problem to answer with, or nil when the request may go on.
    func violation(_ request: Request) -> SMFError? {
        guard let declared = request.headers.first(name: .contentLength) else { return nil }
        guard let length = Int(declared), length >= 0 else {
            return SMFError.badRequest("The Content-Length header is not a number.", code: "bad-content-length")
        }
        return length > maxBytes ? SMFError.payloadTooLarge(limit: maxBytes) : nil
    }
}
