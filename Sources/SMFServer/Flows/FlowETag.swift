import Vapor

/// Optimistic concurrency for flows: every write bumps the flow's revision,
/// reads send it as `ETag: "r<revision>"`, and writes must send it back in
/// `If-Match`. A write without it is refused (428) and one with an older
/// revision fails (412), so two editors can never overwrite each other.
enum FlowETag {
    static func make(revision: Int) -> String { "\"r\(revision)\"" }

    /// The revision the client says it edited.
    /// - Throws: 428 when `If-Match` is missing, 412 when it names no
    ///   revision of ours (a wildcard, a list, a weak or foreign tag).
    static func expectedRevision(_ request: Request) throws -> Int {
        let values = request.headers[.ifMatch]
        guard let raw = values.first, values.count == 1 else {
            throw values.isEmpty ? SMFError.preconditionRequired : SMFError.preconditionFailed
        }
        let tag = raw.trimmingCharacters(in: .whitespaces)
        // `*` would mean "whatever is there", which is the lost update this
        // header exists to prevent; only our own strong tags are accepted.
        // Strong comparison is exact: `"r01"` or `"r+1"` is not `"r1"`.
        let digits = tag.utf8.dropFirst(2).dropLast()
        guard tag.utf8.count <= 24, tag.hasPrefix("\"r"), tag.hasSuffix("\""), tag.utf8.count > 3,
              digits.first != UInt8(ascii: "0"), digits.allSatisfy({ (48...57).contains($0) }),
              let revision = Int(String(decoding: digits, as: UTF8.self)), revision > 0
        else { throw SMFError.preconditionFailed }
        return revision
    }
}
