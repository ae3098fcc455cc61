/// Replaces secret values (credential tokens and keys used by an
/// execution) with `[redacted]` in everything the engine records: input
/// and output summaries and error texts. The engine applies it to every
/// step record before the observer or the outcome sees it.
///
/// Secrets shorter than `minimumLength` (4) characters are ignored:
/// replacing every "ab" would destroy the record and reveal nothing a
/// brute force would not. Longer secrets are replaced first, so a secret
/// that contains another is removed whole.
public struct Redactor: Sendable {
    public static let marker = "[redacted]"
    public static let minimumLength = 4

    let secrets: [String]

    public init(secrets: some Sequence<String>) {
        self.secrets = Set(secrets.filter { $0.count >= Self.minimumLength })
            .sorted { $0.utf8.count != $1.utf8.count ? $0.utf8.count > $1.utf8.count : $0 < $1 }
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// `text` with every occurrence of every secret replaced.
    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var bytes = Array(text.utf8)
        var changed = false
        for secret in secrets {
            changed = Self.replace(Array(secret.utf8), in: &bytes) || changed
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// Byte-wise (not `Character`-wise: a secret followed by a combining
    /// mark forms a different last character, and a character-wise search
    /// would miss it). Valid UTF-8 stays valid: a match starts and ends on
    /// scalar boundaries because the secret is itself valid UTF-8.
    private static func replace(_ needle: [UInt8], in bytes: inout [UInt8]) -> Bool {
        guard let first = needle.first, bytes.count >= needle.count else { return false }
        let marker = Array(Self.marker.utf8)
        var output: [UInt8] = []
        var index = 0
        var found = false
        let last = bytes.count - needle.count
        while index < bytes.count {
            if index <= last, bytes[index] == first, bytes[index..<(index + needle.count)].elementsEqual(needle) {
                if !found {
                    output.reserveCapacity(bytes.count)
                    output.append(contentsOf: bytes[0..<index])
                    found = true
                }
                output.append(contentsOf: marker)
                index += needle.count
                continue
            }
            if found { output.append(bytes[index]) }
            index += 1
        }
        if found { bytes = output }
        return found
    }

    /// Every string (and object key) in `value` redacted: done before
    /// encoding a summary, because JSON escaping (`\"`, `\u…`) could
    /// otherwise hide a secret from a search in the encoded text.
    public func redact(_ value: JSONValue) -> JSONValue {
        guard !secrets.isEmpty else { return value }
        switch value {
        case .string(let text): return .string(redact(text))
        case .array(let elements): return .array(elements.map(redact))
        case .object(let members):
            var redacted: [String: JSONValue] = [:]
            for (key, member) in members { redacted[redact(key)] = redact(member) }
            return .object(redacted)
        default: return value
        }
    }
}
