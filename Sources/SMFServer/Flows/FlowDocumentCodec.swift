import Crypto
import Foundation
import SMFCore

/// How flow documents are stored and hashed: canonical JSON (sorted keys, no
/// escaped slashes), so equal graphs give equal bytes and equal hashes, and
/// the size checked against `FlowLimits` is the size that is stored.
enum FlowDocumentCodec {
    struct Encoded {
        let text: String
        let byteCount: Int
        let sha256: String
    }

    static func encode(_ value: JSONValue) throws -> Encoded {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        return Encoded(text: String(decoding: data, as: UTF8.self), byteCount: data.count, sha256: digest)
    }

    static func encode(_ document: FlowDocument) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(document))
    }

    /// A stored document, read back. Stored documents were validated when
    /// they were written, so failure here means a damaged row.
    static func decode(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
