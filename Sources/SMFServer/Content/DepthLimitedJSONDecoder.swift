import SMFSecurity
import Vapor

/// Vapor's JSON decoder behind a nesting-depth check (`SMF_MAX_JSON_DEPTH`).
///
/// Vapor's content coders are process-wide (`ContentConfiguration.global`),
/// so the limit is too: `configure` installs it, and every `req.content`
/// decode of JSON goes through it.
struct DepthLimitedJSONDecoder: ContentDecoder {
    let maximumDepth: Int
    let base: JSONDecoder

    init(maximumDepth: Int) {
        self.maximumDepth = maximumDepth
        self.base = JSONDecoder()
        base.dateDecodingStrategy = .iso8601
    }

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(decodable, from: body, headers: headers, userInfo: [:])
    }

    func decode<D: Decodable>(
        _ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> D {
        if JSONNestingLimit.exceeds(body.readableBytesView, maximumDepth: maximumDepth) {
            throw SMFError.jsonTooDeep(limit: maximumDepth)
        }
        return try base.decode(decodable, from: body, headers: headers, userInfo: userInfo)
    }
}
