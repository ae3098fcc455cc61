/// The `{{placeholder}}` syntax of template settings (prompts, message
/// texts, bodies). Only the syntax is checked here; what a name resolves to
/// is the runtime's business (an unknown name renders empty).
///
/// - `{{` opens a placeholder that must close with `}}` before the next `{{`.
/// - Inside, after trimming spaces: dot-separated segments; the first is a
///   name (`[A-Za-z_][A-Za-z0-9_]*`), later ones a name or digits
///   (`json.items.0.title`); at most 16 segments of at most 64 characters.
/// - A `}}` without an opening `{{` is literal text (JSON bodies end in `}}`).
public enum TemplateSyntax {
    /// Why `text` is not a valid template, or nil when it is.
    public static func problem(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0
        var placeholderNumber = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            placeholderNumber += 1
            let start = index + 2
            var end = start
            var closed = false
            while end + 1 < bytes.count {
                if bytes[end] == UInt8(ascii: "}"), bytes[end + 1] == UInt8(ascii: "}") {
                    closed = true
                    break
                }
                if bytes[end] == UInt8(ascii: "{"), bytes[end + 1] == UInt8(ascii: "{") { break }
                end += 1
            }
            guard closed else { return "placeholder \(placeholderNumber) opens with {{ but does not close with }}" }
            guard isName(bytes[start..<end]) else {
                return "placeholder \(placeholderNumber) is not a name like {{input}} or {{message.text}}"
            }
            index = end + 2
        }
        return nil
    }

    static func isName(_ raw: ArraySlice<UInt8>) -> Bool {
        var inner = raw
        while inner.first == UInt8(ascii: " ") { inner.removeFirst() }
        while inner.last == UInt8(ascii: " ") { inner.removeLast() }
        let segments = inner.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard !segments.isEmpty, segments.count <= 16 else { return false }
        for (position, segment) in segments.enumerated() {
            guard !segment.isEmpty, segment.count <= 64 else { return false }
            let allDigits = segment.allSatisfy(ASCII.isDigit)
            if position > 0, allDigits { continue }
            guard let first = segment.first, ASCII.isLetter(first) || first == UInt8(ascii: "_") else { return false }
            guard segment.allSatisfy({ ASCII.isLetter($0) || ASCII.isDigit($0) || $0 == UInt8(ascii: "_") }) else {
                return false
            }
        }
        return true
    }

    /// `text` with every placeholder replaced by `x` (for checking the
    /// rest, e.g. a URL). Assumes `problem(in:)` found none.
    static func replacingPlaceholders(in text: String) -> String {
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") {
                var end = index + 2
                while end + 1 < bytes.count, !(bytes[end] == UInt8(ascii: "}") && bytes[end + 1] == UInt8(ascii: "}")) { end += 1 }
                if end + 1 < bytes.count {
                    result.append(UInt8(ascii: "x"))
                    index = end + 2
                    continue
                }
            }
            result.append(bytes[index])
            index += 1
        }
        return String(decoding: result, as: UTF8.self)
    }
}

/// Byte classes for the hand-written matchers (no regex engine on the hot path).
enum ASCII {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }
    static func isHex(_ byte: UInt8) -> Bool { isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66) }
}
